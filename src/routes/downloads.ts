/**
 * Download job endpoints (contract §1.5 and §3) over the DownloadManager (downloads are job-core
 * records of kind `download`; these routes map them to the contract's shapes), plus
 * `GET /mast/download/jobs` and the Server-Sent Events stream `GET /mast/download/events/{job_id}`.
 * Shapes are the contract's (snake_case, `files` as absolute paths); additions: `job_id` and
 * `status` where useful, `relative_files`, and per file `relative_path`, `sha256`, `error`.
 * No GET deletes anything. Owners: with users on, a download belongs to the user who started it;
 * another user's job answers 404 like a missing one (an admin reaches every job), as /api/jobs.
 */
import { Type, type Static, type TSchema } from 'typebox';
import { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../server.js';
import { eventStreams, inItsOwnTurn } from './sse.js';
import type { EngineContext } from '../context.js';
import { NotFoundError, UpstreamTimeoutError } from '../errors.js';
import { MAX_SELECTED_PRODUCTS, PRODUCT_FILENAME_PATTERN, validateObsId, type DownloadManager, type FileProgress, type Job, type JobProgress } from '../downloads/index.js';
import { jobOwnerOf, jobScopeOf } from './job-support.js';
import { ByteLru } from '../core/byte-lru.js';
import type { LoopSlices } from '../core/loop-slices.js';

function nullable<T extends TSchema>(t: T) {
  const schema = t as unknown as { type?: unknown };
  return Type.Optional(Type.Unsafe<Static<T> | null>({ ...t, type: [schema.type, 'null'] }));
}

const JOB_ID = /^[a-zA-Z0-9_-]{1,64}$/;
const ObsId = Type.String({ minLength: 1, maxLength: 128, description: 'observation id, [A-Za-z0-9._-]' });
const ProductType = nullable(Type.String({ maxLength: 32, pattern: '^[A-Za-z]+$', default: 'SCIENCE', description: 'SCIENCE (default), PREVIEW, AUXILIARY, ... or ALL' }));
const CalibLevel = nullable(Type.Array(Type.Integer({ minimum: 0, maximum: 4 }), { maxItems: 5 }));
const Extension = nullable(Type.Array(Type.String({ pattern: '^\\.?[A-Za-z0-9.*]{1,12}$', maxLength: 13 }), { maxItems: 20, description: 'file extensions (default fits; "*" for every extension), as /mast/products takes them' }));
const Subgroup = nullable(Type.Array(Type.String({ pattern: '^[A-Za-z0-9_-]{1,20}$', maxLength: 20 }), { maxItems: 20, description: 'productSubGroupDescription values, e.g. I2D, CAL' }));

const ProductFilenames = nullable(Type.Array(Type.String({ pattern: PRODUCT_FILENAME_PATTERN, maxLength: 255 }), {
  minItems: 1,
  maxItems: MAX_SELECTED_PRODUCTS,
  description: 'productFilename values (from /mast/products) to download; only these, whatever product_type, calib_level, subgroup and extension say',
}));

const DownloadBody = Type.Object({ obs_id: ObsId, product_type: ProductType, extension: Extension, product_id: nullable(Type.String({ maxLength: 512 })) });
const ChunkedBody = Type.Object({
  obs_id: ObsId,
  product_type: ProductType,
  resume_job_id: nullable(Type.String({ maxLength: 64 })),
  calib_level: CalibLevel,
  subgroup: Subgroup,
  extension: Extension,
  product_filenames: ProductFilenames,
  source: Type.Optional(Type.Union([Type.Literal('mast'), Type.Literal('aws')], {
    default: 'mast',
    description: 'mast (default), or aws: the AWS mirror of MAST (bucket stpubdata, AWS_MIRROR_BUCKET), read anonymously with ranged GETs; files it does not hold come from MAST',
  })),
});
const JobParams = Type.Object({ job_id: Type.String({ maxLength: 128 }) });
const DismissQuery = Type.Object({ delete_files: Type.Optional(Type.Boolean({ default: false })) });

const NullableString = Type.Union([Type.String(), Type.Null()]);
const FileProgressSchema = Type.Object({
  filename: Type.String(),
  total_bytes: Type.Integer(),
  downloaded_bytes: Type.Integer(),
  progress_percent: Type.Number(),
  status: Type.String(),
  local_path: Type.String(),
  relative_path: Type.String(),
  sha256: NullableString,
  fits_checksum: NullableString,
  error: NullableString,
});
const ChunkedProgress = Type.Object({
  job_id: Type.String(),
  obs_id: Type.String(),
  stage: Type.String(),
  status: Type.String(),
  message: Type.String(),
  progress: Type.Integer(),
  total_files: Type.Integer(),
  downloaded_files: Type.Integer(),
  failed_files: Type.Integer(),
  current_file: NullableString,
  files: Type.Array(Type.String(), { description: 'absolute paths of completed files' }),
  relative_files: Type.Array(Type.String(), { description: 'the same, relative to DATA_DIR' }),
  error: NullableString,
  started_at: NullableString,
  completed_at: NullableString,
  created_at: Type.String(),
  download_dir: Type.String(),
  is_complete: Type.Boolean(),
  total_bytes: Type.Integer(),
  downloaded_bytes: Type.Integer(),
  download_progress_percent: Type.Number(),
  speed_bytes_per_sec: Type.Number(),
  eta_seconds: Type.Union([Type.Number(), Type.Null()]),
  file_progress: Type.Array(FileProgressSchema),
  is_resumable: Type.Boolean(),
  pause_reason: NullableString,
});
const LegacyProgress = Type.Object({
  job_id: Type.String(),
  obs_id: Type.String(),
  stage: Type.String(),
  message: Type.String(),
  progress: Type.Integer(),
  total_files: Type.Integer(),
  downloaded_files: Type.Integer(),
  current_file: NullableString,
  files: Type.Array(Type.String()),
  error: NullableString,
  started_at: NullableString,
  completed_at: NullableString,
  download_dir: NullableString,
  is_complete: Type.Boolean(),
  total_bytes: Type.Integer(),
  downloaded_bytes: Type.Integer(),
  download_progress_percent: Type.Number(),
  speed_bytes_per_sec: Type.Number(),
  eta_seconds: Type.Union([Type.Number(), Type.Null()]),
});
const StartResponse = Type.Object({ job_id: Type.String(), obs_id: Type.String(), message: Type.String() });
const ChunkedStartResponse = Type.Object({ job_id: Type.String(), obs_id: Type.String(), message: Type.String(), is_resume: Type.Boolean() });
const PauseResumeResponse = Type.Object({ job_id: Type.String(), status: Type.String(), message: Type.String() });
const DownloadResponse = Type.Object({
  status: Type.String(),
  obs_id: Type.String(),
  files: Type.Array(Type.String()),
  file_count: Type.Integer(),
  download_dir: NullableString,
  error: NullableString,
  timestamp: Type.String(),
  job_id: Type.String(),
});
const ResumableSummary = Type.Object({
  job_id: Type.String(),
  obs_id: Type.String(),
  total_bytes: Type.Integer(),
  downloaded_bytes: Type.Integer(),
  progress_percent: Type.Number(),
  status: Type.String(),
  total_files: Type.Integer(),
  completed_files: Type.Integer(),
  started_at: NullableString,
  pause_reason: NullableString,
  error: NullableString,
});
const ResumableResponse = Type.Object({ jobs: Type.Array(ResumableSummary), count: Type.Integer() });
const JobsResponse = Type.Object({ jobs: Type.Array(ChunkedProgress), count: Type.Integer({ description: 'jobs in this answer' }) });
const JobsQuery = Type.Object({
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0, description: 'jobs of the list (oldest first) to skip' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'at most this many jobs (default: every job after offset)' })),
});
const DismissResponse = Type.Object({ job_id: Type.String(), dismissed: Type.Boolean(), deleted_files: Type.Integer() });

