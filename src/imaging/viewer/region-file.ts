/**
 * A DS9 region file on the engine, read as text for the viewer's overlays, so that a region
 * overlay can be named by its path (in a shared link or the viewer's URL) rather than uploaded
 * from the browser. Only `.reg`/`.txt` files, at most MAX_REGION_FILE_BYTES: the endpoint must not
 * become a way to read any file in DATA_DIR as text.
 */
import { readFile } from 'node:fs/promises';
import { BadRequestError, PayloadTooLargeError } from '../../errors.js';

export const MAX_REGION_FILE_BYTES = 1024 * 1024;

/** Throws 400 for another extension, 413 over the size limit (checked before reading). */
export function checkRegionFile(relPath: string, size: number): void {
  if (!/\.(reg|txt)$/i.test(relPath)) throw new BadRequestError('Region files must end in .reg or .txt');
  if (size > MAX_REGION_FILE_BYTES) {
    throw new PayloadTooLargeError(`Region file too large: ${(size / 1048576).toFixed(1)}MB exceeds maximum ${MAX_REGION_FILE_BYTES / 1048576}MB`, 'FILE_TOO_LARGE');
  }
}

export async function readRegionFile(path: string): Promise<string> {
  const bytes = await readFile(path);
  // Read again in case the file grew after the size check.
  if (bytes.byteLength > MAX_REGION_FILE_BYTES) checkRegionFile('x.reg', bytes.byteLength);
  return bytes.toString('utf8');
}
