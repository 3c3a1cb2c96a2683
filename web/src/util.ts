/** MAST times are MJD; show them as calendar dates. */
export function mjdToDate(mjd: unknown): string {
  const n = typeof mjd === 'number' ? mjd : Number(mjd);
  if (!Number.isFinite(n) || n <= 0) return '—';
  return new Date((n - 40587) * 86_400_000).toISOString().slice(0, 10);
}

export function fmt(v: unknown, digits = 4): string {
  if (v === null || v === undefined || v === '') return '—';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(digits);
  return String(v);
}

export function isProprietary(row: { dataRights?: unknown; t_obs_release?: unknown }): boolean {
  if (typeof row.dataRights === 'string') return row.dataRights.toUpperCase() !== 'PUBLIC';
  const rel = Number(row.t_obs_release);
  return Number.isFinite(rel) && (rel - 40587) * 86_400_000 > Date.now();
}
