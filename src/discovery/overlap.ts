/**
 * The footprint overlap warning (upstream-latest §6 `_detect_overlap_warning`): files whose
 * centres are closer than the sum of their instruments' fields of view are linked (union-find);
 * two or more groups mean the composite would have large gaps.
 */
import { fieldOfViewArcmin } from './filters.js';

export interface PlacedFile {
  readonly name: string;
  readonly instrument: string | null;
  readonly ra: number;
  readonly dec: number;
}

/** Great-circle separation (Vincenty formula), arcmin. */
export function separationArcmin(ra1: number, dec1: number, ra2: number, dec2: number): number {
  const r = Math.PI / 180;
  const dl = (ra2 - ra1) * r;
  const [s1, c1, s2, c2] = [Math.sin(dec1 * r), Math.cos(dec1 * r), Math.sin(dec2 * r), Math.cos(dec2 * r)];
  const num = Math.hypot(c2 * Math.sin(dl), c1 * s2 - s1 * c2 * Math.cos(dl));
  const den = s1 * s2 + c1 * c2 * Math.cos(dl);
  return (Math.atan2(num, den) / r) * 60;
}

/** Groups of linked files, in input order of their first member. */
export function footprintGroups(files: readonly PlacedFile[]): number[][] {
  const parent = files.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  for (let i = 0; i < files.length; i++) {
    for (let j = i + 1; j < files.length; j++) {
      const a = files[i]!, b = files[j]!;
      if (separationArcmin(a.ra, a.dec, b.ra, b.dec) < fieldOfViewArcmin(a.instrument ?? '') + fieldOfViewArcmin(b.instrument ?? '')) parent[find(i)] = find(j);
    }
  }
  const groups = new Map<number, number[]>();
  files.forEach((_, i) => groups.set(find(i), [...(groups.get(find(i)) ?? []), i]));
  return [...groups.values()];
}

/** The upstream's warning text for disconnected groups, or null. */
export function overlapWarning(files: readonly PlacedFile[]): string | null {
  const groups = footprintGroups(files);
  if (groups.length < 2) return null;
  const lines = groups.map((g, k) => {
    const instruments = [...new Set(g.map((i) => files[i]!.instrument).filter((v): v is string => !!v))].sort();
    return `Group ${k + 1}: ${g.map((i) => files[i]!.name).join(', ')}${instruments.length ? ` (${instruments.join(', ')})` : ''}`;
  });
  return `These ${files.length} files form ${groups.length} spatially disconnected groups — the composite may have large gaps.\n${lines.join('\n')}\nConsider compositing each group separately.`;
}
