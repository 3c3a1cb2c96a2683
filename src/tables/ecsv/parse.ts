/**
 * Reading astropy's ECSV (Enhanced Character Separated Values, format 1.0): the `# %ECSV` line,
 * the YAML header (datatype list with units, formats, descriptions, meta, subtypes; table meta;
 * delimiter; schema), the column-name line and the data lines. Mixin columns that astropy
 * serialises into several stored columns (SkyCoord, Time, Quantity) are rebuilt as it does on
 * read (`meta.__serialized_columns__`). See docs/fits-tables.md.
 */
import { loadYaml } from './yaml.js';
import type { ArrayCell, TableCell } from '../../fits/table/types.js';
import { TableError } from '../errors.js';
import { parsePyJson, type PyJson } from './json-values.js';
import { splitEcsvLine } from './split.js';
import { convertScalar, isFloatType, isIntegerType, toBoolean, toFloat, toInteger } from './values.js';
import { ECSV_DATATYPES, type EcsvColumn, type EcsvDatatype, type EcsvMeta, type EcsvTable, type LogicalColumn } from './types.js';

export interface ParseEcsvOptions {
  /** Refuse (TABLE_TOO_LARGE) tables with more cells than this. Default 50 million. */
  readonly maxCells?: number;
  /** Refuse cells of array subtypes with more elements than this in total. Default 50 million. */
  readonly maxElements?: number;
}

const DEFAULT_MAX_CELLS = 50_000_000;

function bad(message: string): never {
  throw new TableError('TABLE_BAD_FORMAT', message);
}

/** YAML values to plain JSON-like data (omap -> object, Map -> object). */
function plain(v: unknown): PyJson {
  if (v instanceof Map) {
    const out: { [k: string]: PyJson } = {};
    for (const [k, x] of v) out[String(k)] = plain(x);
    return out;
  }
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Date) return v.toISOString();
  if (v !== null && typeof v === 'object') {
    const out: { [k: string]: PyJson } = {};
    for (const [k, x] of Object.entries(v)) out[k] = plain(x);
    return out;
  }
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'bigint' || v === null) return v;
  return v === undefined ? null : String(v);
}

interface HeaderColumn {
  name: string;
  datatype: EcsvDatatype;
  subtype: string | null;
  unit: string | null;
  format: string | null;
  description: string | null;
  meta: EcsvMeta | null;
}

interface Header {
  version: string;
  delimiter: ' ' | ',';
  columns: HeaderColumn[];
  meta: EcsvMeta;
  schema: string | null;
}

function str(v: PyJson | undefined): string | null {
  if (v === undefined || v === null) return null;
  return typeof v === 'string' ? v : String(v);
}

function isObject(v: PyJson | undefined): v is { [key: string]: PyJson } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseHeader(lines: readonly string[]): Header {
  const first = lines[0] ?? '';
  const m = /^#\s*%ECSV\s+(\d+\.\d+)\s*$/.exec(first);
  if (!m) bad('File is not a readable ECSV table: the first line must be "# %ECSV <version>"');
  const version = m[1] as string;
  if (!version.startsWith('0.') && !version.startsWith('1.')) bad(`ECSV version ${version} is not supported (1.0 is)`);
  const yamlLines: string[] = [];
  let started = false;
  for (const line of lines.slice(1)) {
    const body = line === '#' ? '' : line.startsWith('# ') ? line.slice(2) : bad('ECSV header lines must start with "# "');
    if (!started) {
      if (body.trim() === '---') started = true;
      continue;
    }
    yamlLines.push(body);
  }
  if (!started) bad('ECSV header has no "---" line');
  const doc = loadYaml().parseDocument(yamlLines.join('\n'), { customTags: ['omap'], uniqueKeys: false });
  if (doc.errors.length > 0) bad(`ECSV header is not valid YAML: ${doc.errors[0]?.message.split('\n')[0] ?? ''}`);
  const y = plain(doc.toJS({ maxAliasCount: 1000 }));
  if (!isObject(y)) bad('ECSV header must be a YAML mapping');
  const datatype = y.datatype;
  if (!Array.isArray(datatype)) bad('ECSV header has no "datatype" list');
  const columns = datatype.map((c, i): HeaderColumn => {
    if (!isObject(c) || typeof c.name !== 'string' && typeof c.name !== 'number') bad(`datatype entry ${i + 1} has no name`);
    const dt = str(c.datatype);
    if (dt === null || !(ECSV_DATATYPES as readonly string[]).includes(dt)) bad(`datatype '${dt}' of column '${String(c.name)}' is not an ECSV datatype`);
    return {
      name: String(c.name),
      datatype: dt as EcsvDatatype,
      subtype: str(c.subtype),
      unit: str(c.unit),
      format: str(c.format),
      description: str(c.description),
      meta: isObject(c.meta) ? c.meta : null,
    };
  });
  const delimiter = str(y.delimiter) ?? ' ';
  if (delimiter !== ' ' && delimiter !== ',') bad(`ECSV delimiter must be a space or a comma, got '${delimiter}'`);
  const meta = isObject(y.meta) ? y.meta : {};
  return { version, delimiter, columns, meta, schema: str(y.schema) };
}

