/**
 * Bounds shared by the request schemas (issue #14: every input bounded) and the checks of the
 * settings that cap how many files one request may name. A schema bound is a fixed ceiling (the
 * request is refused with 422 before any handler runs); the settings below it are the operator's
 * limits, checked first thing in the handler (413), before any file is opened.
 */
import { Type } from 'typebox';
import { PayloadTooLargeError } from '../errors.js';

/** Longest `file_path` (or `data_id`) a request may carry: Linux's PATH_MAX. */
export const MAX_PATH_LENGTH = 4096;
/** Longest free-text field (a name, a colour, a stretch name, a search string). */
export const MAX_NAME_LENGTH = 256;
/** Longest embedded JSON document in a string field (e.g. `avm_metadata`). */
export const MAX_JSON_TEXT_LENGTH = 64 * 1024;
/** Schema ceiling of any list of files: the settings that cap file counts are at most this. */
export const MAX_FILES_CEILING = 10_000;

/** A file path relative to DATA_DIR. */
export function FilePath(options: { description?: string; minLength?: number } = {}) {
  return Type.String({ maxLength: MAX_PATH_LENGTH, ...options });
}

/** 413 when a request names more files than the setting allows (checked before any file is read). */
export function checkFileCount(count: number, max: number, setting: string, what: string): void {
  if (count > max) throw new PayloadTooLargeError(`${what} has ${count} files (max ${max}, ${setting})`);
}

/** The distinct values of a list in first-seen order, and the index each input maps to. */
export function distinct<T>(values: readonly T[], key: (v: T) => string = String): { unique: T[]; removed: number } {
  const seen = new Set<string>();
  const unique: T[] = [];
  for (const v of values) {
    const k = key(v);
    if (seen.has(k)) continue;
    seen.add(k);
    unique.push(v);
  }
  return { unique, removed: values.length - unique.length };
}

/**
 * Outer bounds of a number whose real range the handler checks itself with the contract's own
 * message (e.g. 'Width must be between 10 and 8000 pixels'): wide enough never to pre-empt it.
 */
export const ANY_INT = { minimum: -2_147_483_648, maximum: 2_147_483_647 } as const;
export const ANY_NUMBER = { minimum: -1e15, maximum: 1e15 } as const;
/** A pixel coordinate or size (0-based, fractional allowed). */
export const PIXEL = { minimum: -1e9, maximum: 1e9 } as const;
