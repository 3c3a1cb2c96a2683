/**
 * The storage layer: one interface (provider.ts), a local and an S3 provider, key rules (keys.ts),
 * settings (settings.ts), and the process's configured provider (`storageFromSettings`).
 */
import { LocalStorage } from './local.js';
import type { StorageProvider } from './provider.js';
import { S3Storage } from './s3.js';
import type { StorageSettings } from './settings.js';

export * from './provider.js';
export { checkKey, checkPrefix, joinKey, MAX_KEY_BYTES } from './keys.js';
export { StorageError, isStorageNotFound } from './errors.js';
export { LocalStorage } from './local.js';
export { S3Storage } from './s3.js';
export type { StorageSettings, S3Settings } from './settings.js';

/** The provider the settings name: local files under `dataDir`, or the S3 bucket. */
export function storageFromSettings(settings: StorageSettings, dataDir: string): StorageProvider {
  if (settings.provider === 's3' && settings.s3) return new S3Storage(settings.s3);
  return new LocalStorage(dataDir);
}