/** The response schemas of the progress and jobs routes (tests serialise with them as Fastify does). */
export const PROGRESS_SCHEMAS = { chunked: ChunkedProgress, jobs: JobsResponse } as const;

/** The contract's progress-chunked shape (plus additions), from the core's progress. */
export function chunkedProgressJson(p: JobProgress): Static<typeof ChunkedProgress> {
  const done = p.files.filter((f) => f.status === 'complete');
  return {
    job_id: p.jobId,
    obs_id: p.obsId,
    stage: p.status,
    status: p.status,
    message: p.message,
    progress: Math.floor(p.percent),
    total_files: p.totalFiles,
    downloaded_files: p.completedFiles,
    failed_files: p.failedFiles,
    current_file: p.currentFile,
    files: done.map((f) => f.localPath),
    relative_files: done.map((f) => f.relativePath),
    error: p.error,
    started_at: p.startedAt,
    completed_at: p.completedAt,
    created_at: p.createdAt,
    download_dir: p.downloadDir,
    is_complete: p.isFinished,
    total_bytes: p.totalBytes,
    downloaded_bytes: p.downloadedBytes,
    download_progress_percent: p.percent,
    speed_bytes_per_sec: p.speedBytesPerSec,
    eta_seconds: p.etaSeconds,
    file_progress: p.files.map(fileProgressJson),
    is_resumable: p.isResumable,
    pause_reason: p.pauseReason,
  };
}

