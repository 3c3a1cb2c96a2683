/**
 * `jwst-engine table FILE` (any FITS table HDU or ECSV file: search, sort, print as text, CSV or
 * JSON) and `jwst-engine spectrum FILE` (spectral-data of a table, or a cube pixel/region with
 * --x/--y), over the same core as GET /analysis/table-data and /analysis/spectral-data.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadSettings } from '../../config.js';
import { limitsFromSettings } from '../../imaging/viewer/index.js';
import { cubeSpectrumFile, openTables, pyFloat, spectralDataFile } from '../../tables/index.js';
import { displayRows, orderRows } from '../../tables/page.js';

function maxFileBytes(): number {
  return limitsFromSettings(loadSettings()).maxFileBytes;
}

/** Numbers as Python prints them (1e-05, not 0.00001), integers as integers. */
function text(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : pyFloat(v);
  return String(v);
}

function csvField(v: unknown): string {
  const s = text(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const write = (s: string) => process.stdout.write(s);

interface TableOptions {
  hdu?: string;
  sort?: string;
  desc?: boolean;
  search?: string;
  limit?: string;
  csv?: boolean;
  json?: boolean;
}

export function tableCommands(program: Command): void {
  program
    .command('table')
    .description('print a table (FITS BINTABLE/TABLE HDU or ECSV file): search, sort, text, CSV or JSON')
    .argument('<file>', 'FITS or .ecsv file')
    .option('--hdu <n>', 'table HDU index (default: the first table; 0 for ECSV)')
    .option('--sort <column>', 'sort by this column (stable; missing values last)')
    .option('--desc', 'sort descending')
    .option('--search <text>', 'keep rows where a printed cell contains this (case-insensitive)')
    .option('--limit <n>', 'print at most this many rows (default: all for --csv/--json, 50 for text)')
    .option('--csv', 'CSV with a header line')
    .option('--json', 'JSON: {columns, total_rows, rows}')
    .action(async (file: string, opts: TableOptions) => {
      const opened = await openTables(resolve(file), { maxFileBytes: maxFileBytes() });
      try {
        const index = opts.hdu !== undefined ? Number(opts.hdu) : (opened.hdus.find((h) => h.table)?.index ?? 0);
        const t = opened.table(index);
        const o = await orderRows(t, { sortColumn: opts.sort ?? null, sortDirection: opts.desc ? 'desc' : 'asc', search: opts.search ?? null });
        const limit = opts.limit !== undefined ? Number(opts.limit) : opts.csv || opts.json ? o.total : 50;
        const names = t.columns.map((c) => c.name);
        if (opts.json) {
          const { rows } = await displayRows(t, o, 0, limit);
          write(`${JSON.stringify({ hdu_index: t.index, hdu_name: t.name, columns: t.columns, total_rows: o.total, rows }, null, 2)}\n`);
          return;
        }
        if (opts.csv) {
          write(`${names.map(csvField).join(',')}\n`);
          for (let from = 0; from < Math.min(limit, o.total); from += 500) {
            const { rows } = await displayRows(t, o, from, Math.min(from + 500, limit));
            for (const r of rows) write(`${names.map((n) => csvField(r[n])).join(',')}\n`);
          }
          return;
        }
        const { rows } = await displayRows(t, o, 0, limit);
        const cells = rows.map((r) => names.map((n) => (r[n] === null ? '--' : text(r[n]))));
        const widths = names.map((n, j) => Math.min(40, Math.max(n.length, ...cells.map((c) => (c[j] as string).length))));
        const line = (cs: string[]) => cs.map((c, j) => c.slice(0, 40).padStart(widths[j] as number)).join(' ');
        write(`${line(names)}\n${line(widths.map((w) => '-'.repeat(w)))}\n`);
        for (const c of cells) write(`${line(c)}\n`);
        if (o.total > rows.length) write(`... ${o.total - rows.length} more rows (${o.total} in all; --limit, --csv or --json for more)\n`);
      } finally {
        await opened.close();
      }
    });

  program
    .command('spectrum')
    .description('print a spectrum as CSV: an x1d/c1d table or ECSV (known columns, wavelength first), or a cube pixel/region with --x/--y')
    .argument('<file>', 'FITS or .ecsv file')
    .option('--hdu <n>', 'table HDU (default 1, 0 for ECSV) or cube HDU')
    .option('--x <n>', 'cube: 0-based column of the pixel (or of the region corner)')
    .option('--y <n>', 'cube: 0-based row')
    .option('--width <n>', 'cube: region width', '1')
    .option('--height <n>', 'cube: region height', '1')
    .option('--reduce <how>', 'cube: sum or mean of the finite pixels', 'sum')
    .option('--flux-unit <unit>', 'MJy/sr, Jy, ABmag or erg/s/cm2/Angstrom')
    .option('--wavelength-unit <unit>', 'um, nm or Angstrom')
    .option('--json', 'print the JSON of the HTTP route instead of CSV')
    .action(async (file: string, opts: { hdu?: string; x?: string; y?: string; width: string; height: string; reduce: string; fluxUnit?: string; wavelengthUnit?: string; json?: boolean }) => {
      const path = resolve(file);
      const units = { fluxUnit: opts.fluxUnit ?? null, wavelengthUnit: opts.wavelengthUnit ?? null };
      const r =
        opts.x !== undefined || opts.y !== undefined
          ? await cubeSpectrumFile({
              path,
              hdu: opts.hdu ?? null,
              x: Number(opts.x ?? 0),
              y: Number(opts.y ?? 0),
              width: Number(opts.width),
              height: Number(opts.height),
              reduce: opts.reduce === 'mean' ? 'mean' : 'sum',
              ...units,
              limits: limitsFromSettings(loadSettings()),
            })
          : await spectralDataFile({ path, maxFileBytes: maxFileBytes(), hduIndex: opts.hdu !== undefined ? Number(opts.hdu) : null, ...units });
      if (opts.json) {
        write(`${JSON.stringify(r, null, 2)}\n`);
        return;
      }
      const cols = r.columns;
      const data = r.data as Record<string, (number | null)[]>;
      write(`${cols.map((c) => csvField(c.unit ? `${c.name} [${c.unit}]` : c.name)).join(',')}\n`);
      for (let i = 0; i < r.n_points; i++) write(`${cols.map((c) => csvField(data[c.name]?.[i] ?? '')).join(',')}\n`);
    });
}
