/**
 * FITS tables: BINTABLE and ASCII TABLE reading (lazy, bounded), JSON views, column statistics,
 * and the BINTABLE encoder used by the writer. See docs/fits-tables.md.
 */
export type {
  ArrayCell,
  AsciiCode,
  BinaryCode,
  TableSource,
  HduRef,
  HeaderLike,
  NullMode,
  NumericArray,
  ScalarCell,
  TableCell,
  TableColumn,
  TableDescription,
  TableHduLike,
  ValueType,
} from './types.js';
export { describeTable, tableKind } from './describe.js';
export { resolveHdu } from '../hdu-ref.js';
export {
  DEFAULT_MAX_CELLS,
  DEFAULT_MAX_TABLE_BYTES,
  DEFAULT_ROW_LIMIT,
  findColumn,
  iterateRowBlocks,
  iterateTableChunks,
  readColumn,
  readTableRows,
  type ReadColumnOptions,
  type ReadRowsOptions,
  type RowBlock,
  type TableRows,
} from './read.js';
export {
  cellToJson,
  columnKeys,
  columnToJson,
  describeToJson,
  isArrayCell,
  rowsToJson,
  type JsonOptions,
  type JsonValue,
} from './json.js';
export { columnStats, statsColumns, type ColumnStats, type ColumnStatsOptions } from './stats.js';
export {
  encodeBinTable,
  type BinTableColumnSpec,
  type EncodeBinTableOptions,
  type EncodedBinTable,
  type EncodeValue,
} from './encode.js';
export {
  DEFAULT_MAX_NUMERIC_ELEMENTS,
  readNumericColumn,
  type NumericColumn,
  type ReadNumericOptions,
} from './numeric.js';