function fileProgressJson(f: FileProgress): Static<typeof FileProgressSchema> {
  return {
    filename: f.filename,
    total_bytes: f.totalBytes,
    downloaded_bytes: f.downloadedBytes,
    progress_percent: f.percent,
    status: f.status,
    local_path: f.localPath,
    relative_path: f.relativePath,
    sha256: f.sha256,
    fits_checksum: f.fitsChecksum,
    error: f.error,
  };
}

/** A run of files in a progress answer, serialised: their `file_progress` entries, and the `files` and `relative_files` items of those complete. */
interface FileRun {
  readonly of: readonly FileProgress[];
  readonly entries: Buffer;
  /** Empty when none of the run is complete. */
  readonly locals: Buffer;
  readonly relatives: Buffer;
}

/** Files per run: a run is serialised again only when one of its files changed. */
const RUN_FILES = 64;

/**
 * Every field the same (all are primitives): a field added to FileProgress is compared too. The
 * same object first: an SSE event's files that did not change since the last event are the same
 * objects (`DownloadManager` keeps them per saved file form, issue #20, session 19).
 */
function sameFileProgress(a: FileProgress, b: FileProgress): boolean {
  if (a === b) return true;
  for (const key in a) if (a[key as keyof FileProgress] !== b[key as keyof FileProgress]) return false;
  return true;
}

/** The run of `all[from, to)`: `before` when none of its files changed (compared in place, no copy of the run's list then). */
function fileRun(all: readonly FileProgress[], from: number, to: number, before: FileRun | undefined): FileRun {
  if (before && before.of.length === to - from && sameFiles(before.of, all, from)) return before;
  const files = all.slice(from, to);
  const done = files.filter((f) => f.status === 'complete');
  return {
    of: files,
    entries: Buffer.from(files.map((f) => JSON.stringify(fileProgressJson(f))).join(','), 'utf8'),
    locals: Buffer.from(done.map((f) => JSON.stringify(f.localPath)).join(','), 'utf8'),
    relatives: Buffer.from(done.map((f) => JSON.stringify(f.relativePath)).join(','), 'utf8'),
  };
}

function sameFiles(run: readonly FileProgress[], all: readonly FileProgress[], from: number): boolean {
  for (let i = 0; i < run.length; i++) if (!sameFileProgress(run[i]!, all[from + i]!)) return false;
  return true;
}

/** Per job object (a running job's `Job` stays the same object while it runs): its files' runs at the last answer. */
const fileRunsOf = new WeakMap<object, FileRun[]>();

const COMMA = Buffer.from(',');

/** `parts` with a comma between those not empty. */
function commaList(parts: readonly Buffer[], out: Buffer[]): void {
  let first = true;
  for (const b of parts) {
    if (b.length === 0) continue;
    if (!first) out.push(COMMA);
    out.push(b);
    first = false;
  }
}

/** `JSON.stringify(chunkedProgressJson(p))`: the SSE events' text (`send` made the same). */
export function chunkedProgressText(p: JobProgress): string {
  return JSON.stringify(chunkedProgressJson(p));
}

/**
 * The UTF-8 bytes of `chunkedProgressText(p)`, which are also what the route's response schema
 * serialised (same keys in the same order; test/downloads/progress-json.test.ts), made at less
 * cost when `key` is given: the files are serialised in runs of 64 kept under `key` (the running
 * job's `Job`), and a run is made again only when one of its files changed since the last answer.
 * A poll of a job of thousands of files, most of them pending or complete, serialises the few
 * runs in flight and copies the others' bytes (issue #20, session 17).
 */
