/**
 * Per-column statistics over a whole table, computed in bounded-memory chunks: min, max, mean and
 * the number of NaN elements, over every element of fixed-width numeric columns (vectors
 * included), as float64 physical values. Matches REFERENCE.json's `column_stats` (astropy) with
 * `nulls: 'raw'`; with the default `nulls: 'mask'` TNULL values are left out and counted apart.
 */
import { resolveHdu } from '../hdu-ref.js';
import { decodeAsciiCell } from './decode-ascii.js';
import { decodeNumericBlock, decodeNumericColumnInto } from './decode-binary.js';
import { describeTable, isRealNumeric, numericCellElements } from './describe.js';
import { isArrayCell } from './json.js';
import { iterateRowBlocks } from './read.js';
import type { HduRef, TableSource, NullMode, TableCell, TableColumn, TableDescription, TableHduLike } from './types.js';

export interface ColumnStats {
  readonly min: number | null;
  readonly max: number | null;
  readonly mean: number | null;
  readonly nan_count: number;
  /** Elements equal to TNULL (only with nulls: 'mask'). */
  readonly null_count: number;
  /** Elements that took part in min/max/mean. */
  readonly count: number;
}

/** Columns that get statistics: fixed-width numeric columns with at least one element per row. */
export function statsColumns(d: TableDescription): TableColumn[] {
  return d.columns.filter((c) => c.varLength === null && isRealNumeric(c) && c.repeat > 0 && c.byteWidth > 0);
}

class Accumulator {
  min = Infinity;
  max = -Infinity;
  // Compensated sum (sum + comp): close to numpy's pairwise sum for any length. comp collects the
  // exact rounding error of each addition (TwoSum, branch-free: the error Neumaier's branch gives).
  sum = 0;
  comp = 0;
  count = 0;
  nan = 0;
  nulls = 0;

  add(v: number): void {
    if (Number.isNaN(v)) {
      this.nan++;
      return;
    }
    // Zeros: -0 is the lower and +0 the higher (Math.min/max, IEEE 754-2019 minimum/maximum).
    if (v < this.min || (v === this.min && Object.is(v, -0))) this.min = v;
    if (v > this.max || (v === this.max && Object.is(v, 0))) this.max = v;
    const sum = this.sum;
    const t = sum + v;
    const bv = t - sum;
    this.comp += sum - (t - bv) + (v - bv);
    this.sum = t;
    this.count++;
  }

  addCell(cell: TableCell): void {
    if (cell === null) {
      this.nulls++;
      return;
    }
    if (typeof cell === 'number') return this.add(cell);
    if (typeof cell === 'bigint') return this.add(Number(cell));
    if (isArrayCell(cell)) {
      const values = cell.values as ArrayLike<number | bigint>;
      for (let i = 0; i < values.length; i++) {
        if (cell.nulls?.[i]) this.nulls++;
        else this.add(Number(values[i]));
      }
    }
  }

  result(): ColumnStats {
    const any = this.count > 0;
    return {
      min: any ? this.min : null,
      max: any ? this.max : null,
      mean: any ? (this.sum + this.comp) / this.count : null,
      nan_count: this.nan,
      null_count: this.nulls,
      count: this.count,
    };
  }
}

/**
 * Add `n` physical values from `values`, NaNs counted apart. One function for every column type,
 * so V8 optimises one loop on float64 feedback. Two compensated (TwoSum) lanes, even and odd
 * elements, so the two addition chains overlap; they are merged with one more TwoSum at the end.
 * The loop keeps the first of equal values; when min or max is a zero and the values may hold
 * both signs (`signedZeros`: float columns, a negative TSCAL), they are looked at again so that
 * -0 is the lower and +0 the higher, as in Accumulator.add (session 13: both came out as +0).
 */
