/**
 * The one job record every long operation shares (downloads, analyses, composites, mosaics,
 * footprints). Plain JSON data, so any store (SQLite, PostgreSQL, Redis) can keep it as is.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export const JOB_STATES = ['queued', 'running', 'paused', 'completed', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];

/**
 * Why a job is paused: `user` (asked for), `shutdown`, `interrupted` (a run cut by a crash, held
 * for a person by a kind that does not resume by itself), `disk_full` (a download that ran out of
 * space: it keeps its bytes and waits for resume).
 */
export type JobPauseReason = 'user' | 'shutdown' | 'interrupted' | 'disk_full';

export interface JobError {
  /** Stable code from the error catalogue (e.g. `FITS_TOO_LARGE`, `JOB_INTERRUPTED`). */
  readonly code: string;
  /** Client-safe message (no paths, no stack). */
  readonly message: string;
  /** HTTP status the synchronous request would have answered with (a hint for routes). */
  readonly httpStatus: number;
}

/** A file a job produced, owned by the job (removed with it). */
export interface JobOutput {
  /** File name shown to people. */
  readonly name: string;
  /** Path relative to DATA_DIR (never absolute on the wire). */
  readonly path: string;
  readonly sizeBytes: number;
  readonly mediaType: string;
}

export interface JobRecord {
  /** Unique id (`[A-Za-z0-9_-]{1,64}`; new jobs get a UUID). */
  readonly id: string;
  /** Handler kind: `download`, `analysis`, `composite`, `mosaic`, `footprint`, ... */
  readonly kind: string;
  state: JobState;
  /** 0–1. */
  progress: number;
  /** What the job does now, for people ("Reprojecting 3 of 8", "Queued"). */
  stage: string;
  readonly createdAt: string;
  /** First time it ran. */
  startedAt: string | null;
  /** When it reached completed, failed or cancelled. */
  finishedAt: string | null;
  /** Every write of the record. */
  updatedAt: string;
  /** Who asked (user id), or null when anonymous. */
  readonly owner: string | null;
  /** What the handler needs to run the job (validated at submit). */
  readonly inputs: JsonObject;
  /** The structured answer of a finished job (kind-specific). */
  result: JsonObject | null;
  /** Files the job produced. */
  outputs: JobOutput[];
  error: JobError | null;
  pauseReason: JobPauseReason | null;
  /** How many times a run started (a restart or a stalled worker re-runs the job). */
  attempts: number;
  /** Kind-specific state a handler saves to resume where it stopped (e.g. a download's files). */
  checkpoint: JsonObject | null;
}

/** What subscribers hear: the record after every state change, and throttled progress. */
export interface JobEvent {
  readonly type: 'created' | 'state' | 'progress' | 'removed';
  readonly job: JobRecord;
}

export const JOB_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function isJobId(value: string): boolean {
  return JOB_ID_PATTERN.test(value);
}

/** A deep copy (records cross module and process boundaries as data, never shared objects). */
export function copyRecord(job: JobRecord): JobRecord {
  return structuredClone(job);
}

/** Freezes `value` and every object in it; returns it. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * The record an event carries: a deep copy like `copyRecord`, except the checkpoint, which is
 * frozen (in place, once) and shared, not copied: a checkpoint is never changed once the service
 * has it (a running job's is replaced by the handler's next one, `JobRunContext.checkpoint`), and
 * frozen, no listener can change it either. A download's checkpoint lists every file: copying it
 * for each progress event held the event loop ~12 ms at 2000 files and ~35 ms at 5000; freezing
 * it once costs about a third of that, sharing it nothing (issue #20, session 14).
 */
export function copyForEvent(job: JobRecord): JobRecord {
  const checkpoint = job.checkpoint;
  if (checkpoint === null) return copyRecord(job);
  return { ...copyRecord({ ...job, checkpoint: null }), checkpoint: deepFreeze(checkpoint) };
}

/**
 * A JSON text given in parts: `head + chunks.join(',') + tail`. A download's checkpoint is its
 * few fields around the file list, the list's files joined in chunks of 64 (checkpoint-builder.ts);
 * a chunk string is kept (the same string) while none of its files changed, so the stores write
 * only the chunks that changed (db-store.ts, issue #20, session 16).
 */
