/** Error helpers shared by the codecs: every malformed tile ends as a FitsError('FITS_BAD_DATA'). */
import { FitsError } from '../errors.js';

export function badData(message: string, cause?: unknown): FitsError {
  return new FitsError('FITS_BAD_DATA', message, cause === undefined ? {} : { cause });
}

export function unsupported(message: string): FitsError {
  return new FitsError('FITS_UNSUPPORTED', message);
}
