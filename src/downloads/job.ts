/**
 * The download view of a job-core record (kind `download`): what the download routes, the CLI and
 * the run itself see, and its saved form, the record's checkpoint.
 *
 * Status (the wire's words, from the core's state; the core's state machine is the only one):
 *   queued → (running:) fetching_products → downloading → complete | failed | paused | cancelled
 * File: pending | downloading | paused | complete | failed
 *
 * The saved form (`JobJson`, snake_case, versioned) extends the upstream state file
 * (contract §3.5) with what exact resumption needs: downloaded byte ranges and validators. It is
 * the record's `checkpoint`; older engines' `.download_state/*.json` files have the same form and
 * are imported once (legacy-state.ts).
 */
import { coveredBytes, isValidRangeList, type ByteRange } from './byte-ranges.js';
import type { DigestState } from './resumable-digest.js';

export const JOB_STATUSES = ['queued', 'fetching_products', 'downloading', 'complete', 'failed', 'paused', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const FILE_STATUSES = ['pending', 'downloading', 'paused', 'complete', 'failed'] as const;
export type FileStatus = (typeof FILE_STATUSES)[number];
/** Why a job is paused: only `user` pauses wait for a person; the others resume automatically. */
export type PauseReason = 'user' | 'shutdown' | 'interrupted' | 'disk_full';
export type FitsVerdict = 'valid' | 'absent' | 'not_fits';
/** Where products are fetched from: MAST, or the AWS mirror (bucket stpubdata) with MAST as fallback. */
export type DownloadSource = 'mast' | 'aws';

export interface FileEntry {
  filename: string;
  url: string;
  /** MAST's URL while `url` is the AWS mirror's: taken when the mirror does not have the file. */
  fallbackUrl: string | null;
  dataUri: string | null;
  /** Absolute path of the finished file. */
  localPath: string;
  /** Path relative to DATA_DIR (what `file_path` parameters take). */
  relativePath: string;
  /** Server length; undefined until known (no Content-Length). */
  totalBytes: number | undefined;
  /** Byte ranges of the `.part` file already written and checked. */
  ranges: ByteRange[];
  /** Written strictly in order (one connection): the `.part` size is then exact after a crash. */
  sequential: boolean;
  status: FileStatus;
  error: string | null;
  startedAt: string | null;
  completedAt: string | null;
  sha256: string | null;
  etag: string | null;
  lastModified: string | null;
  fitsChecksum: FitsVerdict | null;
  /**
   * Downloads into object storage: the multipart upload the bytes go into (its id, the parts
   * completed and the digest of their bytes), so a run after a crash continues the same upload.
   * Null for local downloads and before the upload starts.
   */
  upload: UploadCheckpoint | null;
}

/** The state of a download's multipart upload, saved after every completed part. */
export interface UploadCheckpoint {
  /** The object's key (`mast/{obs_id}/{file}`). */
  readonly key: string;
  readonly uploadId: string;
  readonly partBytes: number;
  /** Completed parts 1..n, each `partBytes` long. */
  readonly parts: ReadonlyArray<{ readonly partNumber: number; readonly etag: string; readonly size: number }>;
  /** SHA-256 and FITS sums of the completed parts' bytes. */
  readonly digest: DigestState;
}

export interface Job {
  readonly id: string;
  readonly obsId: string;
  readonly productType: string;
  readonly calibLevel: number[] | null;
  readonly subgroup: string[] | null;
  /** File extensions of the selection rule (null: its default, `fits`). */
  readonly extension: string[] | null;
  readonly productId: string | null;
  /** The user's selection of productFilename values (null: every product the filters keep). */
  readonly productFilenames: readonly string[] | null;
  /** Where the products come from (`aws`: the mirror bucket, MAST for files it lacks). */
  readonly source?: DownloadSource;
  /** Absolute folder of this observation's files. */
  readonly downloadDir: string;
  files: FileEntry[];
  status: JobStatus;
  pauseReason: PauseReason | null;
  error: string | null;
  message: string;
  readonly createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
  updatedAt: string;
  /** Who asked (the record's owner), or null. */
  owner: string | null;
  /** Bytes per second over the last seconds of the current run (0 when not running). */
  speedBytesPerSec: number;
  /** A file being transferred now, or null. */
  currentFile: string | null;
}

/** Running or waiting to run. */
export const isActive = (status: JobStatus): boolean => status === 'queued' || status === 'fetching_products' || status === 'downloading';
/** Paused or failed with something left to do (a job paused before its product list is resumable too). */
export const isResumable = (job: { readonly status: JobStatus; readonly files: ReadonlyArray<{ readonly status: FileStatus }> }): boolean =>
  ((job.status === 'paused' || job.status === 'failed') && job.files.some((f) => f.status !== 'complete')) ||
  (job.status === 'paused' && job.files.length === 0);

/** A file not started yet: the fields that identify it, nothing transferred, nothing verified. */
export function newFileEntry(init: Pick<FileEntry, 'filename' | 'url' | 'dataUri' | 'localPath' | 'relativePath' | 'totalBytes'> & { fallbackUrl?: string | null }, error: string | null = null): FileEntry {
  // Every field named, in one literal (not `...init`): V8 gives the entries one fast shape, so
  // reading a field of every file (totals, checkpoint-builder.ts) costs ~0.3 ms at 5000 files,
  // not ~10 (issue #20, session 15).
  return {
    filename: init.filename,
    url: init.url,
    fallbackUrl: init.fallbackUrl ?? null,
    dataUri: init.dataUri,
    localPath: init.localPath,
    relativePath: init.relativePath,
    totalBytes: init.totalBytes,
    ranges: [],
    sequential: true,
    status: error ? 'failed' : 'pending',
    error,
    startedAt: null,
    completedAt: null,
    sha256: null,
    etag: null,
    lastModified: null,
    fitsChecksum: null,
    upload: null,
  };
}

export function fileDownloadedBytes(file: FileEntry): number {
  if (file.status === 'complete') return file.totalBytes ?? coveredBytes(file.ranges);
  return coveredBytes(file.ranges);
}

export function jobTotals(job: Job): { totalBytes: number; downloadedBytes: number; completedFiles: number } {
  let totalBytes = 0;
  let downloadedBytes = 0;
  let completedFiles = 0;
  for (const f of job.files) {
    totalBytes += f.totalBytes ?? 0;
    downloadedBytes += fileDownloadedBytes(f);
    if (f.status === 'complete') completedFiles++;
  }
  return { totalBytes, downloadedBytes, completedFiles };
}

// ---------------------------------------------------------------------------------------------
// Saved form

export const JOB_SCHEMA_VERSION = 1;

export interface FileJson {
  filename: string;
  url: string;
  /** MAST's URL while `url` is the AWS mirror's. */
  fallback_url?: string | null;
  data_uri: string | null;
  local_path: string;
  relative_path: string;
  total_bytes: number;
  total_known: boolean;
  downloaded_bytes: number;
  status: FileStatus;
  error: string | null;
  started_at: string | null;
  completed_at: string | null;
  sha256: string | null;
  etag: string | null;
  last_modified: string | null;
  ranges: Array<[number, number]>;
  sequential: boolean;
  fits_checksum: FitsVerdict | null;
  /** Downloads into object storage: the multipart upload in progress (absent for local downloads). */
  upload?: UploadJson | null;
}

export interface UploadJson {
  key: string;
  upload_id: string;
  part_bytes: number;
  parts: Array<{ part_number: number; etag: string; size: number }>;
  digest: DigestState;
}

export interface JobJson {
  schema_version: number;
  job_id: string;
  obs_id: string;
  product_type: string;
  calib_level: number[] | null;
  subgroup: string[] | null;
  extension?: string[] | null;
  product_id: string | null;
  product_filenames: string[] | null;
  /** `aws`: products from the AWS mirror (absent: MAST). */
  source?: DownloadSource;
  download_dir: string;
  files: FileJson[];
  total_bytes: number;
  downloaded_bytes: number;
  status: JobStatus;
  pause_reason: PauseReason | null;
  message: string;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  error: string | null;
  saved_at: string;
  /** While running: the measured speed and the file in flight (for nodes that do not run it). */
  speed_bytes_per_sec?: number;
  current_file?: string | null;
}

/** What was asked for, snake_case as saved (a download record's inputs: no server path). */
export function requestJson(job: Job): Pick<JobJson, 'obs_id' | 'product_type' | 'calib_level' | 'subgroup' | 'extension' | 'product_id' | 'product_filenames' | 'source'> {
  return {
    obs_id: job.obsId,
    product_type: job.productType,
    calib_level: job.calibLevel,
    subgroup: job.subgroup,
    extension: job.extension,
    product_id: job.productId,
    product_filenames: job.productFilenames ? [...job.productFilenames] : null,
    // Only when not the default, so MAST downloads keep the inputs they always had.
    ...(job.source === 'aws' ? { source: job.source } : {}),
  };
}

export function jobToJson(job: Job, now: Date = new Date()): JobJson {
  return jobJsonWith(job, job.files.map(fileToJson), jobTotals(job), now);
}

/** One file's saved form (a part of `jobToJson`; checkpoint-builder.ts caches it per file). */
export function fileToJson(f: FileEntry): FileJson {
  return {
    filename: f.filename,
    url: f.url,
    ...(f.fallbackUrl ? { fallback_url: f.fallbackUrl } : {}),
    data_uri: f.dataUri,
    local_path: f.localPath,
    relative_path: f.relativePath,
    total_bytes: f.totalBytes ?? 0,
    total_known: f.totalBytes !== undefined,
    downloaded_bytes: fileDownloadedBytes(f),
    status: f.status,
    error: f.error,
    started_at: f.startedAt,
    completed_at: f.completedAt,
    sha256: f.sha256,
    etag: f.etag,
    last_modified: f.lastModified,
    ranges: f.ranges.map(([a, b]) => [a, b]),
    sequential: f.sequential,
    fits_checksum: f.fitsChecksum,
    ...(f.upload ? { upload: uploadToJson(f.upload) } : {}),
  };
}

/** The saved form of `job` with `files` as its file list (the saved form of `job.files`) and `totals` (`jobTotals(job)`). */
export function jobJsonWith(job: Job, files: FileJson[], totals: { totalBytes: number; downloadedBytes: number }, now: Date): JobJson {
  return {
    schema_version: JOB_SCHEMA_VERSION,
    job_id: job.id,
    ...requestJson(job),
    download_dir: job.downloadDir,
    files,
    total_bytes: totals.totalBytes,
    downloaded_bytes: totals.downloadedBytes,
    status: job.status,
    pause_reason: job.pauseReason,
    message: job.message,
    created_at: job.createdAt,
    started_at: job.startedAt,
    completed_at: job.completedAt,
    error: job.error,
    saved_at: now.toISOString(),
    speed_bytes_per_sec: job.speedBytesPerSec,
    current_file: job.currentFile,
  };
}

export const JOB_ID_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

export class InvalidJobJsonError extends Error {
  constructor(why: string) {
    super(`invalid job state: ${why}`);
    this.name = 'InvalidJobJsonError';
  }
}

const str = (v: unknown, name: string): string => {
  if (typeof v !== 'string') throw new InvalidJobJsonError(`${name} must be a string`);
  return v;
};
const strOrNull = (v: unknown, name: string): string | null => (v === null || v === undefined ? null : str(v, name));
const int = (v: unknown, name: string): number => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new InvalidJobJsonError(`${name} must be a non-negative integer`);
  return v;
};
function oneOf<T extends string>(v: unknown, allowed: readonly T[], name: string): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) throw new InvalidJobJsonError(`${name} must be one of ${allowed.join(', ')}`);
  return v as T;
}

