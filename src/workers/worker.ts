/**
 * Entry point of each worker thread. It runs one named task and never lets an exception escape
 * as-is: engine errors are flattened to plain data (classes do not survive structured cloning)
 * with their code, status and headers, and the pool turns them back into EngineError on the main
 * thread. Other errors cross as catalogued codes too: system errors as IO_* with a plain sentence,
 * anything else as INTERNAL; their raw text only travels in `stack`, for the log.
 *
 * A task may come with a `control` array over shared memory (see pool.ts): the thread marks it
 * started, and the task's loops stop at their next `throwIfCancelled()` once the main thread sets
 * the stop flag.
 */
import { isMainThread, threadId } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { EngineError } from '../errors.js';
import { CancelledError, withCancellation } from '../core/cancellation.js';
import { toClientError } from '../client-text.js';
import { tasks, type TaskFunction } from './tasks/index.js';
import { holdingStopTest } from './task-hold.js';
import { prewarmFitsReader } from '../fits/prewarm.js';
import { warmPreviewThread } from '../imaging/viewer/preview-split.js';
import { warmHistogramSplit } from '../imaging/viewer/histogram-split.js';
import type { PoolThreadData } from './pool.js';

(globalThis as { __workerThreadId?: number }).__workerThreadId = threadId;

/**
 * The handler piscina runs (the pool's `name`): `runTask`, once the thread is warm. A pool thread's
 * first plane read should not pay for V8's first external-memory collection and cold code
 * (docs/fits.md, "Measured"), nor its first previews for compiling their stages. piscina awaits a
 * promised handler before it reports the thread ready; warm-up work merely started here stopped
 * once the thread went idle (piscina parks it in `Atomics.wait`, which stops its event loop), and
 * what was left of it (file reads, sharp's encodes and the code after them) ran during, and slowed,
 * the thread's first tasks (docs/viewer.md, session 11).
 */
export const warmTask: Promise<typeof runTask> | undefined = isMainThread
  ? undefined
  : Promise.all([prewarmFitsReader({ residentPlaneBytes: residentPlaneBytes() }), warmPreviewThread(), warmHistogramSplit().catch(() => undefined)]).then(() => runTask);

/** The pool's `residentPlaneBytes` (pool.ts), 0 when this thread was not started by a WorkerPool. */
function residentPlaneBytes(): number {
  const data: unknown = Piscina.workerData;
  const bytes: unknown = (data as Partial<PoolThreadData> | null | undefined)?.residentPlaneBytes;
  return typeof bytes === 'number' && Number.isFinite(bytes) ? bytes : 0;
}

/** Slots of a task's control array (Int32Array over a SharedArrayBuffer). */
export const CONTROL_STOP = 0;
export const CONTROL_STARTED = 1;
/** Set by the task's thread once the task has seen its stop (it is unwinding: finally blocks, closes). */
export const CONTROL_STOP_SEEN = 2;
export const CONTROL_SLOTS = 3;

export interface TaskMessage {
  readonly task: string;
  readonly payload: unknown;
  /** Shared with the main thread: [CONTROL_STOP] set to 1 asks the task to stop. */
  readonly control?: Int32Array;
  /** A test's hold (src/workers/task-hold.ts): the task waits at one of its stop checks until released or stopped. */
  readonly hold?: Int32Array;
}

export type TaskOutcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: FlatError };

/** An error as it crosses the thread boundary. */
export interface FlatError {
  readonly code: string;
  readonly message: string;
  readonly httpStatus: number;
  readonly name: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly stack?: string;
}

/** `err` as plain data that keeps its catalogued code (structured cloning drops classes). */
export function flattenError(err: unknown): FlatError {
  if (err instanceof EngineError) {
    return { code: err.code, message: err.message, httpStatus: err.httpStatus, name: err.name, headers: { ...err.headers } };
  }
  const e = toClientError(err);
  const raw = err instanceof Error ? err : new Error(String(err));
  return { code: e.code, message: e.message, httpStatus: e.httpStatus, name: raw.name, stack: raw.stack ?? raw.message };
}

function failure(err: unknown): TaskOutcome {
  return { ok: false, error: flattenError(err) };
}

export default async function runTask(message: TaskMessage): Promise<TaskOutcome> {
  const table: Readonly<Record<string, TaskFunction>> = tasks;
  const fn = Object.hasOwn(table, message.task) ? table[message.task] : undefined;
  if (!fn) {
    return { ok: false, error: flattenError(new EngineError('UNKNOWN_TASK', `unknown worker task ${message.task}`, 500)) };
  }
  const control = message.control;
  if (control) {
    Atomics.store(control, CONTROL_STARTED, 1);
    if (Atomics.load(control, CONTROL_STOP) === 1) return failure(new CancelledError());
  }
  const stopTest = control ? () => stopSeen(control) : () => false;
  const stopped = message.hold ? holdingStopTest(message.hold, stopTest) : stopTest;
  let value: unknown;
  try {
    value = await withCancellation(stopped, () => fn(message.payload as never));
  } catch (err) {
    return failure(err);
  }
  return moveLargeArrays({ ok: true, value });
}

/** Whether the task was asked to stop; the first time it was, tells the pool the task saw it. */
function stopSeen(control: Int32Array): boolean {
  if (Atomics.load(control, CONTROL_STOP) !== 1) return false;
  Atomics.store(control, CONTROL_STOP_SEEN, 1);
  return true;
}

/** Byte arrays of an answer at least this large go to the main thread by transfer (moveLargeArrays). */
export const MOVE_MIN_BYTES = 64 * 1024;

/**
 * An answer whose large typed arrays (top-level fields of the value: an encoded preview, raw
 * pixels) are moved to the main thread instead of copied there. Structured cloning copies each
 * array twice, once into the message here and once out of it on the main thread, where the copy
 * is also a new external allocation for its garbage collector: 1.4-5 ms of main-thread CPU per
 * MiB measured, against 0.25 ms for a transferred one (docs/viewer.md, "Session 9"). The array is
 * copied here into a fresh ArrayBuffer and that copy is transferred: the task's own buffers are
 * never detached (one may be cached or reused in this thread, and sharp's output cannot be
 * transferred at all), and the main thread receives it without a copy. The value is
 * shallow-copied with the new arrays (a Buffer arrives as a Uint8Array, as cloning gives too).
 * Arrays over shared memory are left to cloning (which shares them). Outcomes without such
 * arrays are returned as they are.
 */
function moveLargeArrays(outcome: TaskOutcome & { ok: true }): TaskOutcome {
  const value = outcome.value;
  if (value === null || typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value)) return outcome;
  const transfer: ArrayBuffer[] = [];
  let moved: Record<string, unknown> | undefined;
  for (const [key, v] of Object.entries(value)) {
    // (shared memory stays shared, as cloning keeps it)
    if (!ArrayBuffer.isView(v) || v instanceof DataView || v.byteLength < MOVE_MIN_BYTES || v.buffer instanceof SharedArrayBuffer) continue;
    const copy = Buffer.isBuffer(v) ? new Uint8Array(v) : (v as unknown as Uint8Array).slice();
    transfer.push(copy.buffer as ArrayBuffer);
    (moved ??= { ...(value as Record<string, unknown>) })[key] = copy;
  }
  if (!moved) return outcome;
  const movable = { [Piscina.transferableSymbol]: transfer, [Piscina.valueSymbol]: { ok: true, value: moved } };
  // piscina unwraps it (valueSymbol) and posts the outcome with the transfer list
  return Piscina.move(movable as never) as unknown as TaskOutcome;
}
