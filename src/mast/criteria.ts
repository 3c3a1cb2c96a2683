/**
 * Search criteria → MAST filter objects, and the same criteria re-applied to the rows that come
 * back (so results are right even if a MAST (or fake) ignores a filter, and so multi-valued
 * criteria MAST cannot express in one filter still work).
 */
import type { ObservationRow } from './types.js';
import { toMjd } from './sky.js';

export type FilterValue = string | { min: number; max: number };

export interface MastFilter {
  paramName: string;
  values: FilterValue[];
  separator?: string;
  freeText?: string;
}

/** Optional narrowing shared by every observation search. */
export interface ObservationFilters {
  /** Instrument names, matched as prefixes of `instrument_name` (`NIRCAM` matches `NIRCAM/IMAGE`). */
  readonly instrument?: readonly string[] | undefined;
  /** Optical elements, matched against the `;`-separated `filters` cell (`F444W` matches `F444W;F405N`). */
  readonly filter?: readonly string[] | undefined;
  /** `image`, `cube`, `spectrum`, `timeseries`, ... */
  readonly dataproductType?: readonly string[] | undefined;
  /** `science` or `calibration`. */
  readonly intentType?: readonly string[] | undefined;
  /** Include data still in its exclusive-access period (default false). */
  readonly includeProprietary?: boolean | undefined;
}

/** A discrete filter; a value with `*` or `%` becomes MAST's `freeText` LIKE pattern. */
export function discreteFilter(paramName: string, values: ReadonlyArray<string | number>, separator?: string): MastFilter {
  const exact: string[] = [];
  let freeText: string | undefined;
  for (const v of values.map(String)) {
    if ((v.includes('*') || v.includes('%')) && freeText === undefined) freeText = v.replace(/\*/g, '%');
    else exact.push(v);
  }
  return {
    paramName,
    values: exact,
    ...(separator ? { separator } : {}),
    ...(freeText === undefined ? {} : { freeText }),
  };
}

export function rangeFilter(paramName: string, min: number, max: number): MastFilter {
  return { paramName, values: [{ min, max }] };
}

const upper = (s: string) => s.trim().toUpperCase();
const lower = (s: string) => s.trim().toLowerCase();

/** The MAST filters for `ObservationFilters` (only what one MAST filter object can express). */
export function observationFilterObjects(f: ObservationFilters, now = Date.now()): MastFilter[] {
  const out: MastFilter[] = [];
  if (f.instrument?.length === 1) out.push(discreteFilter('instrument_name', [`${upper(f.instrument[0]!)}*`]));
  if (f.filter?.length) out.push(discreteFilter('filters', f.filter.map(upper), ';'));
  if (f.dataproductType?.length) out.push(discreteFilter('dataproduct_type', f.dataproductType.map(lower)));
  if (f.intentType?.length) out.push(discreteFilter('intentType', f.intentType.map(lower)));
  // Public data only: released by the end of today (a whole-day bound keeps the query, and so the
  // cache key, stable through the day; rowMatches then drops anything released later today).
  if (!f.includeProprietary) out.push(rangeFilter('t_obs_release', 0, Math.ceil(toMjd(now))));
  return out;
}

/** True when `row` satisfies every criterion (case-insensitive, multi-valued cells split on `;`). */
export function rowMatches(row: ObservationRow, f: ObservationFilters, now = Date.now()): boolean {
  if (f.instrument?.length) {
    const inst = upper(String(row.instrument_name ?? ''));
    if (!f.instrument.some((i) => inst.startsWith(upper(i)))) return false;
  }
  if (f.filter?.length) {
    const cells = String(row.filters ?? '').split(';').map(upper);
    if (!f.filter.some((x) => cells.includes(upper(x)))) return false;
  }
  if (f.dataproductType?.length && !f.dataproductType.map(lower).includes(lower(String(row.dataproduct_type ?? '')))) return false;
  if (f.intentType?.length && !f.intentType.map(lower).includes(lower(String(row.intentType ?? '')))) return false;
  if (!f.includeProprietary && isProprietary(row, now)) return false;
  return true;
}

/** Exclusive-access data: flagged so by MAST, or not yet released. */
export function isProprietary(row: ObservationRow, now = Date.now()): boolean {
  const rights = String(row.dataRights ?? '').toUpperCase();
  if (rights === 'EXCLUSIVE_ACCESS' || rights === 'PROPRIETARY') return true;
  const release = typeof row.t_obs_release === 'number' ? row.t_obs_release : Number(row.t_obs_release);
  return Number.isFinite(release) && release > toMjd(now);
}
