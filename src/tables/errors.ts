/** Errors of the table layer (ECSV parsing, table pages, spectra); HTTP status is a hint only. */
import { EngineError } from '../errors.js';

export type TableErrorCode =
  | 'TABLE_BAD_FORMAT'
  | 'TABLE_BAD_DATA'
  | 'TABLE_BAD_ARGUMENT'
  | 'TABLE_TOO_LARGE'
  | 'TABLE_NOT_A_TABLE'
  | 'TABLE_NO_SPECTRUM';

const STATUS: Record<TableErrorCode, number> = {
  TABLE_BAD_FORMAT: 400,
  TABLE_BAD_DATA: 400,
  TABLE_BAD_ARGUMENT: 400,
  TABLE_TOO_LARGE: 413,
  TABLE_NOT_A_TABLE: 400,
  TABLE_NO_SPECTRUM: 400,
};

export class TableError extends EngineError {
  constructor(code: TableErrorCode, message: string) {
    super(code, message, STATUS[code]);
  }
}
