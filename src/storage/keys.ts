/**
 * The one place object keys are checked, for every provider: a key is a `/`-separated path relative
 * to the storage root (DATA_DIR or the bucket), non-empty, at most 1024 characters (S3's limit, in
 * UTF-8 bytes), without NUL, without a `..` or `.` segment, without a leading `/` or a drive letter,
 * without backslashes (a key names the same object on every system). Prefixes (for listing) follow
 * the same rules but may be empty and may end with `/`.
 */
import { StorageError } from './errors.js';

export const MAX_KEY_BYTES = 1024;

function refuse(why: string): never {
  throw new StorageError('STORAGE_BAD_KEY', `Invalid storage key: ${why}`);
}

function checkForm(text: string, what: string): void {
  if (Buffer.byteLength(text, 'utf8') > MAX_KEY_BYTES) refuse(`the ${what} is longer than ${MAX_KEY_BYTES} bytes`);
  if (text.includes('\0')) refuse(`the ${what} contains a NUL byte`);
  if (text.includes('\\')) refuse(`the ${what} contains a backslash`);
  if (text.startsWith('/') || /^[a-zA-Z]:/.test(text)) refuse(`the ${what} is absolute`);
  // Control characters other than NUL are legal in S3 but break XML listings and logs.
  if (/[\u0001-\u001f\u007f]/.test(text)) refuse(`the ${what} contains a control character`);
}

/** Checks `key` and returns it unchanged; throws STORAGE_BAD_KEY otherwise. */
export function checkKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0) refuse('the key is empty');
  checkForm(key, 'key');
  if (key.endsWith('/')) refuse('the key ends with /');
  for (const part of key.split('/')) {
    if (part === '') refuse('the key has an empty segment (//)');
    if (part === '..' || part === '.') refuse(`the key has a '${part}' segment`);
  }
  return key;
}

/** Checks a listing prefix ('' = everything); a trailing `/` is allowed. */
export function checkPrefix(prefix: string): string {
  if (prefix === '') return prefix;
  checkForm(prefix, 'prefix');
  const parts = prefix.split('/');
  if (parts.at(-1) === '') parts.pop();
  for (const part of parts) {
    if (part === '') refuse('the prefix has an empty segment (//)');
    if (part === '..' || part === '.') refuse(`the prefix has a '${part}' segment`);
  }
  return prefix;
}

/** Joins key segments with `/` and checks the result. */
export function joinKey(...parts: string[]): string {
  return checkKey(parts.filter((p) => p !== '').join('/'));
}
