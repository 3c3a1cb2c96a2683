/**
 * readNumericColumn: one numeric column as a flat Float64Array of physical values, for computation
 * and plotting (spectra, light curves). TNULL elements (with the default nulls: 'mask') and blank
 * ASCII fields are NaN. Variable-length columns are concatenated, with row offsets.
 */
import { FitsError } from '../errors.js';
import { resolveHdu } from '../hdu-ref.js';
import { decodeAsciiCell } from './decode-ascii.js';
import { decodeNumericBlock, decodeNumericColumnInto } from './decode-binary.js';
import { describeTable, isRealNumeric, numericCellElements } from './describe.js';
import { isArrayCell } from './json.js';
import { findColumn, iterateRowBlocks, iterateTableChunks } from './read.js';
import type { HduRef, NullMode, TableColumn, TableDescription, TableSource } from './types.js';

export interface NumericColumn {
  readonly column: TableColumn;
  /** First row read and number of rows. */
  readonly offset: number;
  readonly rows: number;
  /** Physical values, row after row (each row's elements in C order). */
  readonly values: Float64Array;
  /** Elements per row for fixed-width columns; null for variable-length columns. */
  readonly elementsPerRow: number | null;
  /** Variable-length columns: row i is values[rowOffsets[i] .. rowOffsets[i + 1]). */
  readonly rowOffsets: Float64Array | null;
}

export interface ReadNumericOptions {
  readonly offset?: number;
  /** Default: all remaining rows. */
  readonly limit?: number;
  readonly nulls?: NullMode;
  /** Refuse (FITS_TOO_LARGE) to return more elements than this. Default 16 Mi (128 MiB). */
  readonly maxElements?: number;
  readonly description?: TableDescription;
}

export const DEFAULT_MAX_NUMERIC_ELEMENTS = 16 * 1024 * 1024;

export async function readNumericColumn(
  file: TableSource,
  hduRef: HduRef,
  column: string | number,
  options: ReadNumericOptions = {},
): Promise<NumericColumn> {
  const hdu = resolveHdu(file, hduRef);
  const d = options.description ?? describeTable(hdu);
  const col = findColumn(d, column);
  if (!isRealNumeric(col)) {
    throw new FitsError('FITS_BAD_ARGUMENT', `column '${col.name}' (${col.tform}) is not a real-valued numeric column`);
  }
  const offset = options.offset ?? 0;
  const rows = Math.max(0, Math.min(options.limit ?? d.nRows, d.nRows - offset));
  const maxElements = options.maxElements ?? DEFAULT_MAX_NUMERIC_ELEMENTS;
  const nulls = options.nulls ?? 'mask';

  if (col.varLength) {
    const parts: number[] = [];
    const rowOffsets = new Float64Array(rows + 1);
    let r = 0;
    for await (const chunk of iterateTableChunks(file, hdu, { description: d, columns: [col.index], offset, limit: options.limit, nulls })) {
      for (const row of chunk.rows) {
        const cell = row[0];
        if (isArrayCell(cell)) {
          const values = cell.values as ArrayLike<number | bigint>;
          if (parts.length + values.length > maxElements) throw new FitsError('FITS_TOO_LARGE', `column '${col.name}' has more than ${maxElements} elements in the requested rows`);
          for (let i = 0; i < values.length; i++) parts.push(cell.nulls?.[i] ? Number.NaN : Number(values[i]));
        }
        rowOffsets[++r] = parts.length;
      }
    }
    return { column: col, offset, rows, values: Float64Array.from(parts), elementsPerRow: null, rowOffsets };
  }

  const perRow = numericCellElements(col);
  const total = rows * perRow;
  if (total > maxElements) throw new FitsError('FITS_TOO_LARGE', `column '${col.name}' has ${total} elements in the requested rows (limit ${maxElements})`);
  // Every element is written below, so the result is not zeroed first: calloc's clearing of
  // recycled memory was ~8 % of a column read's CPU (perf, issue #20 session 16).
  const values = unzeroedFloat64(total);
  let k = 0;
  const put = (v: number) => {
    values[k++] = v;
  };
  for await (const block of iterateRowBlocks(file, hdu, d, [col], { offset, limit: options.limit, reuseBuffer: true })) {
    if (d.kind === 'ascii-table') {
      for (let r = 0; r < block.n; r++) {
        const cell = decodeAsciiCell(col, block.bytes, r * d.rowBytes, nulls, block.start + r);
        put(cell === null ? Number.NaN : Number(cell));
      }
    } else {
      const wrote = decodeNumericColumnInto(col, block.bytes, d.rowBytes, block.n, perRow, nulls, values, k);
      if (wrote >= 0) {
        k += wrote;
        continue;
      }
      const { values: part } = decodeNumericBlock(col, block.bytes, d.rowBytes, block.n, perRow, nulls);
      values.set(part, k);
      k += part.length;
    }
  }
  if (k < total) values.fill(0, k); // never expected; what the zeroed array held before
  return { column: col, offset, rows, values, elementsPerRow: perRow, rowOffsets: null };
}

/** A Float64Array of `n` elements on its own memory, not cleared (the caller writes every element). */
function unzeroedFloat64(n: number): Float64Array {
  const bytes = Buffer.allocUnsafeSlow(n * 8);
  return new Float64Array(bytes.buffer, bytes.byteOffset, n);
}