interface Subtype {
  element: EcsvDatatype | 'json';
  shape: (number | null)[];
}

function parseSubtype(c: HeaderColumn): Subtype {
  if (c.subtype === null) return { element: c.datatype, shape: [] };
  if (c.subtype === 'json') return { element: 'json', shape: [] };
  const m = /^(\w+)\[([\d\s,null]*)\]$/.exec(c.subtype);
  if (!m || !(ECSV_DATATYPES as readonly string[]).includes(m[1] as string)) {
    // astropy warns and keeps such columns as strings.
    return { element: c.datatype, shape: [] };
  }
  const shape = (m[2] as string).split(',').map((d) => d.trim()).filter((d) => d !== '').map((d) => (d === 'null' ? null : Number(d)));
  return { element: m[1] as EcsvDatatype, shape };
}

function typedArray(type: EcsvDatatype, n: number): ArrayCell['values'] {
  switch (type) {
    case 'int8':
      return new Int8Array(n);
    case 'int16':
      return new Int16Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'int64':
      return new BigInt64Array(n);
    case 'uint8':
      return new Uint8Array(n);
    case 'uint16':
      return new Uint16Array(n);
    case 'uint32':
      return new Uint32Array(n);
    case 'uint64':
      return new BigUint64Array(n);
    case 'float16':
    case 'float32':
      return new Float32Array(n);
    case 'float64':
    case 'float128':
      return new Float64Array(n);
    default:
      return new Array<never>(n);
  }
}

/** Flatten a JSON cell of an array subtype; the shape is checked against the subtype. */
function arrayCell(json: PyJson, sub: Subtype, column: string, row: number): ArrayCell {
  const shape: number[] = [];
  const flat: PyJson[] = [];
  const walk = (v: PyJson, depth: number): void => {
    if (depth === sub.shape.length) {
      flat.push(v);
      return;
    }
    if (!Array.isArray(v)) throw new TableError('TABLE_BAD_DATA', `column '${column}', data row ${row + 1}: the cell does not have the shape of ${sub.element}[${sub.shape.map((d) => d ?? 'null').join(',')}]`);
    const want = sub.shape[depth];
    if (shape.length === depth) shape.push(v.length);
    if ((want !== null && want !== undefined && v.length !== want) || v.length !== shape[depth]) {
      throw new TableError('TABLE_BAD_DATA', `column '${column}', data row ${row + 1}: axis ${depth} has ${v.length} elements, expected ${want ?? shape[depth]}`);
    }
    for (const x of v) walk(x, depth + 1);
  };
  walk(json, 0);
  while (shape.length < sub.shape.length) shape.push(0);
  const type = sub.element as EcsvDatatype;
  const values = typedArray(type, flat.length);
  let nulls: Uint8Array | undefined;
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i] as PyJson;
    if (v === null) {
      nulls ??= new Uint8Array(flat.length);
      nulls[i] = 1;
      if (type === 'string') (values as string[])[i] = '';
      else if (type === 'bool') (values as (boolean | null)[])[i] = null;
      else if (isFloatType(type)) (values as Float64Array)[i] = Number.NaN;
      continue;
    }
    if (typeof v === 'object') throw new TableError('TABLE_BAD_DATA', `column '${column}', data row ${row + 1}: nested value where a ${type} was expected`);
    if (type === 'string') (values as string[])[i] = String(v);
    else if (type === 'bool') (values as (boolean | null)[])[i] = toBoolean(typeof v === 'bigint' ? Number(v) : v, column, row);
    else if (isIntegerType(type)) {
      const x = toInteger(type, typeof v === 'boolean' ? Number(v) : v, column, row);
      if (type === 'int64' || type === 'uint64') (values as BigInt64Array)[i] = x as bigint;
      else (values as Int32Array)[i] = x as number;
    } else (values as Float64Array)[i] = toFloat(type, typeof v === 'boolean' ? Number(v) : v, column, row);
  }
  return nulls ? { shape, values, nulls } : { shape, values };
}

function convertCell(field: string, c: HeaderColumn, sub: Subtype, row: number): TableCell {
  if (field === '') return null; // astropy reads an empty field as masked, whatever the type
  if (sub.element === 'json') {
    parsePyJson(field); // validated; kept as text (object cells have no typed form)
    return field;
  }
  if (sub.shape.length > 0) {
    const big = sub.element === 'int64' || sub.element === 'uint64';
    return arrayCell(parsePyJson(field, big), sub, c.name, row);
  }
  return convertScalar(c.datatype, field, c.name, row);
}