/** One saved file (`files[i]` of a saved job), as `jobFromJson` reads it. */
export function fileFromJson(raw: unknown, i: number): FileEntry {
  if (typeof raw !== 'object' || raw === null) throw new InvalidJobJsonError(`files[${i}] is not an object`);
  const f = raw as Record<string, unknown>;
  const total = int(f.total_bytes ?? 0, `files[${i}].total_bytes`);
  const known = typeof f.total_known === 'boolean' ? f.total_known : total > 0;
  const ranges = f.ranges === undefined ? [] : f.ranges;
  if (!isValidRangeList(ranges)) throw new InvalidJobJsonError(`files[${i}].ranges is malformed`);
  const filename = str(f.filename, `files[${i}].filename`);
  return {
    filename,
    url: str(f.url, `files[${i}].url`),
    fallbackUrl: strOrNull(f.fallback_url, `files[${i}].fallback_url`),
    dataUri: strOrNull(f.data_uri, `files[${i}].data_uri`),
    localPath: str(f.local_path, `files[${i}].local_path`),
    relativePath: typeof f.relative_path === 'string' ? f.relative_path : filename,
    totalBytes: known ? total : undefined,
    ranges: ranges.map(([a, b]): ByteRange => [a, b]),
    // Upstream files were written in order; their .part size is their progress.
    sequential: typeof f.sequential === 'boolean' ? f.sequential : true,
    status: oneOf(f.status, FILE_STATUSES, `files[${i}].status`),
    error: strOrNull(f.error, `files[${i}].error`),
    startedAt: strOrNull(f.started_at, `files[${i}].started_at`),
    completedAt: strOrNull(f.completed_at, `files[${i}].completed_at`),
    sha256: strOrNull(f.sha256, `files[${i}].sha256`),
    etag: strOrNull(f.etag, `files[${i}].etag`),
    lastModified: strOrNull(f.last_modified, `files[${i}].last_modified`),
    upload: uploadFromJson(f.upload),
    fitsChecksum: f.fits_checksum === null || f.fits_checksum === undefined ? null : oneOf(f.fits_checksum, ['valid', 'absent', 'not_fits'] as const, `files[${i}].fits_checksum`),
  };
}

