/**
 * Which provider serves a location. Paths handed between the layers (routes -> worker tasks ->
 * FITS readers) stay strings: a local file path, or `s3://bucket/key` for an object. The S3
 * providers of this process are made from the settings (STORAGE_PROVIDER=s3 and S3_*, read from
 * the environment in worker threads, which inherit it) or registered by the engine and tests.
 */
import { StorageError } from './errors.js';
import { BlockCache } from './read-cache.js';
import { S3Storage } from './s3.js';
import { loadStorageSettings } from '../config.js';
import type { StorageSettings } from './settings.js';

const S3_LOCATION = /^s3:\/\/([^/]+)\/(.+)$/s;

export function isObjectLocation(path: string): boolean {
  return path.startsWith('s3://');
}

/** Splits `s3://bucket/key`; undefined for a local path. */
export function parseObjectLocation(path: string): { bucket: string; key: string } | undefined {
  const m = S3_LOCATION.exec(path);
  return m ? { bucket: m[1]!, key: m[2]! } : undefined;
}

const providers = new Map<string, S3Storage>();
let settings: StorageSettings | undefined;
let cache: BlockCache | undefined;

function currentSettings(): StorageSettings {
  settings ??= loadStorageSettings(process.env);
  return settings;
}

/** Sets the settings this process uses (the engine does so at start; worker threads read the environment). */
export function configureStorage(next: StorageSettings): void {
  settings = next;
  cache = undefined;
}

/** Serves `s3://<provider.bucket>/...` with `provider` (tests, other buckets such as the AWS mirror). */
export function registerObjectStore(provider: S3Storage): void {
  providers.set(provider.bucket, provider);
}

export function unregisterObjectStore(bucket: string): void {
  providers.delete(bucket);
}

/** The provider for a bucket: a registered one, else one made from the S3 settings (another bucket of the same store). */
export function objectStoreFor(bucket: string): S3Storage {
  const known = providers.get(bucket);
  if (known) return known;
  const s3 = currentSettings().s3;
  if (!s3) throw new StorageError('STORAGE_UNSUPPORTED', `No S3 store is configured for s3://${bucket}/ (set STORAGE_PROVIDER=s3 and S3_BUCKET)`);
  const made = new S3Storage({ ...s3, bucket });
  providers.set(bucket, made);
  return made;
}

/** The process's read cache of ranged reads. */
export function readCache(): BlockCache {
  cache ??= new BlockCache(currentSettings().readCacheBytes);
  return cache;
}

export function readBlockBytes(): number {
  return currentSettings().readBlockBytes;
}
