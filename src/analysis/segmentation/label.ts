/**
 * Connected-component labelling of a boolean image (scipy.ndimage.label semantics): 4- or
 * 8-connectivity, labels 1..n numbered in raster order of each component's first pixel (row 0
 * first, x fastest). Two passes with union-find.
 */
export type Connectivity = 4 | 8;

export interface Labelled {
  readonly labels: Int32Array;
  readonly count: number;
}

function find(parent: Int32Array, i: number): number {
  while (parent[i] !== i) {
    parent[i] = parent[parent[i]!]!;
    i = parent[i]!;
  }
  return i;
}

function union(parent: Int32Array, a: number, b: number): number {
  const ra = find(parent, a);
  const rb = find(parent, b);
  if (ra === rb) return ra;
  if (ra < rb) {
    parent[rb] = ra;
    return ra;
  }
  parent[ra] = rb;
  return rb;
}

/**
 * Labels the pixels set in `on` (a w*h mask, 1 = foreground) with 4- or 8-connectivity; the
 * result is a w*h label array. Components of fewer than `minArea` pixels are left out (0) and the
 * others numbered 1..count in raster order of their first pixel, in the same final pass (as
 * labelling, labelAreas and a renumbering pass would give).
 */
export function labelImage(on: Uint8Array, w: number, h: number, connectivity: Connectivity = 8, minArea = 1): Labelled {
  const labels = new Int32Array(w * h);
  let parent = new Int32Array(256);
  // pixels per provisional label (summed per component before the final pass)
  let area = new Int32Array(256);
  let next = 1;
  const eight = connectivity === 8;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const i = row + x;
      if (on[i] === 0) continue;
      let l = 0;
      // neighbours already visited: left, and the row above (up-left, up, up-right for 8)
      if (x > 0 && labels[i - 1] !== 0) l = find(parent, labels[i - 1]!);
      if (y > 0) {
        const up = i - w;
        const m = labels[up]!;
        if (m !== 0) l = l === 0 ? find(parent, m) : union(parent, l, m);
        if (eight) {
          if (x > 0) {
            const a = labels[up - 1]!;
            if (a !== 0) l = l === 0 ? find(parent, a) : union(parent, l, a);
          }
          if (x < w - 1) {
            const b = labels[up + 1]!;
            if (b !== 0) l = l === 0 ? find(parent, b) : union(parent, l, b);
          }
        }
      }
      if (l === 0) {
        if (next >= parent.length) {
          const grown = new Int32Array(parent.length * 2);
          grown.set(parent);
          parent = grown;
          const grownArea = new Int32Array(area.length * 2);
          grownArea.set(area);
          area = grownArea;
        }
        parent[next] = next;
        l = next++;
      }
      labels[i] = l;
      area[l]!++;
    }
  }
  // final labels in order of first appearance in raster order; -1 marks a component too small
  const finalOf = new Int32Array(next);
  if (minArea > 1) {
    const total = new Int32Array(next);
    for (let l = 1; l < next; l++) total[find(parent, l)]! += area[l]!;
    for (let l = 1; l < next; l++) if (parent[l] === l && total[l]! < minArea) finalOf[l] = -1;
  }
  let count = 0;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (l === 0) continue;
    const r = find(parent, l);
    let f = finalOf[r]!;
    if (f === 0) f = finalOf[r] = ++count;
    labels[i] = f < 0 ? 0 : f;
  }
  return { labels, count };
}

/** Pixel counts per label (index 0 = background). */
export function labelAreas(labels: Int32Array, count: number): Int32Array {
  const areas = new Int32Array(count + 1);
  for (let i = 0; i < labels.length; i++) areas[labels[i]!]!++;
  return areas;
}

/** Bounding boxes per label: [xmin, xmax, ymin, ymax] (inclusive), 4 entries per label from 1. */
export function labelBoxes(labels: Int32Array, width: number, count: number): Int32Array {
  const boxes = new Int32Array((count + 1) * 4);
  for (let l = 1; l <= count; l++) {
    boxes[l * 4] = 2147483647;
    boxes[l * 4 + 1] = -1;
    boxes[l * 4 + 2] = 2147483647;
    boxes[l * 4 + 3] = -1;
  }
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (l === 0) continue;
    const x = i % width;
    const y = (i - x) / width;
    const b = l * 4;
    if (x < boxes[b]!) boxes[b] = x;
    if (x > boxes[b + 1]!) boxes[b + 1] = x;
    if (y < boxes[b + 2]!) boxes[b + 2] = y;
    if (y > boxes[b + 3]!) boxes[b + 3] = y;
  }
  return boxes;
}