/**
 * Reads a saved job, accepting the upstream engine's older state files (no ranges, no version).
 * `files`, when given, are its `files` already read (`fileFromJson` of each, in order).
 */
export function jobFromJson(value: unknown, files?: FileEntry[]): Job {
  if (typeof value !== 'object' || value === null) throw new InvalidJobJsonError('not an object');
  const o = value as Record<string, unknown>;
  const version = o.schema_version === undefined ? 0 : int(o.schema_version, 'schema_version');
  if (version > JOB_SCHEMA_VERSION) throw new InvalidJobJsonError(`schema_version ${version} is newer than this engine`);
  const id = str(o.job_id, 'job_id');
  if (!JOB_ID_PATTERN.test(id)) throw new InvalidJobJsonError('job_id has invalid characters');
  // Upstream wrote `pending` for a job not started yet.
  const status = o.status === 'pending' ? 'queued' : oneOf(o.status, JOB_STATUSES, 'status');
  if (!Array.isArray(o.files)) throw new InvalidJobJsonError('files must be a list');
  const downloadDir = str(o.download_dir, 'download_dir');
  files ??= o.files.map(fileFromJson);
  const savedAt = typeof o.saved_at === 'string' ? o.saved_at : new Date(0).toISOString();
  return {
    id,
    obsId: str(o.obs_id, 'obs_id'),
    productType: typeof o.product_type === 'string' ? o.product_type : 'SCIENCE',
    calibLevel: Array.isArray(o.calib_level) ? o.calib_level.map((v, i) => int(v, `calib_level[${i}]`)) : null,
    subgroup: Array.isArray(o.subgroup) ? o.subgroup.map((v, i) => str(v, `subgroup[${i}]`)) : null,
    extension: Array.isArray(o.extension) ? o.extension.map((v, i) => str(v, `extension[${i}]`)) : null,
    productId: strOrNull(o.product_id, 'product_id'),
    productFilenames: Array.isArray(o.product_filenames) ? o.product_filenames.map((v, i) => str(v, `product_filenames[${i}]`)) : null,
    source: o.source === 'aws' ? 'aws' : 'mast',
    downloadDir,
    files,
    status,
    pauseReason: o.pause_reason === null || o.pause_reason === undefined ? null : oneOf(o.pause_reason, ['user', 'shutdown', 'interrupted', 'disk_full'] as const, 'pause_reason'),
    error: strOrNull(o.error, 'error'),
    message: typeof o.message === 'string' ? o.message : '',
    createdAt: typeof o.created_at === 'string' ? o.created_at : (strOrNull(o.started_at, 'started_at') ?? savedAt),
    startedAt: strOrNull(o.started_at, 'started_at'),
    completedAt: strOrNull(o.completed_at, 'completed_at'),
    updatedAt: savedAt,
    owner: null,
    speedBytesPerSec: typeof o.speed_bytes_per_sec === 'number' && Number.isFinite(o.speed_bytes_per_sec) && o.speed_bytes_per_sec >= 0 ? o.speed_bytes_per_sec : 0,
    currentFile: typeof o.current_file === 'string' ? o.current_file : null,
  };
}