export interface JsonTextParts {
  readonly head: string;
  readonly chunks: readonly string[];
  readonly tail: string;
}

/** The text `parts` stands for. */
export function joinJsonParts(parts: JsonTextParts): string {
  // Concatenated, not joined: V8 links the strings in O(chunks) instead of copying megabytes
  // here; the copy happens once, where the text is handed to a database or a socket.
  let text = parts.head;
  for (let c = 0; c < parts.chunks.length; c++) text = c === 0 ? text + parts.chunks[c] : text + ',' + parts.chunks[c];
  return text + parts.tail;
}

/** JSON text of frozen values, made with them (`withJsonText`, `withJsonParts`; the text made from the parts when asked). */
const jsonTexts = new WeakMap<object, { text: string | undefined; readonly parts: JsonTextParts | undefined }>();

/**
 * Gives `value` its JSON text, made by the caller at less cost than `JSON.stringify(value)` (a
 * download's checkpoint: its files' JSON is cached per file, checkpoint-builder.ts), so the stores
 * write it as is (`recordJson`) instead of serialising the whole value again. `text` must parse to
 * what `JSON.stringify(value)` would give; `value` is deep-frozen here, so it stays true. Returns
 * `value`. (Issue #20, session 15.)
 */
export function withJsonText<T extends JsonObject>(value: T, text: string): T {
  jsonTexts.set(deepFreeze(value), { text, parts: undefined });
  return value;
}

/**
 * `withJsonText` with the text in parts (`JsonTextParts`): the stores that keep the chunks in rows
 * of their own (`DbJobStore`) write only those that changed since their last write (issue #20,
 * session 16); everything else sees the joined text.
 */
export function withJsonParts<T extends JsonObject>(value: T, parts: JsonTextParts): T {
  jsonTexts.set(deepFreeze(value), { text: undefined, parts });
  return value;
}

/** The JSON text `withJsonText` or `withJsonParts` gave `value`, if any. */
export function jsonTextOf(value: object): string | undefined {
  const entry = jsonTexts.get(value);
  if (entry === undefined) return undefined;
  if (entry.text === undefined) entry.text = joinJsonParts(entry.parts!);
  return entry.text;
}

/**
 * A record's JSON text as the stores keep it: `JSON.stringify(job)`, except that a checkpoint
 * with a JSON text of its own (`withJsonText`) is spliced in as that text, not serialised again
 * (it then comes last; the parsed record is the same).
 */
export function recordJson(job: JobRecord): string {
  const text = job.checkpoint === null ? undefined : jsonTextOf(job.checkpoint);
  if (text === undefined) return JSON.stringify(job);
  return `${recordHead(job)}${text}}`;
}

/** `recordJson(job)` up to its checkpoint's text: the record's other fields, then `"checkpoint":`. */
function recordHead(job: JobRecord): string {
  const rest = JSON.stringify({ ...job, checkpoint: undefined });
  return `${rest === '{}' ? '{' : `${rest.slice(0, -1)},`}"checkpoint":`;
}

/**
 * `recordJson(job)` in parts when its checkpoint was given in parts (`withJsonParts`): `text` is
 * the record without the chunks, which go at `at` (`spliceJsonChunks`); undefined otherwise.
 */
export function recordJsonParts(job: JobRecord): { readonly text: string; readonly at: number; readonly chunks: readonly string[] } | undefined {
  const parts = job.checkpoint === null ? undefined : jsonTexts.get(job.checkpoint)?.parts;
  if (parts === undefined) return undefined;
  const head = recordHead(job) + parts.head;
  return { text: `${head}${parts.tail}}`, at: head.length, chunks: parts.chunks };
}

/** The text `recordJsonParts` stood for: `chunks` joined with commas, put in `text` at `at`. */
export function spliceJsonChunks(text: string, at: number, chunks: readonly string[]): string {
  return joinJsonParts({ head: text.slice(0, at), chunks, tail: text.slice(at) });
}