/** Parse a whole ECSV text. */
export function parseEcsv(text: string, options: ParseEcsvOptions = {}): EcsvTable {
  const lines = text.split(/\r?\n/);
  let h = 0;
  while (h < lines.length && (lines[h] as string).startsWith('#')) h++;
  const header = parseHeader(lines.slice(0, h));
  const subs = header.columns.map(parseSubtype);
  // The first non-blank, non-comment line after the header names the columns.
  let i = h;
  while (i < lines.length && ((lines[i] as string).trim() === '' || /^\s*#/.test(lines[i] as string))) i++;
  const names = i < lines.length ? splitEcsvLine(lines[i] as string, header.delimiter, i + 1) : [];
  const expected = header.columns.map((c) => c.name);
  if (names.length !== expected.length || names.some((n, k) => n !== expected[k])) {
    bad(`column names from the ECSV header (${expected.join(', ')}) do not match the names in the data (${names.join(', ')})`);
  }
  const maxCells = options.maxCells ?? DEFAULT_MAX_CELLS;
  const cells: TableCell[][] = header.columns.map(() => []);
  let nRows = 0;
  for (i++; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '' || /^\s*#/.test(line)) continue;
    const fields = splitEcsvLine(line, header.delimiter, i + 1);
    if (fields.length !== header.columns.length) {
      throw new TableError('TABLE_BAD_DATA', `line ${i + 1}: ${fields.length} fields, the header has ${header.columns.length} columns`);
    }
    if ((nRows + 1) * header.columns.length > maxCells) throw new TableError('TABLE_TOO_LARGE', `the ECSV table has more than ${maxCells} cells`);
    for (let k = 0; k < fields.length; k++) {
      (cells[k] as TableCell[]).push(convertCell(fields[k] as string, header.columns[k] as HeaderColumn, subs[k] as Subtype, nRows));
    }
    nRows++;
  }
  const columns: EcsvColumn[] = header.columns.map((c, k) => ({
    name: c.name,
    datatype: c.datatype,
    subtype: c.subtype,
    elementType: (subs[k] as Subtype).element,
    shape: (subs[k] as Subtype).shape,
    unit: c.unit,
    format: c.format,
    description: c.description,
    meta: c.meta,
    cells: cells[k] as TableCell[],
  }));
  const { __serialized_columns__: serialized, ...meta } = header.meta;
  return {
    version: header.version,
    delimiter: header.delimiter,
    nRows,
    columns,
    logical: rebuildMixins(columns, isObject(serialized) ? serialized : {}),
    meta,
    schema: header.schema,
  };
}

/** The stored column a SerializedColumn node names ({name} or {value: {name}}). */
function serializedName(node: PyJson | undefined): string | null {
  if (!isObject(node)) return null;
  if (typeof node.name === 'string' && node.__class__ === undefined) return node.name;
  return serializedName(node.value);
}

const SKY_COMPONENTS = ['ra', 'dec', 'l', 'b', 'lon', 'lat', 'distance', 'x', 'y', 'z', 'pm_ra_cosdec', 'pm_dec', 'radial_velocity'];

/** Replace stored columns by the mixins `__serialized_columns__` describes, at the first one's place. */
function rebuildMixins(columns: readonly EcsvColumn[], serialized: { [key: string]: PyJson }): LogicalColumn[] {
  const byName = new Map(columns.map((c) => [c.name, c]));
  const owner = new Map<string, LogicalColumn>();
  const used = new Set<string>();
  for (const [name, spec] of Object.entries(serialized)) {
    if (!isObject(spec)) continue;
    const cls = String(spec.__class__ ?? '');
    const col = (key: string): EcsvColumn | null => {
      const n = serializedName(spec[key]);
      return n !== null ? byName.get(n) ?? null : null;
    };
    let mixin: LogicalColumn | null = null;
    if (cls.endsWith('SkyCoord')) {
      const components = Object.keys(spec)
        .filter((k) => serializedName(spec[k]) !== null)
        .sort((a, b) => (SKY_COMPONENTS.indexOf(a) + 100) % 100 - (SKY_COMPONENTS.indexOf(b) + 100) % 100)
        .flatMap((k) => {
          const c = col(k);
          return c ? [{ name: k, column: c }] : [];
        });
      if (components.length >= 2) mixin = { kind: 'skycoord', name, frame: str(spec.frame) ?? 'icrs', components };
    } else if (cls.endsWith('.Time')) {
      const value = col('value');
      const jd1 = col('jd1');
      const jd2 = col('jd2');
      if (value || (jd1 && jd2)) mixin = { kind: 'time', name, format: str(spec.format) ?? 'jd', scale: str(spec.scale) ?? 'utc', value, jd1, jd2 };
    } else {
      const value = col('value');
      if (value) mixin = { kind: 'plain', name, column: value.name === name ? value : { ...value, name }, mixin: cls.split('.').pop() ?? null };
    }
    if (!mixin) continue;
    const stored = Object.keys(spec).map((k) => serializedName(spec[k])).filter((n): n is string => n !== null && byName.has(n));
    for (const n of stored) {
      used.add(n);
      if (!owner.has(n)) owner.set(n, mixin);
    }
  }
  const out: LogicalColumn[] = [];
  const placed = new Set<LogicalColumn>();
  for (const c of columns) {
    const m = owner.get(c.name);
    if (m) {
      if (!placed.has(m)) {
        placed.add(m);
        out.push(m);
      }
    } else if (!used.has(c.name)) out.push({ kind: 'plain', name: c.name, column: c, mixin: null });
  }
  return out;
}
