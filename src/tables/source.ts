/**
 * One interface over the tables of a file, FITS (BINTABLE / ASCII TABLE HDUs, read lazily from
 * disk) or ECSV (parsed whole; one table at index 0), for the table routes and the CLI: column
 * metadata, rows by number, a streaming scan and sort keys of one column.
 */
import { readLocation, statLocation } from '../storage/locations.js';
import { EngineError } from '../errors.js';
import { catalogueMessage } from '../error-catalogue.js';
import { basename } from 'node:path';
import { FitsFile, type Hdu } from '../fits/index.js';
import {
  describeTable,
  isArrayCell,
  iterateRowBlocks,
  iterateTableChunks,
  readNumericColumn,
  readTableRows,
  type TableCell,
  type TableColumn,
  type TableDescription,
} from '../fits/table/index.js';
import { isRealNumeric } from '../fits/table/describe.js';
import { TableError } from './errors.js';
import { numpyDtype } from './ecsv/dtype.js';
import { parseEcsv } from './ecsv/parse.js';
import type { EcsvColumn, EcsvTable, LogicalColumn } from './ecsv/types.js';
import { argsortBy, argsortFixedStrings, argsortNumbers } from './argsort.js';
import type { CellTextOptions } from './pystr.js';

/** Column metadata as the upstream table routes give it. */
export interface ColumnInfo {
  readonly name: string;
  readonly dtype: string;
  readonly unit: string | null;
  readonly format: string | null;
  readonly description: string | null;
  readonly is_array: boolean;
  readonly array_shape: number[] | null;
}

/** A table's rows in chunks, for scans (search). */
export interface RowChunk {
  readonly start: number;
  readonly rows: readonly (readonly TableCell[])[];
}

export interface TableHandle {
  readonly index: number;
  readonly name: string;
  /** astropy's class name: BinTableHDU, TableHDU, or ECSV. */
  readonly hduType: string;
  readonly nRows: number;
  readonly columns: readonly ColumnInfo[];
  /** How each column's cells print (real / float32), for search and display. */
  readonly text: readonly CellTextOptions[];
  /** The cells of these rows (any order), all columns. */
  rowsAt(rows: ArrayLike<number>): Promise<TableCell[][]>;
  /** Every row in order, in chunks of bounded size. */
  scan(): AsyncGenerator<RowChunk>;
  /** Row numbers (of `subset`, default all rows) ordered by one column. */
  argsort(column: number, descending: boolean, subset?: Uint32Array): Promise<Uint32Array>;
}

/** An HDU of a FITS file that is not a table, for the upstream error messages. */
export interface HduEntry {
  readonly index: number;
  readonly name: string;
  readonly hduType: string;
  readonly table: boolean;
}

export interface OpenedTables {
  readonly fileName: string;
  readonly format: 'fits' | 'ecsv';
  readonly hdus: readonly HduEntry[];
  /** PIXAR_SR of the file (primary header), for surface-brightness conversions. */
  readonly pixelAreaSr: number | null;
  table(index: number): TableHandle;
  close(): Promise<void>;
}

export interface OpenTablesOptions {
  readonly maxFileBytes: number;
  /** Largest expansion of a compressed file over its size (see SourceOptions). */
  readonly maxExpansionRatio?: number;
  /** ECSV text is parsed whole: refuse larger files (413). Default 256 MiB. */
  readonly maxEcsvBytes?: number;
}

export const DEFAULT_MAX_ECSV_BYTES = 256 * 1024 * 1024;

export function isEcsvPath(path: string): boolean {
  return /\.ecsv$/i.test(path);
}

const HDU_TYPES: Record<string, string> = {
  image: 'ImageHDU',
  bintable: 'BinTableHDU',
  'ascii-table': 'TableHDU',
  'compressed-image': 'CompImageHDU',
  'compressed-table': 'BinTableHDU',
  'random-groups': 'GroupsHDU',
  unknown: 'NonstandardExtHDU',
};

function hduType(h: Hdu): string {
  if (h.index === 0) return h.kind === 'random-groups' ? 'GroupsHDU' : 'PrimaryHDU';
  return HDU_TYPES[h.kind] ?? 'NonstandardExtHDU';
}

