/**
 * JSON-safe views of table cells, rows and columns (for the HTTP layer).
 *
 * Conventions (docs/fits-tables.md):
 * - NaN -> null by default (NaN is "no data", like TNULL and logical nulls), or the string "NaN"
 *   with `nan: 'string'`; +/-Infinity -> the strings "Infinity" / "-Infinity".
 * - 64-bit integers -> a JSON number when exactly representable (|v| <= 2^53 - 1), else a string.
 * - Complex -> [re, im]; arrays -> nested arrays following the cell's C-order shape.
 * - Strings are already trimmed of trailing spaces (as astropy does).
 */
import type { ArrayCell, Complex, TableCell, TableColumn, TableDescription } from './types.js';
import type { TableRows } from './read.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface JsonOptions {
  readonly nan?: 'null' | 'string';
}

function jsonNumber(v: number, options: JsonOptions): JsonValue {
  if (Number.isNaN(v)) return options.nan === 'string' ? 'NaN' : null;
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return v;
}

function jsonBigint(v: bigint): JsonValue {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v.toString();
}

function jsonScalar(v: number | bigint | boolean | string | Complex | null, options: JsonOptions): JsonValue {
  if (v === null) return null;
  switch (typeof v) {
    case 'number':
      return jsonNumber(v, options);
    case 'bigint':
      return jsonBigint(v);
    case 'boolean':
    case 'string':
      return v;
    default:
      return [jsonNumber(v.re, options), jsonNumber(v.im, options)];
  }
}

function jsonArray(cell: ArrayCell, options: JsonOptions): JsonValue {
  const flat: JsonValue[] = [];
  const values = cell.values as ArrayLike<number | bigint | boolean | string | Complex | null>;
  for (let i = 0; i < values.length; i++) {
    flat.push(cell.nulls?.[i] ? null : jsonScalar(values[i] as number, options));
  }
  const shape = cell.shape;
  if (shape.length <= 1) return flat;
  // Nest from the fastest axis outwards.
  let level: JsonValue[] = flat;
  for (let axis = shape.length - 1; axis > 0; axis--) {
    const size = shape[axis] as number;
    const next: JsonValue[] = [];
    if (size === 0) {
      const count = shape.slice(0, axis).reduce((a, b) => a * b, 1);
      for (let i = 0; i < count; i++) next.push([]);
    } else {
      for (let i = 0; i < level.length; i += size) next.push(level.slice(i, i + size));
    }
    level = next;
  }
  return level;
}

export function isArrayCell(cell: TableCell): cell is ArrayCell {
  return typeof cell === 'object' && cell !== null && 'shape' in cell;
}

/** One cell as a JSON-safe value. */
export function cellToJson(cell: TableCell, options: JsonOptions = {}): JsonValue {
  return isArrayCell(cell) ? jsonArray(cell, options) : jsonScalar(cell, options);
}

/** Unique JSON keys for columns: the name, or `name#index` for a repeated name (as REFERENCE.json). */
export function columnKeys(columns: readonly TableColumn[]): string[] {
  const seen = new Set<string>();
  return columns.map((c) => {
    const key = seen.has(c.name) ? `${c.name}#${c.index}` : c.name;
    seen.add(key);
    return key;
  });
}

/** Rows as JSON objects keyed by column name. */
export function rowsToJson(result: TableRows, options: JsonOptions = {}): Record<string, JsonValue>[] {
  const keys = columnKeys(result.columns);
  return result.rows.map((row) => {
    const obj: Record<string, JsonValue> = {};
    row.forEach((cell, j) => {
      obj[keys[j] as string] = cellToJson(cell, options);
    });
    return obj;
  });
}

/** Column metadata as JSON (names follow REFERENCE.json: format, unit, null, bscale, bzero, disp, dim, start). */
export function columnToJson(col: TableColumn): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {
    index: col.index,
    name: col.name,
    format: col.tform,
    type: col.valueType,
    shape: col.shape === null ? null : [...col.shape],
    variable_length: col.varLength !== null,
  };
  if (col.ttype === null) out.ttype_missing = true;
  if (col.unit !== null) out.unit = col.unit;
  if (col.tnull !== null) out.null = typeof col.tnull === 'bigint' ? jsonBigint(col.tnull) : col.tnull;
  if (col.tscal !== 1 || col.tzero !== 0) {
    out.bscale = col.tscal;
    out.bzero = col.tzero;
  }
  if (col.disp !== null) out.disp = col.disp;
  if (col.dim !== null) out.dim = `(${col.dim.join(',')})`;
  if (col.start !== undefined) out.start = col.start;
  return out;
}

export function describeToJson(d: TableDescription): Record<string, JsonValue> {
  return {
    kind: d.kind,
    n_rows: d.nRows,
    row_bytes: d.rowBytes,
    heap_bytes: d.pcount,
    columns: d.columns.map(columnToJson),
    warnings: [...d.warnings],
  };
}