export function chunkedProgressBytes(p: JobProgress, key?: object): Buffer {
  const answer = chunkedProgressParts(p, key);
  return Buffer.concat(answer.pieces, answer.length);
}

/** A JSON answer as the pieces it is made of, in order, and their total length in bytes. */
export interface AnswerPieces {
  readonly pieces: readonly Buffer[];
  readonly length: number;
}

/**
 * `chunkedProgressBytes(p, key)` not joined: the parts it is the concatenation of (the answer's own
 * fields and each run's kept bytes, commas between: ~290 at 5000 files), made at once, and their
 * total length. A poll or an SSE event writes them to the socket as they are (one `writev`), so
 * the 2.3 MB of a 5000-file answer are not copied once more into a fresh buffer (issue #20,
 * session 20).
 */
export function chunkedProgressParts(p: JobProgress, key?: object): AnswerPieces {
  const out: Buffer[] = [];
  for (const _ of progressPieces(p, key, out));
  let length = 0;
  for (const b of out) length += b.length;
  return { pieces: out, length };
}

/** Bytes of a piece of `chunkedProgressPieces` (the last of an item may be shorter). */
const ITEM_PIECE_BYTES = 64 * 1024;

/**
 * `chunkedProgressBytes(p, key)` as pieces of about 64 KiB (joined, the very same bytes), its runs
 * of files made with the event loop let run between them whenever `slices` is due: a job of 10,000
 * files is ~100 ms of work on a loaded machine (issue #20, session 20).
 */
export async function chunkedProgressPieces(p: JobProgress, key: object | undefined, slices: LoopSlices): Promise<Buffer[]> {
  const out: Buffer[] = [];
  await slices.drain(progressPieces(p, key, out));
  const pieces: Buffer[] = [];
  for (let from = 0, bytes = 0, i = 0; i < out.length; i++) {
    bytes += out[i]!.length;
    if (bytes >= ITEM_PIECE_BYTES || i === out.length - 1) {
      pieces.push(Buffer.concat(out.slice(from, i + 1), bytes));
      from = i + 1;
      bytes = 0;
    }
  }
  return pieces;
}

/**
 * The work of `chunkedProgressBytes`: puts the answer's parts into `out`, in order, and stops
 * (yields) after each run of files it makes, so a caller may let the event loop run there.
 */
function* progressPieces(p: JobProgress, key: object | undefined, out: Buffer[]): Generator<void, void, undefined> {
  const before = key ? fileRunsOf.get(key) : undefined;
  const runs: FileRun[] = [];
  for (let i = 0, r = 0; i < p.files.length; i += RUN_FILES, r++) {
    runs.push(fileRun(p.files, i, Math.min(i + RUN_FILES, p.files.length), before?.[r]));
    yield;
  }
  if (key) fileRunsOf.set(key, runs);
  // The answer without its files, made by chunkedProgressJson (the one mapping of its fields), and
  // the runs put into its three empty lists. A string value is escaped JSON, so `"files":[]` and
  // the others are found only as keys, in the schema's order.
  const shell = JSON.stringify(chunkedProgressJson({ ...p, files: [] }));
  const openAt: number[] = [];
  for (const key of ['"files":[', '"relative_files":[', '"file_progress":[']) {
    const at = shell.indexOf(`${key}]`, openAt.at(-1) ?? 0);
    if (at < 0) throw new Error(`progress answer without ${key}]`);
    openAt.push(at + key.length);
  }
  const [files, relatives, entries] = openAt as [number, number, number];
  out.push(Buffer.from(shell.slice(0, files)));
  commaList(runs.map((r) => r.locals), out);
  out.push(Buffer.from(shell.slice(files, relatives)));
  commaList(runs.map((r) => r.relatives), out);
  out.push(Buffer.from(shell.slice(relatives, entries)));
  commaList(runs.map((r) => r.entries), out);
  out.push(Buffer.from(shell.slice(entries)));
}

/**
 * A reply body of pieces already made. Fastify pipes a stream body into the response; piped into
 * an HTTP response, this one writes all its pieces corked and ends it, so they leave in one
 * `writev` without being copied into one buffer, as `send` of that buffer would have written it
 * whole at once (issue #20, session 20). Read any other way, it gives its pieces in order.
 */
class PiecesBody extends Readable {
  constructor(private readonly pieces: readonly Buffer[]) {
    super();
  }