function fitsColumnInfo(c: TableColumn): ColumnInfo {
  const shape = c.shape && c.shape.length > 0 ? [...c.shape] : null;
  // '20A' is one string, not an array (upstream reports is_array for it: defect 18).
  const isArray = c.varLength !== null || (c.code !== 'A' && c.repeat > 1) || shape !== null;
  return { name: c.name, dtype: c.tform, unit: c.unit, format: c.disp, description: null, is_array: isArray, array_shape: c.varLength ? null : isArray ? shape ?? [c.repeat] : null };
}

function fitsText(c: TableColumn): CellTextOptions {
  return { real: c.valueType === 'float32' || c.valueType === 'float64', float32: c.valueType === 'float32' };
}

/** Rows in ascending runs, so consecutive rows are read together. */
function runs(sorted: readonly number[]): { start: number; n: number }[] {
  const out: { start: number; n: number }[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && last.start + last.n === r) last.n++;
    else out.push({ start: r, n: 1 });
  }
  return out;
}

class FitsTable implements TableHandle {
  readonly index: number;
  readonly name: string;
  readonly hduType: string;
  readonly nRows: number;
  readonly columns: ColumnInfo[];
  readonly text: CellTextOptions[];
  private readonly d: TableDescription;

  constructor(private readonly file: FitsFile, private readonly hdu: Hdu) {
    this.d = describeTable(hdu);
    this.index = hdu.index;
    this.name = hdu.name;
    this.hduType = hduType(hdu);
    this.nRows = this.d.nRows;
    this.columns = this.d.columns.map(fitsColumnInfo);
    this.text = this.d.columns.map(fitsText);
  }

  async rowsAt(rows: ArrayLike<number>): Promise<TableCell[][]> {
    const wanted = [...new Set(Array.from(rows))].sort((a, b) => a - b);
    const got = new Map<number, TableCell[]>();
    for (const run of runs(wanted)) {
      const r = await readTableRows(this.file, this.hdu, { offset: run.start, limit: run.n, description: this.d });
      r.rows.forEach((row, k) => got.set(run.start + k, [...row]));
    }
    return Array.from(rows, (r) => got.get(r) as TableCell[]);
  }

  async *scan(): AsyncGenerator<RowChunk> {
    for await (const chunk of iterateTableChunks(this.file, this.hdu, { description: this.d, chunkBytes: 1024 * 1024 })) {
      yield { start: chunk.offset, rows: chunk.rows };
    }
  }

  async argsort(column: number, descending: boolean, subset?: Uint32Array): Promise<Uint32Array> {
    const col = this.d.columns[column] as TableColumn;
    checkSortable(this.columns[column] as ColumnInfo);
    if (isRealNumeric(col) && col.valueType !== 'int64' && col.valueType !== 'uint64') {
      // Only this column's values are kept: 8 bytes a row.
      const { values } = await readNumericColumn(this.file, this.hdu, col.index, { description: this.d, maxElements: this.nRows });
      return argsortNumbers(values, descending, subset);
    }
    if (col.code === 'A' && col.varLength === null && col.shape !== null && col.shape.length === 0 && this.hdu.kind === 'bintable') {
      // Only this column's bytes are kept (its width a row), sorted without a string per row.
      const w = col.byteWidth;
      const bytes = new Uint8Array(this.nRows * w);
      for await (const block of iterateRowBlocks(this.file, this.hdu, this.d, [col], { chunkBytes: 1024 * 1024 })) {
        for (let k = 0; k < block.n; k++) {
          const at = k * this.d.rowBytes + col.byteOffset;
          bytes.set(block.bytes.subarray(at, at + w), (block.start + k) * w);
        }
      }
      return argsortFixedStrings(bytes, w, descending, subset);
    }
    const keys: (TableCell | null)[] = new Array<TableCell | null>(this.nRows).fill(null);
    for await (const chunk of iterateTableChunks(this.file, this.hdu, { description: this.d, columns: [col.index] })) {
      chunk.rows.forEach((row, k) => {
        keys[chunk.offset + k] = row[0] as TableCell;
      });
    }
    return sortCells((r) => keys[r] as TableCell, this.nRows, descending, subset);
  }
}

function checkSortable(info: ColumnInfo): void {
  if (info.is_array) throw new TableError('TABLE_BAD_ARGUMENT', `Cannot sort by column '${info.name}': its cells are arrays`);
}

