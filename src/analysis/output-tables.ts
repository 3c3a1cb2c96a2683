/**
 * The catalogues an algorithm answers with (find_stars' `stars`, segmentation's `catalog`,
 * standard_pipeline's `detection.catalog`, aperture_photometry's rows, ...) saved as tables beside
 * the output images: ECSV (astropy reads it back equal, src/tables/ecsv/write.ts) and/or a FITS
 * binary table. A catalogue is any non-empty array of plain objects in the results, at the top
 * level or one level down; it is named by its key path (`stars`, `detection_catalog`).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NewCard } from '../fits/card.js';
import { encodeBinTable, type BinTableColumnSpec } from '../fits/table/index.js';
import { writeFits } from '../fits/writer.js';
import { catalogToEcsv } from '../tables/ecsv/write.js';

export const TABLE_FORMATS = ['none', 'ecsv', 'fits', 'both'] as const;
export type TableFormat = (typeof TABLE_FORMATS)[number];

export interface CatalogTable {
  readonly name: string;
  readonly rows: readonly Record<string, unknown>[];
}

const isRow = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
const isCatalog = (v: unknown): v is Record<string, unknown>[] => Array.isArray(v) && v.length > 0 && v.every(isRow);

/** The catalogues in an algorithm's results, in key order. */
export function catalogTables(results: Record<string, unknown>): CatalogTable[] {
  const out: CatalogTable[] = [];
  for (const [key, value] of Object.entries(results)) {
    if (isCatalog(value)) out.push({ name: key, rows: value });
    else if (isRow(value)) {
      for (const [sub, inner] of Object.entries(value)) if (isCatalog(inner)) out.push({ name: `${key}_${sub}`, rows: inner });
    }
  }
  return out;
}

/** Units the engine's catalogue columns carry, by name. */
export function catalogUnit(column: string): string | undefined {
  const c = column.toLowerCase();
  if (/(^|_)(ra|dec)$/.test(c)) return 'deg';
  if (/^(orientation|pa)$/.test(c)) return 'deg';
  if (/^([xy]centroid|[xy]_?peak|[xy]min|[xy]max|semimajor_sigma|semiminor_sigma|fwhm|equivalent_radius|perimeter|x|y|r|r_in|r_out|a|b)$/.test(c)) return 'pix';
  if (c === 'area' || c === 'area_overlap') return 'pix2';
  return undefined;
}

/** One column of JSON values as a FITS column: numbers -> D (NaN for null), integers -> K, booleans -> L, else text. */
function fitsColumn(name: string, values: readonly unknown[]): BinTableColumnSpec {
  const unit = catalogUnit(name);
  const present = values.filter((v) => v !== null && v !== undefined);
  const withUnit = unit ? { unit } : {};
  if (present.length && present.every((v) => typeof v === 'number' || typeof v === 'bigint')) {
    if (present.length === values.length && present.every((v) => typeof v === 'bigint' || Number.isSafeInteger(v))) {
      return { name, values: BigInt64Array.from(values as (number | bigint)[], (v) => BigInt(v)), ...withUnit };
    }
    return { name, values: Float64Array.from(values, (v) => (v === null || v === undefined ? Number.NaN : Number(v))), ...withUnit };
  }
  if (present.length && present.every((v) => typeof v === 'boolean')) {
    return { name, values: values.map((v) => (typeof v === 'boolean' ? v : null)), ...withUnit };
  }
  const text = values.map((v) => (v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v)).replace(/[^\x20-\x7e]/g, '?'));
  return { name, format: `${Math.max(1, ...text.map((t) => t.length))}A`, values: text, ...withUnit };
}

export interface WriteTablesOptions {
  readonly dir: string;
  readonly prefix: string;
  readonly format: TableFormat;
  /** Table meta (ECSV) and HISTORY cards (FITS): algorithm, parameters, source. */
  readonly meta: Record<string, unknown>;
  readonly history: readonly NewCard[];
}

/** Writes every catalogue in the chosen formats; returns the file names (relative to `dir`). */
export async function writeOutputTables(tables: readonly CatalogTable[], o: WriteTablesOptions): Promise<string[]> {
  if (o.format === 'none' || tables.length === 0) return [];
  await mkdir(o.dir, { recursive: true });
  const names: string[] = [];
  for (const t of tables) {
    const columns: string[] = [];
    for (const r of t.rows) for (const k of Object.keys(r)) if (!columns.includes(k)) columns.push(k);
    if (o.format === 'ecsv' || o.format === 'both') {
      const name = `${o.prefix}_${t.name}.ecsv`;
      const units: Record<string, string> = {};
      for (const c of columns) {
        const u = catalogUnit(c);
        if (u) units[c] = u;
      }
      await writeFile(join(o.dir, name), catalogToEcsv(t.rows, { units, meta: o.meta }));
      names.push(name);
    }
    if (o.format === 'fits' || o.format === 'both') {
      const name = `${o.prefix}_${t.name}.fits`;
      const table = encodeBinTable(
        columns.map((c) => fitsColumn(c, t.rows.map((r) => r[c]))),
        { extname: t.name.toUpperCase().slice(0, 68), cards: [...o.history] },
      );
      await writeFits(join(o.dir, name), [{ axes: [] }, { type: 'table', ...table }]);
      names.push(name);
    }
  }
  return names;
}