  override _read(): void {
    for (const b of this.pieces) this.push(b);
    this.push(null);
  }

  override pipe<T extends NodeJS.WritableStream>(dest: T, options?: { end?: boolean }): T {
    if (!(dest instanceof ServerResponse) || options?.end === false) return super.pipe(dest, options);
    dest.cork();
    for (const b of this.pieces) dest.write(b);
    dest.end();
    dest.uncork();
    // Ended and read: whoever waits for this stream's end (Fastify) sees it done.
    this.push(null);
    this.resume();
    return dest;
  }
}

/**
 * Sends a JSON answer already serialised, as its pieces (`chunkedProgressParts`), with the content
 * type Fastify's serialiser gives and their length as Content-Length (Fastify keeps a stream
 * reply's content-length; a HEAD answer keeps it too, without the body); the handler returns the
 * reply it gives (see `sendJsonStream`). The bytes are those of the pieces joined.
 */
function sendJsonPieces(reply: FastifyReply, answer: AnswerPieces): FastifyReply {
  return reply.type('application/json; charset=utf-8').header('content-length', String(answer.length)).send(new PiecesBody(answer.pieces));
}

/**
 * Sends a JSON answer as the stream of its bytes (chunked), with the content type Fastify's
 * serialiser gives; the handler returns the reply it gives (an async handler that returned nothing
 * would have Fastify send an empty answer, the stream not being done). Fastify pipes the stream: a
 * client gone destroys it (which ends `chunks`), and an error of `chunks` once the head was sent
 * is logged and ends the connection.
 */
function sendJsonStream(reply: FastifyReply, chunks: AsyncIterable<Buffer>): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(Readable.from(chunks));
}

/**
 * The jobs answer `{ jobs, count }`, in the schema's order, as its pieces: the items as `items`
 * gives them (each job's bytes as the progress route makes them, in pieces: session 20), `count`
 * after them, so it counts what was sent (a job deleted before it was read is in neither). The
 * bytes are those of the response schema over the same jobs (issue #20, session 19: no longer
 * joined into one buffer).
 */
export async function* jobsAnswer(items: AsyncIterable<readonly Buffer[]>): AsyncGenerator<Buffer, void, undefined> {
  yield Buffer.from('{"jobs":[');
  let count = 0;
  for await (const item of items) {
    if (!item.some((piece) => piece.length > 0)) continue;
    if (count++ > 0) yield COMMA;
    for (const piece of item) if (piece.length > 0) yield piece;
  }
  yield Buffer.from(`],"count":${count}}`);
}

function legacyProgressJson(p: JobProgress): Static<typeof LegacyProgress> {
  const round1 = (x: number) => Math.round(x * 10) / 10;
  return {
    job_id: p.jobId,
    obs_id: p.obsId,
    stage: p.status,
    message: p.message,
    progress: Math.floor(p.percent),
    total_files: p.totalFiles,
    downloaded_files: p.completedFiles,
    current_file: p.currentFile,
    files: p.files.filter((f) => f.status === 'complete').map((f) => f.localPath),
    error: p.error,
    started_at: p.startedAt,
    completed_at: p.completedAt,
    download_dir: p.downloadDir,
    is_complete: p.isFinished,
    total_bytes: p.totalBytes,
    downloaded_bytes: p.downloadedBytes,
    download_progress_percent: round1(p.percent),
    speed_bytes_per_sec: Math.round(p.speedBytesPerSec),
    eta_seconds: p.etaSeconds === null ? null : Math.round(p.etaSeconds),
  };
}

function checkObsId(obsId: string): void {
  validateObsId(obsId);
}

/**
 * The download job, when this request may see it. A job id that cannot exist is simply not found
 * (as upstream), not a validation error; so is another user's job.
 */
async function findJob(downloads: DownloadManager, req: FastifyRequest, jobId: string, message = `Job ${jobId} not found`): Promise<Job> {
  const job = JOB_ID.test(jobId) ? await downloads.getOrLoad(jobId) : undefined;
  const scope = jobScopeOf(req);
  if (!job || (scope !== undefined && job.owner !== scope)) throw new NotFoundError(message, 'DOWNLOAD_JOB_NOT_FOUND');
  return job;
}

