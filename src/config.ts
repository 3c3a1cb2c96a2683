/**
 * Settings from environment variables, validated once at start-up into a frozen, typed object.
 * A bad value stops the engine with a message naming the variable, its value and what it wants.
 */
import { resolve } from 'node:path';
import type { S3Settings, StorageSettings } from './storage/settings.js';

export interface Settings {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly mastBaseUrl: string;
  readonly mastDownloadDir: string;
  readonly mastToken: string | undefined;
  readonly mastSearchTimeoutMs: number;
  readonly chunkSize: number;
  readonly maxConcurrentFiles: number;
  readonly connectionsPerFile: number;
  readonly maxRetries: number;
  readonly retryBaseDelayMs: number;
  readonly stateRetentionDays: number;
  readonly autoResumeDownloads: boolean;
  readonly mastCacheMaxBytes: number | undefined;
  /** DOWNLOAD_STALL_TIMEOUT (s): no header or body byte for this long drops and retries a request. */
  readonly downloadStallTimeoutMs: number;
  /** DOWNLOAD_FSYNC: fsync each downloaded file before it is renamed and marked complete. */
  readonly downloadFsync: boolean;
  /** DOWNLOAD_ALLOWED_HOSTS: mirrors a MAST download may redirect to, beside MAST_BASE_URL's host. */
  readonly downloadAllowedHosts: readonly string[];
  /** MAST_DOWNLOAD_TIMEOUT (s): budget of the synchronous POST /mast/download. */
  readonly mastDownloadTimeoutMs: number;
  /** AWS_MIRROR_BUCKET, AWS_MIRROR_ENDPOINT: the AWS mirror of MAST that `source: "aws"` downloads read (anonymously). */
  readonly awsMirror: { readonly bucket: string; readonly endpoint: string };
  readonly maxFitsFileSizeMb: number;
  readonly maxFitsArrayElements: number;
  /** MAX_DECOMPRESSION_RATIO: a .gz/.bz2/.Z input may decompress to at most this many times its size (0 = off). */
  readonly maxDecompressionRatio: number;
  readonly maxCompositeReprojectPixels: number;
  readonly maxMosaicOutputPixels: number;
  readonly workerThreads: number;
  /**
   * WORKER_PLANE_BUFFER_MB: each engine worker thread faults in one plane buffer of this size at its
   * start and keeps it in its buffer pool, so its first plane read of up to this size reuses memory
   * that is already resident instead of waiting for fresh pages (default 0: nothing made resident
   * at start; the engine does not hand planes back to the pool, so only that first read gains).
   */
  readonly workerPlaneBufferBytes: number;
  /** TASK_ABORT_GRACE_MS: a stopped worker task that reaches no stop check this long has its thread terminated. */
  readonly taskAbortGraceMs: number;
  /** TASK_UNWIND_GRACE_MS: how much longer a stopped task that reached its check (closing its files) may take before that. */
  readonly taskUnwindGraceMs: number;
  /** SHUTDOWN_TIMEOUT_MS: budget of a SIGTERM/SIGINT shutdown; past it the process exits 1. */
  readonly shutdownTimeoutMs: number;
  /** N-channel composites (issue #16): memory budget, downscale verdict, file caps. */
  readonly maxCompositeMemoryBytes: number;
  readonly compositeDownscaleFailThreshold: number;
  readonly maxCompositeRequestFiles: number;
  readonly maxCompositeEstimateFiles: number;
  /** COMPOSITE_CACHE_MAX_BYTES / COMPOSITE_CACHE_TTL_SECONDS: reprojected channels kept for re-renders (0 bytes: off). */
  readonly compositeCacheMaxBytes: number;
  readonly compositeCacheTtlSeconds: number;
  /** Input bounds (issue #14, docs/limits.md): files per footprint / mosaic request, overlaps per footprint answer. */
  readonly maxFootprintFiles: number;
  readonly maxFootprintOverlaps: number;
  readonly maxMosaicFiles: number;
  /** MAX_PHOTOMETRY_POSITIONS: apertures in one aperture_photometry request (its answer has a row each). */
  readonly maxPhotometryPositions: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** MAX_CONCURRENT_RENDERS: renders and analyses running at once (interactive and jobs). */
  readonly maxConcurrentRenders: number;
  /** RENDER_QUEUE_DEPTH: interactive renders that may wait for a slot before 429. */
  readonly renderQueueDepth: number;
  /** RENDER_QUEUE_WAIT_SECONDS: how long an interactive render waits for a slot before 429. */
  readonly renderQueueWaitMs: number;
  /** JOB_OUTPUT_RETENTION_HOURS: finished jobs with outputs (and their files) kept this long. */
  readonly jobOutputRetentionMs: number;
  /** JOB_OUTPUT_MAX_BYTES: total size of DATA_DIR/processed; the oldest finished jobs go first. */
  readonly jobOutputMaxBytes: number;
  /** DATABASE_URL: postgres://... puts the library (and other records) in PostgreSQL; unset = embedded SQLite. */
  readonly databaseUrl: string | undefined;
  /** DATABASE_FILE: the embedded SQLite file (default DATA_DIR/engine.db). */
  readonly databaseFile: string;
  /** DATABASE_POOL_WAIT (s): longest a statement waits for a PostgreSQL pool connection before DB_POOL_TIMEOUT (503). */
  readonly databasePoolWaitMs: number;
  /** LIBRARY_SCAN_ON_START: scan DATA_DIR for files placed by hand when the engine starts. */
  readonly libraryScanOnStart: boolean;
  /** REDIS_URL: jobs go through BullMQ queues on this Redis (scale-out); unset: jobs run in-process. */
  readonly redisUrl: string | undefined;
  /** JOB_QUEUE_PREFIX: Redis key prefix of queues, channels and the worker registry. */
  readonly jobQueuePrefix: string;
  /** JOB_QUEUE_COMPUTE / JOB_QUEUE_TRANSFER: BullMQ queue names of the two lanes. */
  readonly jobQueueCompute: string;
  readonly jobQueueTransfer: string;
  /** RUN_LOCAL_WORKERS: this process runs jobs; false (with REDIS_URL) makes an API node that only submits and controls. */
  readonly runLocalWorkers: boolean;
  /** WORKER_CONCURRENCY_COMPUTE / _TRANSFER: jobs a node takes from the queues at once per lane (unset: the in-process defaults). */
  readonly workerConcurrencyCompute: number | undefined;
  readonly workerConcurrencyTransfer: number | undefined;
  /** JOB_LOCK_DURATION (s): a worker that has not renewed a job's lock this long is presumed dead and its job is run elsewhere. */
  readonly jobLockDurationMs: number;
  /** JOB_STALLED_INTERVAL (s): how often workers look for such jobs. */
  readonly jobStalledIntervalMs: number;
  /** JOB_START_ATTEMPTS: takes of a job whose worker cannot start it (the store fails) before it is failed (JOB_START_FAILED). */
  readonly jobStartAttempts: number;
  /** JOB_THREAD_ATTEMPTS: runs in a row of a job that end on THREADS_UNAVAILABLE (no worker thread) before it fails with it. */
  readonly jobThreadAttempts: number;
  /** JOB_THREAD_RETRY_MS: wait before such a job runs again, doubling up to 30 s. */
  readonly jobThreadRetryMs: number;
  /** Users (docs/library.md): JWT_SECRET_KEY (HS256) and/or JWT_JWKS_URL (RS256/ES256); AUTH_ENABLED for API keys alone. */
  readonly jwtSecretKey: string | undefined;
  readonly jwtJwksUrl: string | undefined;
  readonly jwtIssuer: string;
  readonly jwtAudience: string;
  readonly jwtClockSkewSeconds: number;
  readonly authEnabled: boolean;
  /** PUBLIC_MODE (or upstream's CE_MODE): anonymous read-only /api/* over public records only. */
  readonly publicMode: boolean;
  /** CORS_ALLOWED_ORIGINS: comma list; unset = no CORS headers (same-origin web app). */
  readonly corsAllowedOrigins: readonly string[];
  /** RATE_LIMIT_PER_MINUTE: requests per client per minute (0 = off; default 120 in public mode). */
  readonly rateLimitPerMinute: number;
  /** STORAGE_PROVIDER, S3_*, STORAGE_READ_CACHE_MB, STORAGE_READ_BLOCK_KB (docs/storage.md). */
  readonly storage: StorageSettings;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function raw(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function number(env: Env, name: string, fallback: number, check: { min?: number; max?: number; integer?: boolean } = {}): number {
  const text = raw(env, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  const wants = `${check.integer ? 'an integer' : 'a number'}${check.min !== undefined ? ` >= ${check.min}` : ''}${check.max !== undefined ? ` <= ${check.max}` : ''}`;
  if (!Number.isFinite(value) || (check.integer && !Number.isInteger(value)) ||
      (check.min !== undefined && value < check.min) || (check.max !== undefined && value > check.max)) {
    throw new ConfigError(`${name}=${JSON.stringify(text)} is invalid: expected ${wants}`);
  }
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const text = raw(env, name);
  if (text === undefined) return fallback;
  const t = text.toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(t)) return true;
  if (['0', 'false', 'no', 'off'].includes(t)) return false;
  throw new ConfigError(`${name}=${JSON.stringify(text)} is invalid: expected true or false`);
}

function url(env: Env, name: string, fallback: string): string {
  const text = raw(env, name) ?? fallback;
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw new ConfigError(`${name}=${JSON.stringify(text)} is invalid: expected an http(s) URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError(`${name}=${JSON.stringify(text)} is invalid: expected an http(s) URL`);
  }
  return text.replace(/\/+$/, '');
}

function databaseUrl(env: Env): string | undefined {
  const text = raw(env, 'DATABASE_URL');
  if (text === undefined) return undefined;
  if (!/^postgres(ql)?:\/\/\S+$/i.test(text)) throw new ConfigError('DATABASE_URL is invalid: expected a postgres:// URL');
  return text;
}

function redisUrl(env: Env, name: string): string | undefined {
  const text = raw(env, name);
  if (text === undefined) return undefined;
  let parsed: URL | undefined;
  try {
    parsed = new URL(text);
  } catch {
    parsed = undefined;
  }
  // The value may hold a password: never echo it.
  if (!parsed || (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') || !parsed.hostname) {
    throw new ConfigError(`${name} is invalid: expected redis://[user:password@]host[:port][/db] or rediss://...`);
  }
  return text;
}

function optionalNumber(env: Env, name: string, check: { min?: number; max?: number; integer?: boolean }): number | undefined {
  return raw(env, name) === undefined ? undefined : number(env, name, 0, check);
}

function name(env: Env, variable: string, fallback: string): string {
  const text = raw(env, variable) ?? fallback;
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(text)) {
    throw new ConfigError(`${variable}=${JSON.stringify(text)} is invalid: expected 1-64 letters, digits, '_', '.' or '-'`);
  }
  return text;
}

function authSettings(env: Env) {
  const jwtSecretKey = raw(env, 'JWT_SECRET_KEY');
  const jwks = raw(env, 'JWT_JWKS_URL');
  const jwtJwksUrl = jwks === undefined ? undefined : url(env, 'JWT_JWKS_URL', jwks);
  const publicMode = boolean(env, 'PUBLIC_MODE', boolean(env, 'CE_MODE', false));
  const corsAllowedOrigins = (raw(env, 'CORS_ALLOWED_ORIGINS') ?? '').split(',').map((o) => o.trim()).filter(Boolean);
  // Credentials are allowed, so a wildcard would let any site act as the signed-in user.
  if (corsAllowedOrigins.includes('*')) throw new ConfigError('CORS_ALLOWED_ORIGINS="*" is refused: list the origins (credentials are allowed)');
  if (jwtSecretKey !== undefined && jwtSecretKey.length < 32) throw new ConfigError('JWT_SECRET_KEY is too short: expected at least 32 characters');
  return {
    jwtSecretKey,
    jwtJwksUrl,
    jwtIssuer: raw(env, 'JWT_ISSUER') ?? 'JwstDataAnalysis',
    jwtAudience: raw(env, 'JWT_AUDIENCE') ?? 'JwstDataAnalysisClient',
    jwtClockSkewSeconds: number(env, 'JWT_CLOCK_SKEW_SECONDS', 30, { min: 0, max: 3600 }),
    authEnabled: jwtSecretKey !== undefined || jwtJwksUrl !== undefined || boolean(env, 'AUTH_ENABLED', false),
    publicMode,
    corsAllowedOrigins,
    rateLimitPerMinute: number(env, 'RATE_LIMIT_PER_MINUTE', publicMode ? 120 : 0, { min: 0, max: 1_000_000, integer: true }),
  };
}

/** DOWNLOAD_ALLOWED_HOSTS: comma-separated `host`, `host:port` or `*.domain` entries. */
function hostList(env: Env, name: string): string[] {
  const entries = (raw(env, name) ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);
  for (const e of entries) {
    if (!/^(\*\.)?[a-z0-9_-]+(\.[a-z0-9_-]+)*(:\d{1,5})?$/.test(e) && !/^\[[0-9a-f:.]+\](:\d{1,5})?$/.test(e)) {
      throw new ConfigError(`${name} entry ${JSON.stringify(e)} is invalid: expected host, host:port or *.domain (comma-separated)`);
    }
  }
  return entries;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function loadSettings(env: Env = process.env): Settings {
  const dataDir = resolve(raw(env, 'DATA_DIR') ?? './data');
  const logLevel = (raw(env, 'LOG_LEVEL') ?? 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL=${JSON.stringify(logLevel)} is invalid: expected one of ${LOG_LEVELS.join(', ')}`);
  }
  const cacheMax = raw(env, 'MAST_CACHE_MAX_BYTES');
  return Object.freeze({
    port: number(env, 'PORT', 8000, { min: 0, max: 65535, integer: true }),
    host: raw(env, 'HOST') ?? '0.0.0.0',
    dataDir,
    mastBaseUrl: url(env, 'MAST_BASE_URL', 'https://mast.stsci.edu'),
    mastDownloadDir: resolve(raw(env, 'MAST_DOWNLOAD_DIR') ?? resolve(dataDir, 'mast')),
    mastToken: raw(env, 'MAST_TOKEN'),
    mastSearchTimeoutMs: number(env, 'MAST_SEARCH_TIMEOUT', 120, { min: 1, max: 3600 }) * 1000,
    chunkSize: number(env, 'CHUNK_SIZE', 5 * 1024 * 1024, { min: 64 * 1024, max: 1024 * 1024 * 1024, integer: true }),
    maxConcurrentFiles: number(env, 'MAX_CONCURRENT_FILES', 3, { min: 1, max: 64, integer: true }),
    connectionsPerFile: number(env, 'CONNECTIONS_PER_FILE', 1, { min: 1, max: 16, integer: true }),
    maxRetries: number(env, 'MAX_RETRIES', 3, { min: 0, max: 100, integer: true }),
    retryBaseDelayMs: number(env, 'RETRY_BASE_DELAY', 1.0, { min: 0, max: 600 }) * 1000,
    stateRetentionDays: number(env, 'STATE_RETENTION_DAYS', 7, { min: 0, max: 3650 }),
    autoResumeDownloads: boolean(env, 'AUTO_RESUME_DOWNLOADS', true),
    mastCacheMaxBytes: cacheMax === undefined ? undefined : number(env, 'MAST_CACHE_MAX_BYTES', 0, { min: 1, integer: true }),
    downloadStallTimeoutMs: number(env, 'DOWNLOAD_STALL_TIMEOUT', 60, { min: 0.1, max: 3600 }) * 1000,
    downloadFsync: boolean(env, 'DOWNLOAD_FSYNC', true),
    downloadAllowedHosts: hostList(env, 'DOWNLOAD_ALLOWED_HOSTS'),
    mastDownloadTimeoutMs: number(env, 'MAST_DOWNLOAD_TIMEOUT', 600, { min: 0.1, max: 86_400 }) * 1000,
    awsMirror: awsMirrorSettings(env),
    maxFitsFileSizeMb: number(env, 'MAX_FITS_FILE_SIZE_MB', 2048, { min: 1 }),
    maxFitsArrayElements: number(env, 'MAX_FITS_ARRAY_ELEMENTS', 100_000_000, { min: 1, integer: true }),
    maxDecompressionRatio: number(env, 'MAX_DECOMPRESSION_RATIO', 200, { min: 0, max: 1_000_000 }),
    maxCompositeReprojectPixels: number(env, 'MAX_COMPOSITE_REPROJECT_PIXELS', 64_000_000, { min: 1, integer: true }),
    maxMosaicOutputPixels: number(env, 'MAX_MOSAIC_OUTPUT_PIXELS', 64_000_000, { min: 1, integer: true }),
    workerThreads: number(env, 'WORKER_THREADS', 0, { min: 0, max: 256, integer: true }),
    workerPlaneBufferBytes: number(env, 'WORKER_PLANE_BUFFER_MB', 0, { min: 0, max: 512, integer: true }) * 1024 * 1024,
    taskAbortGraceMs: number(env, 'TASK_ABORT_GRACE_MS', 500, { min: 0, max: 600_000, integer: true }),
    taskUnwindGraceMs: number(env, 'TASK_UNWIND_GRACE_MS', 5000, { min: 0, max: 600_000, integer: true }),
    shutdownTimeoutMs: number(env, 'SHUTDOWN_TIMEOUT_MS', 8000, { min: 100, max: 3_600_000, integer: true }),
    maxCompositeMemoryBytes: number(env, 'MAX_COMPOSITE_MEMORY_BYTES', 3e9, { min: 1e8 }),
    compositeDownscaleFailThreshold: number(env, 'COMPOSITE_DOWNSCALE_FAIL_THRESHOLD', 0.85, { min: 0, max: 1 }),
    maxCompositeRequestFiles: number(env, 'MAX_COMPOSITE_REQUEST_FILES', 100, { min: 1, max: 10_000, integer: true }),
    maxCompositeEstimateFiles: number(env, 'MAX_COMPOSITE_ESTIMATE_FILES', 500, { min: 1, max: 100_000, integer: true }),
    compositeCacheMaxBytes: number(env, 'COMPOSITE_CACHE_MAX_BYTES', 512 * 1024 ** 2, { min: 0, integer: true }),
    compositeCacheTtlSeconds: number(env, 'COMPOSITE_CACHE_TTL_SECONDS', 600, { min: 1, max: 86_400, integer: true }),
    maxFootprintFiles: number(env, 'MAX_FOOTPRINT_FILES', 500, { min: 1, max: 10_000, integer: true }),
    maxFootprintOverlaps: number(env, 'MAX_FOOTPRINT_OVERLAPS', 10_000, { min: 1, max: 1_000_000, integer: true }),
    maxMosaicFiles: number(env, 'MAX_MOSAIC_FILES', 100, { min: 2, max: 10_000, integer: true }),
    maxPhotometryPositions: number(env, 'MAX_PHOTOMETRY_POSITIONS', 10_000, { min: 1, max: 100_000, integer: true }),
    logLevel: logLevel as Settings['logLevel'],
    maxConcurrentRenders: number(env, 'MAX_CONCURRENT_RENDERS', 2, { min: 1, max: 256, integer: true }),
    renderQueueDepth: number(env, 'RENDER_QUEUE_DEPTH', 4, { min: 0, max: 10_000, integer: true }),
    renderQueueWaitMs: number(env, 'RENDER_QUEUE_WAIT_SECONDS', 15, { min: 0, max: 3600 }) * 1000,
    jobOutputRetentionMs: number(env, 'JOB_OUTPUT_RETENTION_HOURS', 168, { min: 0, max: 87_600 }) * 3_600_000,
    jobOutputMaxBytes: number(env, 'JOB_OUTPUT_MAX_BYTES', 10 * 1024 ** 3, { min: 1, integer: true }),
    databaseUrl: databaseUrl(env),
    databaseFile: resolve(raw(env, 'DATABASE_FILE') ?? resolve(dataDir, 'engine.db')),
    databasePoolWaitMs: number(env, 'DATABASE_POOL_WAIT', 10, { min: 0.1, max: 3600 }) * 1000,
    libraryScanOnStart: boolean(env, 'LIBRARY_SCAN_ON_START', true),
    ...jobQueueSettings(env),
    ...authSettings(env),
    storage: loadStorageSettings(env),
  });
}

/** S3 settings under a variable prefix (S3_ for the engine's store); undefined without a bucket. */
export function loadS3Settings(env: Env, prefix = 'S3_', defaults: Partial<S3Settings> = {}): S3Settings | undefined {
  const bucket = raw(env, `${prefix}BUCKET`) ?? defaults.bucket;
  if (bucket === undefined) return undefined;
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new ConfigError(`${prefix}BUCKET=${JSON.stringify(bucket)} is invalid: expected an S3 bucket name (3-63 lower-case letters, digits, '.', '-')`);
  }
  const accessKeyId = raw(env, `${prefix}ACCESS_KEY_ID`) ?? raw(env, `${prefix}ACCESS_KEY`);
  const secretAccessKey = raw(env, `${prefix}SECRET_ACCESS_KEY`) ?? raw(env, `${prefix}SECRET_KEY`);
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new ConfigError(`${prefix}ACCESS_KEY_ID and ${prefix}SECRET_ACCESS_KEY go together: set both or neither`);
  }
  const endpoint = raw(env, `${prefix}ENDPOINT`) === undefined ? defaults.endpoint : url(env, `${prefix}ENDPOINT`, '');
  const publicEndpoint = raw(env, `${prefix}PUBLIC_ENDPOINT`) === undefined ? undefined : url(env, `${prefix}PUBLIC_ENDPOINT`, '');
  return {
    bucket,
    endpoint,
    region: raw(env, `${prefix}REGION`) ?? defaults.region ?? raw(env, 'AWS_REGION') ?? 'us-east-1',
    forcePathStyle: boolean(env, `${prefix}FORCE_PATH_STYLE`, defaults.forcePathStyle ?? endpoint !== undefined),
    accessKeyId,
    secretAccessKey,
    sessionToken: raw(env, `${prefix}SESSION_TOKEN`),
    anonymous: boolean(env, `${prefix}ANONYMOUS`, defaults.anonymous ?? false),
    publicEndpoint,
  };
}

/** The AWS mirror of MAST: public bucket (default stpubdata) at an endpoint (default AWS's). */
function awsMirrorSettings(env: Env): { bucket: string; endpoint: string } {
  const bucket = raw(env, 'AWS_MIRROR_BUCKET') ?? 'stpubdata';
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new ConfigError(`AWS_MIRROR_BUCKET=${JSON.stringify(bucket)} is invalid: expected an S3 bucket name (3-63 lower-case letters, digits, '.', '-')`);
  }
  return { bucket, endpoint: url(env, 'AWS_MIRROR_ENDPOINT', 'https://s3.amazonaws.com') };
}

/** STORAGE_PROVIDER, S3_*, STORAGE_READ_CACHE_MB, STORAGE_READ_BLOCK_KB (docs/storage.md). */
export function loadStorageSettings(env: Env): StorageSettings {
  const provider = (raw(env, 'STORAGE_PROVIDER') ?? 'local').toLowerCase();
  if (provider !== 'local' && provider !== 's3') {
    throw new ConfigError(`STORAGE_PROVIDER=${JSON.stringify(provider)} is invalid: expected local or s3`);
  }
  const s3 = loadS3Settings(env);
  if (provider === 's3' && s3 === undefined) throw new ConfigError('STORAGE_PROVIDER=s3 needs S3_BUCKET');
  return {
    provider,
    s3,
    readCacheBytes: number(env, 'STORAGE_READ_CACHE_MB', 256, { min: 0, max: 1_048_576, integer: true }) * 1024 * 1024,
    readBlockBytes: number(env, 'STORAGE_READ_BLOCK_KB', 64, { min: 4, max: 65_536, integer: true }) * 1024,
    // S3 refuses parts under 5 MiB (but the last) and uploads of more than 10,000 parts.
    uploadPartBytes: number(env, 'S3_UPLOAD_PART_MB', 8, { min: 5, max: 5120, integer: true }) * 1024 * 1024,
  };
}

function jobQueueSettings(env: Env): Pick<Settings, 'redisUrl' | 'jobQueuePrefix' | 'jobQueueCompute' | 'jobQueueTransfer' | 'runLocalWorkers' |
  'workerConcurrencyCompute' | 'workerConcurrencyTransfer' | 'jobLockDurationMs' | 'jobStalledIntervalMs' | 'jobStartAttempts' |
  'jobThreadAttempts' | 'jobThreadRetryMs'> {
  const redis = redisUrl(env, 'REDIS_URL');
  const runLocalWorkers = boolean(env, 'RUN_LOCAL_WORKERS', true);
  if (!runLocalWorkers && redis === undefined) {
    throw new ConfigError('RUN_LOCAL_WORKERS=false needs REDIS_URL: without Redis no other process could run the jobs');
  }
  const compute = name(env, 'JOB_QUEUE_COMPUTE', 'jobs-compute');
  const transfer = name(env, 'JOB_QUEUE_TRANSFER', 'jobs-transfer');
  if (compute === transfer) throw new ConfigError(`JOB_QUEUE_COMPUTE and JOB_QUEUE_TRANSFER must differ (both ${JSON.stringify(compute)})`);
  return {
    redisUrl: redis,
    jobQueuePrefix: name(env, 'JOB_QUEUE_PREFIX', 'jwst'),
    jobQueueCompute: compute,
    jobQueueTransfer: transfer,
    runLocalWorkers,
    workerConcurrencyCompute: optionalNumber(env, 'WORKER_CONCURRENCY_COMPUTE', { min: 0, max: 256, integer: true }),
    workerConcurrencyTransfer: optionalNumber(env, 'WORKER_CONCURRENCY_TRANSFER', { min: 0, max: 256, integer: true }),
    jobLockDurationMs: number(env, 'JOB_LOCK_DURATION', 30, { min: 1, max: 3600 }) * 1000,
    jobStalledIntervalMs: number(env, 'JOB_STALLED_INTERVAL', 15, { min: 0.1, max: 3600 }) * 1000,
    jobStartAttempts: number(env, 'JOB_START_ATTEMPTS', 20, { min: 1, max: 1_000_000, integer: true }),
    // The wait doubles up to 30 s (backend.ts `afterStartFailure`): a longer first wait would not be kept.
    jobThreadAttempts: number(env, 'JOB_THREAD_ATTEMPTS', 4, { min: 1, max: 1_000_000, integer: true }),
    jobThreadRetryMs: number(env, 'JOB_THREAD_RETRY_MS', 2000, { min: 1, max: 30_000, integer: true }),
  };
}
