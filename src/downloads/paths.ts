/** Where downloads land: `{MAST_DOWNLOAD_DIR}/{obs_id}/{file}`, names made safe, never outside. */
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ValidationError } from '../errors.js';
import { BadFilenameError } from './errors.js';

const OBS_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** The contract's obs_id rule (`^[a-zA-Z0-9._-]+$`), minus the names `.` and `..` it let through. */
export function validateObsId(obsId: string): void {
  if (!OBS_ID.test(obsId) || /^\.+$/.test(obsId)) throw new ValidationError('obs_id contains invalid characters', 'DOWNLOAD_BAD_OBS_ID');
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