function uploadToJson(u: UploadCheckpoint): UploadJson {
  return {
    key: u.key, upload_id: u.uploadId, part_bytes: u.partBytes,
    parts: u.parts.map((p) => ({ part_number: p.partNumber, etag: p.etag, size: p.size })),
    digest: u.digest,
  };
}

/** A saved upload, or null when there is none or it is not usable (the file then starts over). */
function uploadFromJson(v: unknown): UploadCheckpoint | null {
  if (typeof v !== 'object' || v === null) return null;
  const u = v as Record<string, unknown>;
  if (typeof u.key !== 'string' || typeof u.upload_id !== 'string' || !Number.isSafeInteger(u.part_bytes) || !Array.isArray(u.parts) || typeof u.digest !== 'object' || u.digest === null) return null;
  const parts: Array<{ partNumber: number; etag: string; size: number }> = [];
  for (const p of u.parts as unknown[]) {
    const q = p as Record<string, unknown> | null;
    if (!q || !Number.isInteger(q.part_number) || typeof q.etag !== 'string' || !Number.isSafeInteger(q.size)) return null;
    parts.push({ partNumber: q.part_number as number, etag: q.etag, size: q.size as number });
  }
  return { key: u.key, uploadId: u.upload_id, partBytes: u.part_bytes as number, parts, digest: u.digest as DigestState };
}
