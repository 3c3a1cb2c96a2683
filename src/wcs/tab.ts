/**
 * -TAB coordinates (Greisen et al. 2006, FITS WCS paper III) for one-dimensional lookup tables:
 * psi = x + CRVAL is located in the index vector (1..K by default) and the coordinate array is
 * interpolated linearly there, extrapolating half a cell beyond either end as wcslib does.
 */
import type { TabArray, TabRequest, WcsDefinition } from './definition.js';
import { WcsError } from './errors.js';

/** Fractional 1-based position of v in a monotonic vector (NaN outside the half-cell margins). */
function locate(vec: readonly number[], v: number): number {
  const k = vec.length;
  if (k === 1) return v === vec[0] ? 1 : NaN;
  const inc = vec[k - 1]! > vec[0]!;
  const lo = inc ? vec[0]! : vec[k - 1]!;
  const hi = inc ? vec[k - 1]! : vec[0]!;
  const first = (vec[1]! - vec[0]!) / 2;
  const last = (vec[k - 1]! - vec[k - 2]!) / 2;
  const min = inc ? lo - first : lo + last;
  const max = inc ? hi + last : hi - first;
  if (!(v >= min - 1e-12 * Math.abs(min) && v <= max + 1e-12 * Math.abs(max))) return NaN;
  // Binary search for the cell [i, i+1] (0-based) holding v, clamped to the end cells.
  let a = 0;
  let b = k - 1;
  while (b - a > 1) {
    const m = (a + b) >> 1;
    if ((vec[m]! <= v) === inc) a = m;
    else b = m;
  }
  return a + 1 + (v - vec[a]!) / (vec[a + 1]! - vec[a]!);
}

function interpolate(vec: readonly number[], pos: number): number {
  const k = vec.length;
  if (k === 1) return vec[0]!;
  const i = Math.min(k - 2, Math.max(0, Math.floor(pos) - 1));
  return vec[i]! + (pos - 1 - i) * (vec[i + 1]! - vec[i]!);
}

export class TabAxis {
  private readonly index: readonly number[];
  constructor(private readonly table: TabArray) {
    this.index = table.index ?? table.coords.map((_, k) => k + 1);
    if (this.index.length !== table.coords.length || table.coords.length === 0) {
      throw new WcsError('-TAB index and coordinate arrays differ in length', 'WCS_BAD_TAB');
    }
  }
  /** psi (= x + CRVAL) -> world coordinate. */
  forward(psi: number): number {
    const u = locate(this.index, psi);
    return Number.isNaN(u) ? NaN : interpolate(this.table.coords, u);
  }
  /** World coordinate -> psi. */
  inverse(world: number): number {
    const u = locate(this.table.coords, world);
    return Number.isNaN(u) ? NaN : interpolate(this.index, u);
  }
}

/** Reads a table column as numbers: (extname, extver, extlevel, column) -> values in FITS order. */
export type TabColumnReader = (request: TabRequest, column: string) => Promise<readonly number[]>;

/**
 * Returns the definition with the lookup tables of its -TAB axes attached (one-dimensional
 * coordinate arrays only; for an M-dimensional array, the PVi_3-th coordinate of each entry).
 */
export async function attachTabArrays(def: WcsDefinition, read: TabColumnReader, dims?: (r: TabRequest) => number): Promise<WcsDefinition> {
  if (!def.tabRequests?.length) return def;
  const arrays: TabArray[] = [];
  for (const r of def.tabRequests) {
    if (!r.coordColumn) throw new WcsError(`-TAB axis ${r.axis + 1} has no PS${r.axis + 1}_1 column name`, 'WCS_BAD_TAB');
    const raw = await read(r, r.coordColumn);
    const m = dims?.(r) ?? 1;
    const coords = m === 1 ? [...raw] : raw.filter((_, i) => i % m === r.coordAxis - 1);
    const index = r.indexColumn ? [...(await read(r, r.indexColumn))] : undefined;
    arrays.push({ axis: r.axis, coords, ...(index ? { index } : {}) });
  }
  return { ...def, tabArrays: arrays, warnings: def.warnings.filter((w) => !w.includes('-TAB')) };
}
