/**
 * Cell values as text and as JSON for the table routes.
 *
 * `pyStr` is the string form Python gives a cell (str() of the numpy scalar): what upstream's
 * search matches against, so "1e-05" finds 0.00001 as it does there. `displayJson` is what
 * /analysis/table-data returns for a cell: masked/NaN/Inf -> null, 64-bit integers exact (a string
 * beyond 2^53), arrays as their string form cut to 100 characters.
 */
import type { ArrayCell, Complex, TableCell } from '../fits/table/types.js';
import { isArrayCell } from '../fits/table/json.js';

/**
 * Python's repr of a float from its shortest round-trip digits: positional when
 * 1e-4 <= |value| < 1e16, else scientific (numpy's str of float32 and float64 scalars compares
 * the value itself, so float32's 0.0001, just below 1e-4, prints 1e-04).
 */
function formatShortest(mantissa: string, exp: number, negative: boolean, positional: boolean): string {
  const digits = mantissa.replace('.', '');
  let out: string;
  if (positional) {
    if (exp < 0) out = `0.${'0'.repeat(-exp - 1)}${digits}`;
    else if (digits.length <= exp + 1) out = `${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
    else out = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  } else {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    out = `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return negative ? `-${out}` : out;
}

function nonFinite(v: number): string | null {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return null;
}

const positional = (a: number): boolean => a >= 1e-4 && a < 1e16;

/** str(float) in Python / numpy float64. */
export function pyFloat(v: number): string {
  const nf = nonFinite(v);
  if (nf !== null) return nf;
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const a = Math.abs(v);
  if (positional(a)) {
    // JS prints these positionally with the same shortest round-trip digits; Python adds '.0' to integral values.
    const s = String(v);
    return Number.isInteger(v) ? `${s}.0` : s;
  }
  const [m, e] = a.toExponential().split('e') as [string, string];
  return formatShortest(m, Number(e), v < 0, false);
}

/** str(np.float32(v)): the shortest digits that round-trip through float32. */
export function pyFloat32(v: number): string {
  const nf = nonFinite(v);
  if (nf !== null) return nf;
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const a = Math.abs(v);
  for (let p = 1; p <= 9; p++) {
    const s = a.toExponential(p - 1);
    if (Math.fround(Number(s)) === a) {
      const [m, e] = s.split('e') as [string, string];
      return formatShortest(m.replace(/\.?0+$/, '') || '0', Number(e), v < 0, positional(a));
    }
  }
  return pyFloat(v);
}

function complexStr(c: Complex): string {
  const im = c.im < 0 || Object.is(c.im, -0) ? `-${pyFloat(-c.im)}` : `+${pyFloat(c.im)}`;
  return `(${pyFloat(c.re)}${im}j)`.replace(/\.0([+-j])/g, '$1');
}

/** Scalar text. Numbers of real columns print as floats (1.0), float32 with float32's digits. */
export function scalarStr(v: number | bigint | boolean | string | Complex | null, o: CellTextOptions = {}): string {
  if (v === null) return '--';
  switch (typeof v) {
    case 'number':
      if (o.float32) return pyFloat32(v);
      return o.real || !Number.isInteger(v) || Object.is(v, -0) ? pyFloat(v) : String(v);
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v ? 'True' : 'False';
    case 'string':
      return v;
    default:
      return complexStr(v);
  }
}

/** numpy-like text of an array cell: [a b c], nested by the shape; masked elements '--'. */
export function arrayStr(cell: ArrayCell, float32 = false): string {
  const values = cell.values as ArrayLike<number | bigint | boolean | string | Complex | null>;
  const isReal = cell.values instanceof Float32Array || cell.values instanceof Float64Array;
  const f32 = float32 || cell.values instanceof Float32Array;
  const el = (i: number): string => {
    if (cell.nulls?.[i]) return '--';
    const v = values[i] as number;
    if (typeof v === 'string') return `'${v}'`;
    return scalarStr(v, { real: isReal, float32: f32 });
  };
  const shape = cell.shape.length ? cell.shape : [values.length];
  let pos = 0;
  const build = (axis: number): string => {
    const n = shape[axis] as number;
    const parts: string[] = [];
    for (let k = 0; k < n; k++) parts.push(axis === shape.length - 1 ? el(pos++) : build(axis + 1));
    return `[${parts.join(' ')}]`;
  };
  return build(0);
}

export interface CellTextOptions {
  /** The column holds real numbers (integral values print as 1.0, as numpy floats do). */
  readonly real?: boolean;
  readonly float32?: boolean;
}

/** str() of a cell as Python prints it. */
export function pyStr(cell: TableCell, o: CellTextOptions = {}): string {
  return isArrayCell(cell) ? arrayStr(cell, o.float32) : scalarStr(cell, o);
}

export type DisplayValue = string | number | boolean | null;

const MAX_ARRAY_TEXT = 100;

/** A cell as /analysis/table-data returns it. */
export function displayJson(cell: TableCell, o: CellTextOptions = {}): DisplayValue {
  if (cell === null) return null;
  if (isArrayCell(cell)) return arrayStr(cell, o.float32).slice(0, MAX_ARRAY_TEXT);
  switch (typeof cell) {
    case 'number':
      return Number.isFinite(cell) ? cell : null;
    case 'bigint':
      return cell >= -9007199254740991n && cell <= 9007199254740991n ? Number(cell) : cell.toString();
    case 'boolean':
    case 'string':
      return cell;
    default:
      return complexStr(cell);
  }
}
