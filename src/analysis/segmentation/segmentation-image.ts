/** A segmentation map: 0 = background, 1..nlabels = sources (photutils' SegmentationImage). */
export interface SegmentationImage {
  readonly width: number;
  readonly height: number;
  readonly labels: Int32Array;
  readonly nlabels: number;
}

/** Renumbers the labels present to 1..n keeping their order (photutils relabel_consecutive). */
export function relabelConsecutive(labels: Int32Array): number {
  let max = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]! > max) max = labels[i]!;
  const present = new Uint8Array(max + 1);
  for (let i = 0; i < labels.length; i++) present[labels[i]!] = 1;
  const map = new Int32Array(max + 1);
  let n = 0;
  for (let l = 1; l <= max; l++) if (present[l]) map[l] = ++n;
  for (let i = 0; i < labels.length; i++) labels[i] = map[labels[i]!]!;
  return n;
}
