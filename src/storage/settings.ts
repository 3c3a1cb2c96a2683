/**
 * Storage settings (docs/storage.md): STORAGE_PROVIDER (local | s3), the S3 endpoint and bucket,
 * credentials (else the AWS default chain: environment, shared files, instance roles), and the
 * local read cache of ranged reads.
 */
export interface S3Settings {
  readonly bucket: string;
  /** S3_ENDPOINT: an S3-compatible server (MinIO, SeaweedFS, ...); unset = AWS for the region. */
  readonly endpoint: string | undefined;
  readonly region: string;
  /** S3_FORCE_PATH_STYLE: http://host/bucket/key instead of http://bucket.host/key (MinIO, most local servers). */
  readonly forcePathStyle: boolean;
  /** S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY (+ S3_SESSION_TOKEN); unset = the AWS default chain. */
  readonly accessKeyId: string | undefined;
  readonly secretAccessKey: string | undefined;
  readonly sessionToken: string | undefined;
  /** S3_ANONYMOUS: send unsigned requests (public buckets such as stpubdata). */
  readonly anonymous: boolean;
  /** S3_PUBLIC_ENDPOINT: the host presigned URLs are written for (when clients reach the store elsewhere). */
  readonly publicEndpoint: string | undefined;
}

export interface StorageSettings {
  readonly provider: 'local' | 's3';
  readonly s3: S3Settings | undefined;
  /** STORAGE_READ_CACHE_MB: bytes of ranged reads kept in memory per process (LRU by access). 0 = off. */
  readonly readCacheBytes: number;
  /** STORAGE_READ_BLOCK_KB: the unit ranged reads are fetched and cached in. */
  readonly readBlockBytes: number;
}

export class StorageSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function text(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const t = text(env, name)?.toLowerCase();
  if (t === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(t)) return true;
  if (['0', 'false', 'no', 'off'].includes(t)) return false;
  throw new StorageSettingsError(`${name}=${JSON.stringify(t)} is invalid: expected true or false`);
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const t = text(env, name);
  if (t === undefined) return fallback;
  const v = Number(t);
  if (!Number.isInteger(v) || v < min || v > max) throw new StorageSettingsError(`${name}=${JSON.stringify(t)} is invalid: expected an integer >= ${min} <= ${max}`);
  return v;
}

function httpUrl(env: Env, name: string): string | undefined {
  const t = text(env, name);
  if (t === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(t);
  } catch {
    throw new StorageSettingsError(`${name}=${JSON.stringify(t)} is invalid: expected an http(s) URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new StorageSettingsError(`${name}=${JSON.stringify(t)} is invalid: expected an http(s) URL`);
  return t.replace(/\/+$/, '');
}

/** S3 settings under a variable prefix (S3_ for the engine's store). */
export function loadS3Settings(env: Env, prefix = 'S3_', defaults: Partial<S3Settings> = {}): S3Settings | undefined {
  const bucket = text(env, `${prefix}BUCKET`) ?? defaults.bucket;
  if (bucket === undefined) return undefined;
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new StorageSettingsError(`${prefix}BUCKET=${JSON.stringify(bucket)} is invalid: expected an S3 bucket name (3-63 lower-case letters, digits, '.', '-')`);
  }
  const accessKeyId = text(env, `${prefix}ACCESS_KEY_ID`) ?? text(env, `${prefix}ACCESS_KEY`);
  const secretAccessKey = text(env, `${prefix}SECRET_ACCESS_KEY`) ?? text(env, `${prefix}SECRET_KEY`);
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new StorageSettingsError(`${prefix}ACCESS_KEY_ID and ${prefix}SECRET_ACCESS_KEY go together: set both or neither`);
  }
  const endpoint = httpUrl(env, `${prefix}ENDPOINT`) ?? defaults.endpoint;
  return {
    bucket,
    endpoint,
    region: text(env, `${prefix}REGION`) ?? defaults.region ?? text(env, 'AWS_REGION') ?? 'us-east-1',
    forcePathStyle: flag(env, `${prefix}FORCE_PATH_STYLE`, defaults.forcePathStyle ?? endpoint !== undefined),
    accessKeyId,
    secretAccessKey,
    sessionToken: text(env, `${prefix}SESSION_TOKEN`),
    anonymous: flag(env, `${prefix}ANONYMOUS`, defaults.anonymous ?? false),
    publicEndpoint: httpUrl(env, `${prefix}PUBLIC_ENDPOINT`),
  };
}

export function loadStorageSettings(env: Env): StorageSettings {
  const provider = (text(env, 'STORAGE_PROVIDER') ?? 'local').toLowerCase();
  if (provider !== 'local' && provider !== 's3') {
    throw new StorageSettingsError(`STORAGE_PROVIDER=${JSON.stringify(provider)} is invalid: expected local or s3`);
  }
  const s3 = loadS3Settings(env);
  if (provider === 's3' && s3 === undefined) throw new StorageSettingsError('STORAGE_PROVIDER=s3 needs S3_BUCKET');
  return {
    provider,
    s3,
    readCacheBytes: int(env, 'STORAGE_READ_CACHE_MB', 256, 0, 1_048_576) * 1024 * 1024,
    readBlockBytes: int(env, 'STORAGE_READ_BLOCK_KB', 64, 4, 65_536) * 1024,
  };
}
