/**
 * Finding the HDU a caller means: the HDU itself, its 0-based index, or its EXTNAME. The image and
 * table readers both take HDUs this way; the table readers work on a structural file type, so this
 * needs no more than the file's HDU list (and its name lookup, for EXTNAMEs).
 */
import { FitsError } from './errors.js';

/** What an HDU is looked up in (FitsFile satisfies it; `hdu` is needed only for EXTNAMEs). */
export interface HduDirectory<H> {
  readonly hdus?: readonly H[];
  hdu?(name: string): H;
}

/** The HDU itself, or the one at that index (or with that EXTNAME) of the file. */
export function resolveHdu<H extends object>(file: HduDirectory<H>, ref: H | number | string): H {
  if (typeof ref === 'string') {
    if (!file.hdu) throw new FitsError('FITS_BAD_ARGUMENT', `HDU ${JSON.stringify(ref)}: this source cannot look HDUs up by name`);
    return file.hdu(ref);
  }
  if (typeof ref !== 'number') return ref;
  const hdus = file.hdus;
  const found = Number.isInteger(ref) ? hdus?.[ref] : undefined;
  if (!found) throw new FitsError('FITS_BAD_ARGUMENT', `HDU ${ref} does not exist${hdus ? ` (the file has ${hdus.length})` : ''}`);
  return found;
}
