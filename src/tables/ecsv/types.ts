/** The ECSV table model: columns as written in the file, plus the mixin columns built from them. */
import type { TableCell } from '../../fits/table/types.js';
import type { PyJson } from './json-values.js';

/** The datatypes ECSV 1.0 allows. */
export const ECSV_DATATYPES = [
  'bool',
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
  'float16',
  'float32',
  'float64',
  'float128',
  'string',
] as const;
export type EcsvDatatype = (typeof ECSV_DATATYPES)[number];

export type EcsvMeta = { [key: string]: PyJson };

/** One column as stored in the file. */
export interface EcsvColumn {
  readonly name: string;
  readonly datatype: EcsvDatatype;
  /** `subtype` as written ('float64[2,3]', 'int64[null]', 'json'), or null. */
  readonly subtype: string | null;
  /** Type of the values: the datatype, or the subtype's element type ('json' for object cells). */
  readonly elementType: EcsvDatatype | 'json';
  /** Cell shape from the subtype (null entries: variable length); [] for scalar cells. */
  readonly shape: readonly (number | null)[];
  readonly unit: string | null;
  readonly format: string | null;
  readonly description: string | null;
  readonly meta: EcsvMeta | null;
  /**
   * One cell per row. Scalars follow the FITS table model (int64/uint64 as bigint, float16/32
   * rounded to their precision); null = masked. Array subtypes give ArrayCell (masked elements
   * flagged in `nulls`); `json` cells are kept as their JSON text.
   */
  readonly cells: TableCell[];
}

export interface SkyCoordColumn {
  readonly kind: 'skycoord';
  readonly name: string;
  readonly frame: string;
  /** Component names in order (ra, dec / l, b / ...) and their stored columns. */
  readonly components: readonly { readonly name: string; readonly column: EcsvColumn }[];
}

export interface TimeColumn {
  readonly kind: 'time';
  readonly name: string;
  readonly format: string;
  readonly scale: string;
  /** The stored values (strings for text formats, numbers for jd/mjd/...). */
  readonly value: EcsvColumn | null;
  /** jd1 + jd2 storage (formats astropy writes as two doubles). */
  readonly jd1: EcsvColumn | null;
  readonly jd2: EcsvColumn | null;
}

export interface PlainColumn {
  readonly kind: 'plain';
  readonly name: string;
  readonly column: EcsvColumn;
  /** The mixin class when the column came from one (e.g. 'Quantity'), else null. */
  readonly mixin: string | null;
}

/** A column as astropy's Table shows it: a stored column, or a mixin rebuilt from stored columns. */
export type LogicalColumn = PlainColumn | SkyCoordColumn | TimeColumn;

export interface EcsvTable {
  readonly version: string;
  readonly delimiter: ' ' | ',';
  readonly nRows: number;
  /** The columns as stored (SkyCoord components are separate here). */
  readonly columns: readonly EcsvColumn[];
  /** The columns as astropy's Table has them after reading (mixins rebuilt). */
  readonly logical: readonly LogicalColumn[];
  /** Table meta without `__serialized_columns__`. */
  readonly meta: EcsvMeta;
  readonly schema: string | null;
}