function accumulateValues(a: Accumulator, values: Float64Array, n: number, signedZeros: boolean): void {
  let min = a.min;
  let max = a.max;
  let s0 = a.sum;
  let c0 = a.comp;
  let s1 = 0;
  let c1 = 0;
  let nan = 0;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    let v = values[i] as number;
    let w = values[i + 1] as number;
    if (v !== v || w !== w) {
      // Rare: a NaN adds 0 to its lane and leaves min/max alone.
      if (v !== v) {
        nan++;
        v = 0;
      } else {
        if (v < min) min = v;
        if (v > max) max = v;
      }
      if (w !== w) {
        nan++;
        w = 0;
      } else {
        if (w < min) min = w;
        if (w > max) max = w;
      }
    } else {
      if (v < min) min = v;
      if (v > max) max = v;
      if (w < min) min = w;
      if (w > max) max = w;
    }
    const t0 = s0 + v;
    const b0 = t0 - s0;
    c0 += s0 - (t0 - b0) + (v - b0);
    s0 = t0;
    const t1 = s1 + w;
    const b1 = t1 - s1;
    c1 += s1 - (t1 - b1) + (w - b1);
    s1 = t1;
  }
  const t = s0 + s1;
  const b = t - s0;
  a.comp = c0 + c1 + (s0 - (t - b) + (s1 - b));
  a.sum = t;
  if (signedZeros && (min === 0 || max === 0)) {
    let negative = Object.is(min, -0);
    let positive = Object.is(max, 0);
    for (let k = 0; k < i; k++) {
      const v = values[k] as number;
      if (v === 0) {
        if (Object.is(v, -0)) negative = true;
        else positive = true;
      }
    }
    if (min === 0) min = negative ? -0 : 0;
    if (max === 0) max = positive ? 0 : -0;
  }
  a.min = min;
  a.max = max;
  a.nan += nan;
  a.count += i - nan;
  if (i < n) a.add(values[i] as number);
}

/** Whether a column's physical values can be -0: floats, or integers times a negative TSCAL (TZERO 0). */
function mayHoldNegativeZero(col: TableColumn): boolean {
  return col.code === 'E' || col.code === 'D' || col.tscal < 0 || Object.is(col.tscal, -0);
}

/**
 * Accumulate one binary-table column over a block: columns without TNULL checks are decoded
 * straight into the reused `scratch` (one tight loop per element type) and reduced in one pass;
 * columns with TNULL (nulls: 'mask') and K columns take decodeNumericBlock with its null mask.
 */
function accumulateBinary(a: Accumulator, col: TableColumn, bytes: Uint8Array, rowBytes: number, nRows: number, perRow: number, nulls: NullMode, scratch: Float64Array): void {
  const n = decodeNumericColumnInto(col, bytes, rowBytes, nRows, perRow, nulls, scratch, 0);
  if (n >= 0) return accumulateValues(a, scratch, n, mayHoldNegativeZero(col));
  const { values, nullMask } = decodeNumericBlock(col, bytes, rowBytes, nRows, perRow, nulls);
  for (let i = 0; i < values.length; i++) {
    if (nullMask !== null && nullMask[i] === 1) a.nulls++;
    else a.add(values[i] as number);
  }
}

const STATS_CHUNK_BYTES = 1024 * 1024;

export interface ColumnStatsOptions {
  readonly columns?: readonly (string | number)[];
  readonly nulls?: NullMode;
  readonly description?: TableDescription;
  /**
   * Bytes per chunk read (default 1 MiB: a block stays in L2 cache while each of its columns is
   * decoded and reduced in turn).
   */
  readonly chunkBytes?: number;
}

/** Statistics keyed like REFERENCE.json: column name, or `name#index` for a repeated name. */
export async function columnStats(
  file: TableSource,
  hduRef: HduRef,
  options: ColumnStatsOptions = {},
): Promise<Record<string, ColumnStats>> {
  const hdu = resolveHdu(file, hduRef);
  const d = options.description ?? describeTable(hdu);
  const eligible = statsColumns(d);
  const wanted = options.columns
    ? eligible.filter((c) => options.columns?.some((r) => (typeof r === 'number' ? r === c.index : r.toLowerCase() === c.name.toLowerCase())))
    : eligible;
  const out: Record<string, ColumnStats> = {};
  if (wanted.length === 0 || d.nRows === 0) return out;
  const acc = wanted.map(() => new Accumulator());
  const nulls = options.nulls ?? 'mask';
  let scratch = new Float64Array(0);
  for await (const block of iterateRowBlocks(file, hdu, d, wanted, { chunkBytes: options.chunkBytes ?? STATS_CHUNK_BYTES, reuseBuffer: true })) {
    wanted.forEach((col, j) => {
      const a = acc[j] as Accumulator;
      if (d.kind === 'ascii-table') {
        for (let r = 0; r < block.n; r++) a.addCell(decodeAsciiCell(col, block.bytes, r * d.rowBytes, nulls, block.start + r));
        return;
      }
      const perRow = numericCellElements(col);
      if (scratch.length < block.n * perRow) scratch = new Float64Array(block.n * perRow);
      accumulateBinary(a, col, block.bytes, d.rowBytes, block.n, perRow, nulls, scratch);
    });
  }
  wanted.forEach((c, j) => {
    const key = c.name in out ? `${c.name}#${c.index}` : c.name;
    out[key] = (acc[j] as Accumulator).result();
  });
  return out;
}
