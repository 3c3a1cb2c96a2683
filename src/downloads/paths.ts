/** Where downloads land: `{MAST_DOWNLOAD_DIR}/{obs_id}/{file}`, names made safe, never outside. */
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ValidationError } from '../errors.js';
import { BadFilenameError } from './errors.js';

const OBS_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** The contract's obs_id rule (`^[a-zA-Z0-9._-]+$`), minus the names `.` and `..` it let through. */
export function validateObsId(obsId: string): void {
  if (!OBS_ID.test(obsId) || /^\.+$/.test(obsId)) throw new ValidationError('obs_id contains invalid characters', 'DOWNLOAD_BAD_OBS_ID');
}

/** A product file name as a selection may name it: one path component of [A-Za-z0-9._-], no leading dot. */
export const PRODUCT_FILENAME_PATTERN = '^[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}$';
const PRODUCT_FILENAME = new RegExp(PRODUCT_FILENAME_PATTERN);
/** Most product names a selection may hold (an observation has a few hundred at most). */
export const MAX_SELECTED_PRODUCTS = 1000;

/** Checks a selection of product file names (`product_filenames`, `--file`); returns it without duplicates. */
export function validateProductSelection(names: readonly string[]): string[] {
  if (names.length === 0) throw new ValidationError('product_filenames must name at least one product', 'DOWNLOAD_BAD_SELECTION');
  if (names.length > MAX_SELECTED_PRODUCTS) throw new ValidationError(`product_filenames names ${names.length} products; at most ${MAX_SELECTED_PRODUCTS} are allowed`, 'DOWNLOAD_BAD_SELECTION');
  const bad = names.filter((n) => typeof n !== 'string' || !PRODUCT_FILENAME.test(n));
  if (bad.length > 0) throw new ValidationError(`product_filenames: not a plain file name: ${bad.slice(0, 10).map((n) => JSON.stringify(n)).join(', ')}`, 'DOWNLOAD_BAD_SELECTION');
  return [...new Set(names)];
}

/**
 * A product file name reduced to one safe path component: percent-decoded, last path segment,
 * characters outside [A-Za-z0-9._-] replaced by `_`, no leading dots. Names that are empty
 * afterwards are refused (never silently merged with another file).
 */
export function sanitizeFilename(name: string): string {
  let text = name;
  try {
    text = decodeURIComponent(text);
  } catch {
    // Not percent-encoded: keep as is.
  }
  const base = text.replace(/\\/g, '/').split('/').pop() ?? '';
  const cleaned = base.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '');
  if (cleaned === '' || /^[._]+$/.test(cleaned) || cleaned.length > 255) throw new BadFilenameError(name);
  return cleaned;
}

/** Absolute folder of an observation, checked to be inside the download folder. */
export function observationDir(downloadDir: string, obsId: string): string {
  validateObsId(obsId);
  const root = resolve(downloadDir);
  const dir = resolve(root, obsId);
  if (!dir.startsWith(root + sep)) throw new ValidationError('obs_id contains invalid characters', 'DOWNLOAD_BAD_OBS_ID');
  return dir;
}

/** `path` relative to `base` when inside it, else undefined. */
export function relativeInside(base: string, path: string): string | undefined {
  const rel = relative(resolve(base), resolve(path));
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? undefined : rel.split(sep).join('/');
}

export function fileInside(dir: string, filename: string): string {
  const path = join(dir, filename);
  if (relativeInside(dir, path) === undefined) throw new BadFilenameError(filename);
  return path;
}
