/**
 * The upstream table viewer's operations over a TableHandle: table-info, and table-data's search
 * -> sort -> page (`_table_page`), in bounded memory: search streams the rows in chunks keeping
 * only the matching row numbers (4 bytes each); a sort reads only its column, argsorts it, then
 * reads only the page's rows.
 */
import type { TableCell } from '../fits/table/types.js';
import { TableError } from './errors.js';
import { displayJson, pyStr, type CellTextOptions, type DisplayValue } from './pystr.js';
import type { ColumnInfo, OpenedTables, TableHandle } from './source.js';

export const MAX_PAGE_SIZE = 500;
/** Cells a search may look at (rows x columns); beyond, 413. */
export const DEFAULT_MAX_SEARCH_CELLS = 200_000_000;
/** Search terms longer than this are refused (they cannot match a printed cell anyway). */
export const MAX_SEARCH_LENGTH = 200;

export interface TableHduInfo {
  index: number;
  name: string;
  hdu_type: string;
  n_rows: number;
  n_columns: number;
  columns: ColumnInfo[];
}

export interface TableInfo {
  file_name: string;
  table_hdus: TableHduInfo[];
}

export function tableInfo(opened: OpenedTables): TableInfo {
  const table_hdus = opened.hdus.filter((h) => h.table).map((h) => {
    const t = opened.table(h.index);
    return { index: t.index, name: t.name, hdu_type: t.hduType, n_rows: t.nRows, n_columns: t.columns.length, columns: [...t.columns] };
  });
  return { file_name: opened.fileName, table_hdus };
}

export interface PageRequest {
  readonly page: number;
  readonly pageSize: number;
  readonly sortColumn?: string | null;
  readonly sortDirection?: string | null;
  readonly search?: string | null;
  readonly maxSearchCells?: number;
}

export interface TablePage {
  hdu_index: number;
  hdu_name: string;
  total_rows: number;
  total_columns: number;
  page: number;
  page_size: number;
  columns: ColumnInfo[];
  rows: Record<string, DisplayValue>[];
  /** 0-based row numbers of `rows` in the table (for linking a row to the image). */
  row_numbers: number[];
  sort_column: string | null;
  sort_direction: 'asc' | 'desc';
  search: string | null;
}

export function findColumnIndex(columns: readonly ColumnInfo[], name: string): number {
  let i = columns.findIndex((c) => c.name === name);
  if (i < 0) i = columns.findIndex((c) => c.name.toLowerCase() === name.toLowerCase());
  if (i < 0) throw new TableError('TABLE_BAD_ARGUMENT', `Column '${name}' not found (columns: ${columns.map((c) => c.name).join(', ').slice(0, 500)})`);
  return i;
}

/** Could the printed form of this column's cells contain `term`? (Skips number columns for words.) */
function mayContain(info: ColumnInfo, text: CellTextOptions, term: string): boolean {
  if (info.is_array || info.dtype === 'SkyCoord') return true;
  const numeric = text.real === true || /^(u?int\d+|[BIJK]|\d*[BIJKED]|[IFED]\d.*)$/.test(info.dtype);
  return !numeric || /^[-+0-9.e naif]*$/.test(term);
}

export function cellMatches(cell: TableCell, text: CellTextOptions, term: string): boolean {
  return pyStr(cell, text).toLowerCase().includes(term);
}

async function searchRows(t: TableHandle, term: string, maxCells: number): Promise<Uint32Array> {
  const cols = t.columns.map((c, j) => mayContain(c, t.text[j] ?? {}, term));
  const active = cols.filter(Boolean).length;
  if (t.nRows * active > maxCells) {
    throw new TableError('TABLE_TOO_LARGE', `Search would look at ${t.nRows * active} cells, more than the ${maxCells} allowed; sort or page instead`);
  }
  let out = new Uint32Array(1024);
  let n = 0;
  for await (const chunk of t.scan()) {
    chunk.rows.forEach((row, k) => {
      for (let j = 0; j < row.length; j++) {
        if (cols[j] && cellMatches(row[j] as TableCell, t.text[j] ?? {}, term)) {
          if (n === out.length) {
            const grown = new Uint32Array(out.length * 2);
            grown.set(out);
            out = grown;
          }
          out[n++] = chunk.start + k;
          return;
        }
      }
    });
  }
  return out.slice(0, n);
}

export interface RowOrder {
  /** Rows after the search. */
  readonly total: number;
  /** Row numbers in display order, or undefined for table order. */
  readonly order: Uint32Array | undefined;
  readonly sortIndex: number;
  readonly descending: boolean;
  readonly term: string;
}

/** Search, then sort: which rows, in which order (shared by table-data and the CLI). */
export async function orderRows(t: TableHandle, req: Pick<PageRequest, 'sortColumn' | 'sortDirection' | 'search' | 'maxSearchCells'>): Promise<RowOrder> {
  const term = (req.search ?? '').trim().toLowerCase();
  const descending = req.sortDirection === 'desc';
  const sortIndex = req.sortColumn ? findColumnIndex(t.columns, req.sortColumn) : -1;
  const matches = term ? await searchRows(t, term, req.maxSearchCells ?? DEFAULT_MAX_SEARCH_CELLS) : undefined;
  const total = matches ? matches.length : t.nRows;
  const order = sortIndex >= 0 ? await t.argsort(sortIndex, descending, matches) : matches;
  return { total, order, sortIndex, descending, term };
}

/** Rows [from, to) of an ordering as display objects keyed by column name. */
export async function displayRows(t: TableHandle, o: RowOrder, from: number, to: number): Promise<{ rowNumbers: number[]; rows: Record<string, DisplayValue>[] }> {
  const rowNumbers: number[] = [];
  for (let i = from; i < Math.min(to, o.total); i++) rowNumbers.push(o.order ? (o.order[i] as number) : i);
  const cells = await t.rowsAt(rowNumbers);
  const rows = cells.map((row) => {
    const obj: Record<string, DisplayValue> = {};
    t.columns.forEach((c, j) => {
      obj[c.name] = displayJson(row[j] as TableCell, t.text[j]);
    });
    return obj;
  });
  return { rowNumbers, rows };
}

export async function tablePage(t: TableHandle, req: PageRequest): Promise<TablePage> {
  if (!Number.isInteger(req.pageSize) || req.pageSize < 1 || req.pageSize > MAX_PAGE_SIZE) throw new TableError('TABLE_BAD_ARGUMENT', `page_size must be between 1 and ${MAX_PAGE_SIZE}`);
  if (!Number.isInteger(req.page) || req.page < 0) throw new TableError('TABLE_BAD_ARGUMENT', 'page must be >= 0');
  const o = await orderRows(t, req);
  const { total, sortIndex, descending, term } = o;
  const lastPage = Math.max(0, Math.ceil(total / req.pageSize) - 1);
  const page = Math.min(req.page, lastPage);
  const from = page * req.pageSize;
  const { rowNumbers, rows } = await displayRows(t, o, from, from + req.pageSize);
  return {
    hdu_index: t.index,
    hdu_name: t.name,
    total_rows: total,
    total_columns: t.columns.length,
    page,
    page_size: req.pageSize,
    columns: [...t.columns],
    rows,
    row_numbers: rowNumbers,
    sort_column: sortIndex >= 0 ? (t.columns[sortIndex] as ColumnInfo).name : null,
    sort_direction: descending ? 'desc' : 'asc',
    search: term ? (req.search ?? '').trim() : null,
  };
}
