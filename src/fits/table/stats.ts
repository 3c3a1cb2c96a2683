/**
 * Per-column statistics over a whole table, computed in bounded-memory chunks: min, max, mean and
 * the number of NaN elements, over every element of fixed-width numeric columns (vectors
 * included), as float64 physical values. Matches REFERENCE.json's `column_stats` (astropy) with
 * `nulls: 'raw'`; with the default `nulls: 'mask'` TNULL values are left out and counted apart.
 */
import { resolveHdu } from '../hdu-ref.js';
import { decodeAsciiCell } from './decode-ascii.js';
import { decodeNumericBlock } from './decode-binary.js';
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
  // Neumaier-compensated sum: close to numpy's pairwise sum for any length.
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
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    const t = this.sum + v;
    if (Math.abs(this.sum) >= Math.abs(v)) this.comp += this.sum - t + v;
    else this.comp += v - t + this.sum;
    this.sum = t;
    this.count++;
  }

  addAll(values: Float64Array, nullMask: Uint8Array | null): void {
    let { min, max, sum, comp, count, nan } = this;
    for (let i = 0; i < values.length; i++) {
      if (nullMask !== null && nullMask[i] === 1) {
        this.nulls++;
        continue;
      }
      const v = values[i] as number;
      if (v !== v) {
        nan++;
        continue;
      }
      if (v < min) min = v;
      if (v > max) max = v;
      const t = sum + v;
      if (Math.abs(sum) >= Math.abs(v)) comp += sum - t + v;
      else comp += v - t + sum;
      sum = t;
      count++;
    }
    Object.assign(this, { min, max, sum, comp, count, nan });
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

export interface ColumnStatsOptions {
  readonly columns?: readonly (string | number)[];
  readonly nulls?: NullMode;
  readonly description?: TableDescription;
  /** Bytes per chunk read (default 4 MiB). */
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
  for await (const block of iterateRowBlocks(file, hdu, d, wanted, { chunkBytes: options.chunkBytes, reuseBuffer: true })) {
    wanted.forEach((col, j) => {
      const a = acc[j] as Accumulator;
      if (d.kind === 'ascii-table') {
        for (let r = 0; r < block.n; r++) a.addCell(decodeAsciiCell(col, block.bytes, r * d.rowBytes, nulls, block.start + r));
        return;
      }
      const { values, nullMask } = decodeNumericBlock(col, block.bytes, d.rowBytes, block.n, numericCellElements(col), nulls);
      a.addAll(values, nullMask);
    });
  }
  wanted.forEach((c, j) => {
    const key = c.name in out ? `${c.name}#${c.index}` : c.name;
    out[key] = (acc[j] as Accumulator).result();
  });
  return out;
}