/**
 * The bytes of an event's progress, made once for all its SSE subscribers (`DownloadManager.subscribe`
 * shares the object per event) with `chunkedProgressParts`, its runs kept under `key` (the job's
 * `Job` while it runs here, the object the progress route keeps them under): an event serialises
 * the runs whose files changed since the last event or poll and copies the others (issue #20,
 * session 17); the pieces are written to each stream as they are, not joined (session 20).
 */
const progressBytes = new WeakMap<JobProgress, readonly Buffer[]>();
function progressBytesOf(p: JobProgress, key: object | undefined): readonly Buffer[] {
  let pieces = progressBytes.get(p);
  if (pieces === undefined) progressBytes.set(p, (pieces = chunkedProgressParts(p, key).pieces));
  return pieces;
}

/** Bytes of finished jobs' answers `GET /mast/download/jobs` keeps (an item larger is not kept). */
export const FINISHED_ANSWERS_BYTES = 64 * 1024 * 1024;

export async function downloadRoutes(app: App, ctx: EngineContext): Promise<void> {
  const downloads = ctx.downloads;
  const tags = ['downloads'];
  const streams = eventStreams(app);

  app.post('/mast/download', {
    schema: { tags, summary: 'Download an observation (or one product) and wait for it', body: DownloadBody, response: { 200: DownloadResponse } },
  }, async (req) => {
    checkObsId(req.body.obs_id);
    const job = await downloads.createJob({ obsId: req.body.obs_id, productType: req.body.product_type ?? 'SCIENCE', extension: req.body.extension ?? null, productId: req.body.product_id ?? null }, { owner: jobOwnerOf(req) });
    // Synchronous download budget (upstream MAST_DOWNLOAD_TIMEOUT, 600 s).
    const timeout = ctx.settings.mastDownloadTimeoutMs / 1000;
    const signal = AbortSignal.timeout(ctx.settings.mastDownloadTimeoutMs);
    let settled: Job;
    try {
      settled = await downloads.waitUntilSettled(job.id, signal);
    } catch (err) {
      if (signal.aborted) throw new UpstreamTimeoutError(`Download timed out after ${timeout} seconds. The files may be very large. It continues as job ${job.id}.`, 'DOWNLOAD_TIMEOUT');
      throw err;
    }
    const p = downloads.progress(settled);
    const files = p.files.filter((f) => f.status === 'complete').map((f) => f.localPath);
    return {
      status: settled.status === 'complete' ? 'completed' : settled.status,
      obs_id: settled.obsId,
      files,
      file_count: files.length,
      download_dir: settled.downloadDir,
      error: settled.error,
      timestamp: new Date().toISOString(),
      job_id: settled.id,
    };
  });

  app.post('/mast/download/start', {
    schema: { tags, summary: 'Start a download job (legacy shape)', body: DownloadBody, response: { 200: StartResponse } },
  }, async (req) => {
    checkObsId(req.body.obs_id);
    const job = await downloads.createJob({ obsId: req.body.obs_id, productType: req.body.product_type ?? 'SCIENCE', extension: req.body.extension ?? null, productId: req.body.product_id ?? null }, { owner: jobOwnerOf(req) });
    return { job_id: job.id, obs_id: job.obsId, message: 'Download started' };
  });

  app.get('/mast/download/progress/:job_id', {
    schema: { tags, summary: 'Progress of a job (legacy shape)', params: JobParams, response: { 200: LegacyProgress } },
  }, async (req) => legacyProgressJson(downloads.progress(await findJob(downloads, req, req.params.job_id))));

  app.post('/mast/download/start-chunked', {
    schema: { tags, summary: 'Start (or resume) a chunked, resumable download job', body: ChunkedBody, response: { 200: ChunkedStartResponse } },
  }, async (req) => {
    const { obs_id, resume_job_id } = req.body;
    if (resume_job_id && JOB_ID.test(resume_job_id)) {
      const existing = await downloads.getOrLoad(resume_job_id);
      const scope = jobScopeOf(req);
      if (existing && (scope === undefined || existing.owner === scope) && (existing.status === 'paused' || existing.status === 'failed' || downloads.progress(existing).status === 'queued')) {
        const job = await downloads.resume(resume_job_id);
        return { job_id: job.id, obs_id: job.obsId, message: 'Download resumed', is_resume: true };
      }
    }
    checkObsId(obs_id);
    const job = await downloads.createJob({
      obsId: obs_id,
      productType: req.body.product_type ?? 'SCIENCE',
      calibLevel: req.body.calib_level ?? null,
      subgroup: req.body.subgroup ?? null,
      extension: req.body.extension ?? null,
      productFilenames: req.body.product_filenames ?? null,
      source: req.body.source ?? 'mast',
    }, { owner: jobOwnerOf(req) });
    return { job_id: job.id, obs_id: job.obsId, message: 'Chunked download started', is_resume: false };
  });

  // Upstream's S3 download (from the AWS mirror): the chunked job with source "aws".
  app.post('/mast/download/start-s3', {
    schema: {
      tags, summary: 'Start a resumable download from the AWS mirror of MAST (bucket stpubdata), MAST for files it lacks',
      body: Type.Omit(ChunkedBody, ['source', 'resume_job_id']), response: { 200: ChunkedStartResponse },
    },
  }, async (req) => {
    checkObsId(req.body.obs_id);
    const job = await downloads.createJob({
      obsId: req.body.obs_id,
      productType: req.body.product_type ?? 'SCIENCE',
      calibLevel: req.body.calib_level ?? null,
      subgroup: req.body.subgroup ?? null,
      extension: req.body.extension ?? null,
      productFilenames: req.body.product_filenames ?? null,
      source: 'aws',
    }, { owner: jobOwnerOf(req) });
    return { job_id: job.id, obs_id: job.obsId, message: 'Download from the AWS mirror started', is_resume: false };
  });

  app.get('/mast/download/progress-chunked/:job_id', {
    schema: { tags, summary: 'Byte-level progress of a job', params: JobParams, response: { 200: ChunkedProgress } },
  }, async (req, reply) => {
    const job = await findJob(downloads, req, req.params.job_id);
    // Serialised here (byte for byte the schema's answer), each run of files kept while none of it
    // changes, and sent as those pieces (not joined).
    return sendJsonPieces(reply, chunkedProgressParts(downloads.progress(job), job));
  });

  /**
   * POST /mast/download/{action}/:job_id: `act` on the caller's job (404 DOWNLOAD_JOB_NOT_FOUND
   * with `notFound(id)` when it has none of that id), answered with the job's id, `status` and
   * the message `act` gives.
   */
  const jobControlRoute = (action: string, summary: string, status: string, notFound: (id: string) => string, act: (id: string) => Promise<{ job: Job; message: string }>) =>
    app.post(`/mast/download/${action}/:job_id`, {
      schema: { tags, summary, params: JobParams, response: { 200: PauseResumeResponse } },
    }, async (req) => {
      const id = req.params.job_id;
      await findJob(downloads, req, id, notFound(id));
      const { job, message } = await act(id);
      return { job_id: job.id, status, message };
    });

  jobControlRoute('resume', 'Resume a paused or failed job from the bytes on disk', 'resuming', (id) => `No resumable state found for job ${id}`,
    async (id) => ({ job: await downloads.resume(id), message: 'Download resumed' }));
  jobControlRoute('pause', 'Pause a running job (transfers stop, bytes stay)', 'paused', (id) => `No active download for job ${id}`,
    async (id) => ({ job: await downloads.pause(id), message: 'Download paused' }));
  jobControlRoute('cancel', 'Cancel a job for good', 'cancelled', (id) => `No download found for job ${id}`, async (id) => {
    const { job, wasActive } = await downloads.cancel(id);
    return { job, message: wasActive ? 'Download cancelled' : 'Download marked as cancelled' };
  });

  app.get('/mast/download/resumable', {
    schema: { tags, summary: 'Jobs that can be resumed (read only)', response: { 200: ResumableResponse } },
  }, async (req) => {
    const jobs = (await downloads.resumable(jobScopeOf(req))).map((job) => {
      const p = downloads.progress(job);
      return {
        job_id: p.jobId,
        obs_id: p.obsId,
        total_bytes: p.totalBytes,
        downloaded_bytes: p.downloadedBytes,
        progress_percent: p.percent,
        status: p.status,
        total_files: p.totalFiles,
        completed_files: p.completedFiles,
        started_at: p.startedAt,
        pause_reason: p.pauseReason,
        error: p.error,
      };
    });
    return { jobs, count: jobs.length };
  });

  app.delete('/mast/download/resumable/:job_id', {
    schema: { tags, summary: 'Dismiss a job (cancelling it if it runs), optionally deleting its files', params: JobParams, querystring: DismissQuery, response: { 200: DismissResponse } },
  }, async (req) => {
    const id = req.params.job_id;
    await findJob(downloads, req, id);
    const { deletedFiles } = await downloads.dismiss(id, req.query.delete_files ?? false);
    return { job_id: id, dismissed: true, deleted_files: deletedFiles };
  });

  /**
   * Finished jobs' items of the jobs answer, by job id, with the version of the record they were
   * made from (`finishedVersionOf`: its state and `updated_at`, which every write changes): such an
   * item does not change until the record does (resume, dismiss, delete), so a repeated list reads
   * those jobs' summaries only, not their records (issue #20, session 18). An entry is dropped as
   * soon as its job changes here (any event but progress); a change on another node shows in the version.
   */
  const finishedItems = new ByteLru<{ readonly version: string; readonly pieces: readonly Buffer[] }>(FINISHED_ANSWERS_BYTES, FINISHED_ANSWERS_BYTES);
  const unsubscribe = downloads.jobs.subscribe(undefined, (e) => {
    if (e.type !== 'progress') finishedItems.delete(e.job.id);
  });
  app.addHook('onClose', async () => unsubscribe());

  /**
   * The items of the jobs answer (`listEach`: the jobs' summaries are read now, so a store error is
   * an error answer; the items then as they are sent, the event loop running between them and
   * between the slices of a large job's item: issue #20, session 20).
   */
  const jobItems = (req: FastifyRequest, query: Static<typeof JobsQuery>) => {
    const page = { offset: query.offset ?? 0, ...(query.limit !== undefined ? { limit: query.limit } : {}) };
    return downloads.listEach(jobScopeOf(req), page, (id, version) => {
      const kept = finishedItems.get(id);
      return kept?.version === version ? kept.pieces : undefined;
    }, async (j, version, slices) => {
      const pieces = await chunkedProgressPieces(await downloads.progressIn(j, slices), j, slices);
      if (version !== null) finishedItems.set(j.id, { version, pieces }, pieces.reduce((n, b) => n + b.length, 0));
      return pieces;
    });
  };
  const jobsSchema = {
    tags, summary: 'Every known job with its progress, oldest first (offset and limit for a page of them)', querystring: JobsQuery, response: { 200: JobsResponse },
  };
  app.get('/mast/download/jobs', { schema: jobsSchema, exposeHeadRoute: false }, async (req, reply) =>
    sendJsonStream(reply, jobsAnswer(await jobItems(req, req.query))));
  // Fastify's own HEAD route would run the GET handler and read its stream to the end (every job's
  // item made, then dropped). This one answers GET's status and headers (chunked: no length)
  // after the same checks and the summaries' read, and makes no item (issue #20, session 20).
  app.head('/mast/download/jobs', { schema: { ...jobsSchema, response: {} } }, async (req, reply) => {
    await (await jobItems(req, req.query)).return();
    return reply.type('application/json; charset=utf-8').header('transfer-encoding', 'chunked').send();
  });

  app.get('/mast/download/events/:job_id', {
    schema: {
      tags,
      summary: 'Server-Sent Events: `progress` events (the progress-chunked shape) on every change, at most 4 per second; `end` when the job is finished or dismissed',
      params: JobParams,
    },
  }, async (req, reply) => {
    const job = await findJob(downloads, req, req.params.job_id);
    const stream = streams.open(req, reply);
    const send = stream.send;
    const end = stream.end;
    let unsubscribe = () => {};
    stream.onEnd(() => unsubscribe());
    const first = downloads.progress(job);
    stream.sendJson('progress', chunkedProgressParts(first, job).pieces);
    if (first.isFinished) {
      send('end', { job_id: job.id, status: job.status });
      end();
      return;
    }
    unsubscribe = downloads.subscribe(
      job.id,
      (p) => {
        // Every subscriber of the job hears the same progress object per event: its bytes are made
        // once, now (from the event's own record), and written to each stream in a turn of its own.
        const bytes = progressBytesOf(p, downloads.get(p.jobId));
        inItsOwnTurn(() => {
          stream.sendJson('progress', bytes);
          if (p.isFinished) {
            send('end', { job_id: p.jobId, status: p.status });
            end();
          }
        });
      },
      () => inItsOwnTurn(() => {
        send('end', { job_id: job.id, status: 'dismissed' });
        end();
      }),
    );
  });
}
