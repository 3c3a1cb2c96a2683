/**
 * Types shared by the table readers and the encoder.
 *
 * The readers only need two things from the FITS core: a header accessor and a byte reader. They
 * are written against these small structural interfaces, which the core's `Header`, `Hdu` and
 * `FitsFile` satisfy, so tests (and the fuzz test) can feed synthetic tables without files.
 */
import type { CardValue, Complex } from '../card.js';

export type { CardValue, Complex };

/** What the table code reads from a header (the core `Header` satisfies it). */
export interface HeaderLike {
  get(keyword: string): CardValue | undefined;
}

/** What the table code reads from a file (the core `FitsFile` satisfies it). */
export interface TableSource {
  /** Exactly `length` bytes at `offset` of the (decompressed) FITS stream. */
  readBytes(offset: number, length: number): Promise<Uint8Array>;
  /**
   * Optional: fills `target` with the bytes at `offset` (FitsFile has it); lets a scan reuse its
   * buffers. `parallel`: the caller keeps another read in flight and wants this one off its thread.
   */
  readInto?(target: Uint8Array, offset: number, parallel?: boolean): Promise<void>;
  /** The HDU index, so HDUs can be given by number. */
  readonly hdus?: readonly TableHduLike[];
}

/** What the table code needs to know about an HDU (the core `Hdu` satisfies it). */
export interface TableHduLike {
  readonly header: HeaderLike;
  /** Offset of the data unit in the (decompressed) byte stream. */
  readonly dataOffset: number;
  /** Size of the data unit without block padding, when the core knows it. */
  readonly dataBytes?: number;
  readonly index?: number;
}

/** An HDU, or its 0-based index in the file. */
export type HduRef = TableHduLike | number;

/** Element types of binary table columns (TFORM letters). */
export type BinaryCode = 'L' | 'X' | 'B' | 'I' | 'J' | 'K' | 'A' | 'E' | 'D' | 'C' | 'M';
/** Field types of ASCII table columns. */
export type AsciiCode = 'A' | 'I' | 'F' | 'E' | 'D';

/**
 * The type of the decoded (physical) values of a column, after TSCAL/TZERO.
 * Integer columns with a real scaling become 'float64'; the FITS unsigned conventions
 * (TZERO = 2^15, 2^31, 2^63 on I/J/K, -128 on B, TSCAL = 1) give the unsigned/signed types.
 */
export type ValueType =
  | 'boolean'
  | 'bits'
  | 'string'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'float32'
  | 'float64'
  | 'complex64'
  | 'complex128';

export interface TableColumn {
  /** 0-based column index (FITS column n = index + 1). */
  readonly index: number;
  /** TTYPEn with trailing spaces removed, or `COL<n>` when the column has no TTYPEn. */
  readonly name: string;
  /** TTYPEn as written, or null when missing. */
  readonly ttype: string | null;
  /** TFORMn as written (trimmed). */
  readonly tform: string;
  /** Element type letter; for variable-length columns the type of the array elements. */
  readonly code: BinaryCode | AsciiCode;
  /** Elements per cell: bits for X, characters for A, 0 for a zero-width column. For VLAs: 1. */
  readonly repeat: number;
  /** 'P' or 'Q' for variable-length array columns, else null. */
  readonly varLength: 'P' | 'Q' | null;
  /** The `(emax)` of a P/Q TFORM, when given. */
  readonly maxVarLength: number | null;
  /** Offset of the field within a row (bytes). */
  readonly byteOffset: number;
  /** Bytes the field takes in a row. */
  readonly byteWidth: number;
  /** TDIMn in FITS order (fastest first), when present and consistent; else null. */
  readonly dim: readonly number[] | null;
  /**
   * Cell shape in C order (slowest first), [] for a scalar cell. For strings the character axis is
   * not part of the shape ('20A' -> [], '30A' with TDIM (10,3) -> [3]). For VLAs: null (per row).
   */
  readonly shape: readonly number[] | null;
  readonly valueType: ValueType;
  readonly unit: string | null;
  readonly disp: string | null;
  /** TNULLn: an integer for binary columns, a string for ASCII columns. */
  readonly tnull: number | bigint | string | null;
  readonly tscal: number;
  readonly tzero: number;
  /** 'linear' when TSCAL/TZERO change values to float64, 'offset' for the unsigned conventions. */
  readonly scaling: 'none' | 'offset' | 'linear';
  /** ASCII tables: TBCOLn (1-based), field width and decimals (Fw.d). */
  readonly start?: number;
  readonly width?: number;
  readonly decimals?: number;
}

export interface TableDescription {
  readonly kind: 'bintable' | 'ascii-table';
  readonly nRows: number;
  /** NAXIS1. */
  readonly rowBytes: number;
  readonly columns: readonly TableColumn[];
  /** Offset of the heap from the start of the data unit (THEAP, default NAXIS1*NAXIS2). */
  readonly heapOffset: number;
  /** PCOUNT: bytes after the main table (gap + heap). */
  readonly pcount: number;
  /** NAXIS1*NAXIS2 + PCOUNT. */
  readonly dataBytes: number;
  /** Problems that did not stop decoding (an inconsistent TDIM that was ignored, ...). */
  readonly warnings: readonly string[];
}

/** A typed array of any numeric kind a cell can hold. */
export type NumericArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

/** A cell holding more than one element (vector, TDIM array, variable-length array, bits). */
export interface ArrayCell {
  /** C-order shape of this cell (slowest first). */
  readonly shape: readonly number[];
  /** Elements in row-major (C) order. Logical nulls are `null`. */
  readonly values: NumericArray | readonly (boolean | null)[] | readonly string[] | readonly Complex[];
  /** Set when some integer elements equal TNULL (1 = null), with `nulls: 'mask'`. */
  readonly nulls?: Uint8Array;
}

/** A scalar cell. `null` = undefined value (TNULL, logical null, blank ASCII field). */
export type ScalarCell = number | bigint | boolean | string | Complex | null;

export type TableCell = ScalarCell | ArrayCell;

/** How TNULL values come out: masked (null / NaN, the default) or as stored (astropy's FITS_rec). */
export type NullMode = 'mask' | 'raw';
