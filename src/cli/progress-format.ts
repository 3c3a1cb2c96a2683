/**
 * Text of the CLI progress bars: ETA and the bar layout for the terminal's width. Pure functions,
 * so what the user sees is tested without a terminal.
 */

/** `--` until an ETA is known (null, NaN, infinite or negative); otherwise 12s, 3m05s, 1h02m. */
export function etaText(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

export interface BarLayout {
  /** cli-progress format string; the payload supplies name, done, size, speed and etaText. */
  readonly format: string;
  readonly nameWidth: number;
  readonly barSize: number;
}

// Widest text around the bar, with the widest values (`1023.9 MiB`, `downloading`, `59m59s`).
const FULL_REST = '  || 100% | 1023.9 MiB/1023.9 MiB | 1023.9 MiB/s | ETA 59m59s'.length;
const COMPACT_REST = '  || 100% ETA 59m59s'.length;

/**
 * A layout whose longest line fits `columns` (one column spare so the terminal never wraps):
 * name and bar shrink with the width, and below ~80 columns the sizes and speed are left out.
 */
export function barLayout(columns: number | undefined): BarLayout {
  const width = Math.max(30, (columns && columns > 0 ? columns : 80) - 1);
  const full = width - FULL_REST >= 30;
  const room = width - (full ? FULL_REST : COMPACT_REST);
  const nameWidth = Math.max(6, Math.min(28, Math.floor(room * 0.5)));
  const barSize = Math.max(3, Math.min(40, room - nameWidth));
  const format = full ? ' {name} |{bar}| {percentage}% | {done}/{size} | {speed} | ETA {etaText}' : ' {name} |{bar}| {percentage}% ETA {etaText}';
  return { format, nameWidth, barSize };
}

/** A file name fitted to `width` characters: padded, or cut from the left with an ellipsis. */
export function fitName(name: string, width: number): string {
  return name.length > width ? `…${name.slice(-(width - 1))}` : name.padEnd(width);
}
