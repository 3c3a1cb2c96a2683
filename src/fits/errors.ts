/**
 * The one error type the FITS library throws on purpose. Malformed input, limits and unsupported
 * features all end here with a stable `code`, so callers (HTTP routes, CLI) can map them without
 * parsing messages. 400 by default; 413 for size limits; 415 for unsupported features is avoided
 * on purpose (a FITS file we cannot decode is still a bad request for us).
 */
import { EngineError } from '../errors.js';

export type FitsErrorCode =
  | 'FITS_NOT_FITS' // not a FITS file at all (empty, wrong magic)
  | 'FITS_BAD_HEADER' // header structure is wrong (no END, missing mandatory keyword, bad value)
  | 'FITS_BAD_CARD' // one card cannot be parsed or formatted
  | 'FITS_TRUNCATED' // the file ends before a header or data unit does
  | 'FITS_TOO_LARGE' // a configured limit would be exceeded
  | 'FITS_UNSUPPORTED' // a legal feature this library does not handle
  | 'FITS_BAD_ARGUMENT' // the caller asked for something impossible (HDU index, section, ...)
  | 'FITS_BAD_DATA' // the data unit cannot be decoded
  | 'FITS_IO'; // the operating system refused a read or write

export class FitsError extends EngineError {
  declare readonly code: FitsErrorCode;

  constructor(code: FitsErrorCode, message: string, options: { cause?: unknown; httpStatus?: number } = {}) {
    super(code, message, options.httpStatus ?? (code === 'FITS_TOO_LARGE' ? 413 : 400), { cause: options.cause });
  }
}

export function isFitsError(err: unknown): err is FitsError {
  return err instanceof FitsError;
}
