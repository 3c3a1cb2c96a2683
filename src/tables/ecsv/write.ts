/**
 * Writing ECSV 1.0 that astropy reads back equal (checked: test/fixtures/ecsv/written/): scalar
 * columns of the ECSV datatypes, masked values as "" , floats as Python's repr, the YAML header
 * with units, formats, descriptions and table meta. `catalogToEcsv` turns the engine's catalogue
 * rows (find_stars, segmentation, detect-sources) into such a table.
 */
import type { YAMLMap, YAMLSeq } from 'yaml';
import { loadYaml } from './yaml.js';
import { TableError } from '../errors.js';
import { pyFloat } from '../pystr.js';
import { quoteEcsvField } from './split.js';
import type { EcsvDatatype } from './types.js';

export type EcsvScalar = number | bigint | boolean | string | null;

export interface EcsvWriteColumn {
  readonly name: string;
  readonly datatype: EcsvDatatype;
  readonly values: ArrayLike<EcsvScalar>;
  readonly unit?: string;
  readonly format?: string;
  readonly description?: string;
}

export interface EcsvWriteTable {
  readonly columns: readonly EcsvWriteColumn[];
  readonly meta?: Record<string, unknown>;
  readonly delimiter?: ' ' | ',';
}

function field(v: EcsvScalar, c: EcsvWriteColumn, delimiter: ' ' | ','): string {
  if (v === null) return '""';
  switch (c.datatype) {
    case 'bool':
      return v ? 'True' : 'False';
    case 'string':
      return quoteEcsvField(String(v), delimiter);
    case 'float16':
    case 'float32':
    case 'float64':
    case 'float128':
      return pyFloat(Number(v));
    default:
      if (typeof v === 'bigint') return v.toString();
      if (typeof v !== 'number' || !Number.isInteger(v)) throw new TableError('TABLE_BAD_ARGUMENT', `column '${c.name}' (${c.datatype}): ${String(v)} is not an integer`);
      return String(v);
  }
}

export function writeEcsv(table: EcsvWriteTable): string {
  const delimiter = table.delimiter ?? ' ';
  const n = table.columns[0]?.values.length ?? 0;
  for (const c of table.columns) {
    if (c.values.length !== n) throw new TableError('TABLE_BAD_ARGUMENT', `column '${c.name}' has ${c.values.length} values, the first column ${n}`);
  }
  const header: Record<string, unknown> = {
    datatype: table.columns.map((c) => ({
      name: c.name,
      ...(c.unit ? { unit: c.unit } : {}),
      datatype: c.datatype,
      ...(c.format ? { format: c.format } : {}),
      ...(c.description ? { description: c.description } : {}),
    })),
  };
  if (delimiter !== ' ') header.delimiter = delimiter;
  if (table.meta && Object.keys(table.meta).length) header.meta = table.meta;
  header.schema = 'astropy-2.0';
  const doc = new (loadYaml().Document)(header);
  const list = doc.get('datatype') as YAMLSeq;
  for (const item of list.items) (item as YAMLMap).flow = true;
  const yaml = doc.toString({ lineWidth: 0 }).trimEnd();
  const lines = ['# %ECSV 1.0', '# ---', ...yaml.split('\n').map((l) => `# ${l}`.trimEnd())];
  lines.push(table.columns.map((c) => quoteEcsvField(c.name, delimiter)).join(delimiter));
  for (let i = 0; i < n; i++) lines.push(table.columns.map((c) => field(c.values[i] ?? null, c, delimiter)).join(delimiter));
  return `${lines.join('\n')}\n`;
}

/**
 * Catalogue rows (objects of numbers, strings, booleans, null) as an ECSV table: the column order
 * of the first row, datatypes inferred (integers -> int64, other numbers -> float64), units by name.
 */
export function catalogToEcsv(rows: readonly Record<string, unknown>[], o: { units?: Record<string, string>; meta?: Record<string, unknown> } = {}): string {
  const names: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!names.includes(k)) names.push(k);
  const columns: EcsvWriteColumn[] = names.map((name) => {
    const values = rows.map((r) => {
      const v = r[name];
      if (v === undefined || v === null) return null;
      if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' || typeof v === 'string') return v;
      return JSON.stringify(v);
    });
    const present = values.filter((v) => v !== null);
    let datatype: EcsvDatatype = 'string';
    if (present.length && present.every((v) => typeof v === 'boolean')) datatype = 'bool';
    else if (present.length && present.every((v) => typeof v === 'bigint' || (typeof v === 'number' && Number.isSafeInteger(v)))) datatype = 'int64';
    else if (present.length && present.every((v) => typeof v === 'number' || typeof v === 'bigint')) datatype = 'float64';
    else if (!present.length) datatype = 'float64';
    const unit = o.units?.[name];
    return { name, datatype, values: datatype === 'string' ? values.map((v) => (v === null ? null : String(v))) : values, ...(unit ? { unit } : {}) };
  });
  return writeEcsv({ columns, meta: o.meta });
}
