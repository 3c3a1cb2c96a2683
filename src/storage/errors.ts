/**
 * The storage layer's errors (codes in src/error-catalogue.ts, area `storage`). Providers turn their
 * own failures (ENOENT, S3's NoSuchKey, a refused signature, a dropped connection) into these.
 */
import { ERROR_CATALOGUE } from '../error-catalogue.js';
import { EngineError } from '../errors.js';

export type StorageErrorCode = 'STORAGE_BAD_KEY' | 'STORAGE_NOT_FOUND' | 'STORAGE_FAILED' | 'STORAGE_UNSUPPORTED';

export class StorageError extends EngineError {
  constructor(code: StorageErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, catalogueStatus(code), options);
  }
}

function catalogueStatus(code: StorageErrorCode): number {
  return ERROR_CATALOGUE[code].status;
}

export function isStorageNotFound(err: unknown): boolean {
  return err instanceof StorageError && err.code === 'STORAGE_NOT_FOUND';
}