/** Sort any scalar cells: numbers/booleans as numbers, bigint, strings; null and NaN last. */
function sortCells(cell: (row: number) => TableCell, n: number, descending: boolean, subset?: Uint32Array): Promise<Uint32Array> {
  const key = (r: number): number | bigint | string | null => {
    const c = cell(r);
    if (c === null || isArrayCell(c)) return null;
    if (typeof c === 'number') return Number.isNaN(c) ? null : c;
    if (typeof c === 'boolean') return c ? 1 : 0;
    if (typeof c === 'bigint' || typeof c === 'string') return c;
    return Number.isNaN(c.re) ? null : c.re;
  };
  const compare = (a: number | bigint | string, b: number | bigint | string): number => {
    if (typeof a === 'string' || typeof b === 'string') {
      const x = String(a);
      const y = String(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    return a < b ? -1 : a > b ? 1 : 0;
  };
  return Promise.resolve(argsortBy(key, compare, n, descending, subset));
}

/** The cells of a logical ECSV column (a SkyCoord cell is "lon lat" in degrees, 6 decimals). */
function logicalCells(c: LogicalColumn, nRows: number): TableCell[] {
  if (c.kind === 'plain') return c.column.cells;
  if (c.kind === 'time') {
    if (c.value) return c.value.cells;
    const out: TableCell[] = [];
    for (let i = 0; i < nRows; i++) {
      const a = c.jd1?.cells[i];
      const b = c.jd2?.cells[i];
      out.push(typeof a === 'number' && typeof b === 'number' ? a + b : null);
    }
    return out;
  }
  const [lon, lat] = c.components;
  const out: TableCell[] = [];
  for (let i = 0; i < nRows; i++) {
    const a = lon?.column.cells[i];
    const b = lat?.column.cells[i];
    out.push(typeof a === 'number' && typeof b === 'number' ? `${a.toFixed(6)} ${b.toFixed(6)}` : null);
  }
  return out;
}

function ecsvColumnInfo(c: LogicalColumn): ColumnInfo {
  if (c.kind === 'skycoord') return { name: c.name, dtype: 'SkyCoord', unit: c.components[0]?.column.unit ?? 'deg', format: null, description: null, is_array: false, array_shape: null };
  if (c.kind === 'time') return { name: c.name, dtype: 'Time', unit: null, format: c.format, description: null, is_array: false, array_shape: null };
  const col: EcsvColumn = c.column;
  const fixed = col.shape.length > 0 && col.shape.every((d) => d !== null);
  return {
    name: c.name,
    dtype: numpyDtype(col),
    unit: col.unit,
    format: col.format,
    description: col.description,
    is_array: col.shape.length > 0,
    array_shape: fixed ? (col.shape as number[]) : null,
  };
}

class EcsvHandle implements TableHandle {
  readonly index = 0;
  readonly name: string;
  readonly hduType = 'ECSV';
  readonly nRows: number;
  readonly columns: ColumnInfo[];
  readonly text: CellTextOptions[];
  private readonly cells: TableCell[][];
  private readonly skyLon: (Float64Array | null)[];

  constructor(readonly table: EcsvTable, name: string) {
    this.name = name;
    this.nRows = table.nRows;
    this.columns = table.logical.map(ecsvColumnInfo);
    this.cells = table.logical.map((c) => logicalCells(c, table.nRows));
    this.text = table.logical.map((c) => {
      const t = c.kind === 'plain' ? c.column.elementType : c.kind === 'time' && !c.value ? 'float64' : c.kind === 'time' ? c.value?.elementType : 'string';
      return { real: t === 'float64' || t === 'float32' || t === 'float16' || t === 'float128', float32: t === 'float32' || t === 'float16' };
    });
    // A SkyCoord sorts by its longitude, then (stable) by table order.
    this.skyLon = table.logical.map((c) => (c.kind === 'skycoord' ? Float64Array.from(c.components[0]?.column.cells ?? [], (v) => (typeof v === 'number' ? v : Number.NaN)) : null));
  }

  rowsAt(rows: ArrayLike<number>): Promise<TableCell[][]> {
    return Promise.resolve(Array.from(rows, (r) => this.cells.map((col) => col[r] as TableCell)));
  }

  async *scan(): AsyncGenerator<RowChunk> {
    const step = 10_000;
    for (let start = 0; start < this.nRows; start += step) {
      const n = Math.min(step, this.nRows - start);
      yield { start, rows: await this.rowsAt(Array.from({ length: n }, (_, k) => start + k)) };
    }
  }

  argsort(column: number, descending: boolean, subset?: Uint32Array): Promise<Uint32Array> {
    checkSortable(this.columns[column] as ColumnInfo);
    const lon = this.skyLon[column];
    if (lon) return Promise.resolve(argsortNumbers(lon, descending, subset));
    const cells = this.cells[column] as TableCell[];
    return sortCells((r) => cells[r] as TableCell, this.nRows, descending, subset);
  }
}

/** Parsed ECSV files kept per worker thread (path + size + mtime), so paging does not re-parse. */
const ecsvCache = new Map<string, EcsvTable>();
const ECSV_CACHE_ENTRIES = 2;

async function loadEcsv(path: string, size: number, version: string): Promise<EcsvTable> {
  const key = `${path}\0${size}\0${version}`;
  const hit = ecsvCache.get(key);
  if (hit) return hit;
  let table: EcsvTable;
  try {
    table = parseEcsv((await readLocation(path)).toString('utf8'));
  } catch (err) {
    if (err instanceof TableError && err.code === 'TABLE_TOO_LARGE') throw err;
    const why = err instanceof TableError ? `: ${err.message}` : '';
    throw new TableError('TABLE_BAD_FORMAT', `File is not a readable ECSV table${why.replace(/^: File is not a readable ECSV table:?/, ':')}`);
  }
  ecsvCache.set(key, table);
  while (ecsvCache.size > ECSV_CACHE_ENTRIES) ecsvCache.delete(ecsvCache.keys().next().value as string);
  return table;
}

/** Open the tables of a FITS or ECSV file (`.ecsv` by name). The caller checks the sandbox. */
export async function openTables(path: string, options: OpenTablesOptions): Promise<OpenedTables> {
  const fileName = basename(path);
  if (isEcsvPath(path)) {
    // ECSV is text: read whole (a local file, or one GET of the object), its size bounded first.
    const st = await statLocation(path);
    // The same answer as a FITS file that is not there (the ENOENT of a local open).
    if (!st) throw new EngineError('IO_NOT_FOUND', catalogueMessage('IO_NOT_FOUND'), 404);
    const max = options.maxEcsvBytes ?? DEFAULT_MAX_ECSV_BYTES;
    if (st.size > max) throw new TableError('TABLE_TOO_LARGE', `ECSV file too large: ${(st.size / 1048576).toFixed(1)}MB exceeds the ${(max / 1048576).toFixed(1)}MB an ECSV table may have (it is read whole)`);
    const table = await loadEcsv(path, st.size, st.version);
    const handle = new EcsvHandle(table, fileName.replace(/\.ecsv$/i, ''));
    return {
      fileName,
      format: 'ecsv',
      hdus: [{ index: 0, name: handle.name, hduType: 'ECSV', table: true }],
      pixelAreaSr: typeof table.meta.PIXAR_SR === 'number' ? table.meta.PIXAR_SR : null,
      table(index) {
        if (index !== 0) throw new TableError('TABLE_BAD_ARGUMENT', `HDU index ${index} out of range (an ECSV file has one table, index 0)`);
        return handle;
      },
      close: () => Promise.resolve(),
    };
  }
  const file = await FitsFile.open(path, { maxFileBytes: options.maxFileBytes, maxExpansionRatio: options.maxExpansionRatio ?? 0 });
  const hdus = file.hdus.map((h) => ({ index: h.index, name: h.name, hduType: hduType(h), table: h.index > 0 && (h.kind === 'bintable' || h.kind === 'ascii-table') }));
  const pixar = file.hdus.map((h) => h.header.get('PIXAR_SR')).find((v) => typeof v === 'number');
  return {
    fileName,
    format: 'fits',
    hdus,
    pixelAreaSr: typeof pixar === 'number' ? pixar : null,
    table(index) {
      const entry = hdus[index];
      if (!Number.isInteger(index) || !entry) throw new TableError('TABLE_BAD_ARGUMENT', `HDU index ${index} out of range (file has ${hdus.length} HDUs)`);
      if (!entry.table) throw new TableError('TABLE_NOT_A_TABLE', `HDU ${index} is not a table (type: ${entry.hduType})`);
      return new FitsTable(file, file.hdus[index] as Hdu);
    },
    close: () => file.close(),
  };
}

