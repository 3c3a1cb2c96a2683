/**
 * Entry point of each worker thread. It runs one named task and never lets an exception escape
 * as-is: engine errors are flattened to plain data (classes do not survive structured cloning),
 * and the pool turns them back into EngineError on the main thread.
 *
 * A task may come with a `control` array over shared memory (see pool.ts): the thread marks it
 * started, and the task's loops stop at their next `throwIfCancelled()` once the main thread sets
 * the stop flag.
 */
import { threadId } from 'node:worker_threads';
import { EngineError } from '../errors.js';
import { CancelledError, withCancellation } from '../core/cancellation.js';
import { tasks, type TaskFunction } from './tasks/index.js';

(globalThis as { __workerThreadId?: number }).__workerThreadId = threadId;

/** Slots of a task's control array (Int32Array over a SharedArrayBuffer). */
export const CONTROL_STOP = 0;
export const CONTROL_STARTED = 1;
export const CONTROL_SLOTS = 2;

export interface TaskMessage {
  readonly task: string;
  readonly payload: unknown;
  /** Shared with the main thread: [CONTROL_STOP] set to 1 asks the task to stop. */
  readonly control?: Int32Array;
}

export type TaskOutcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: { code: string; message: string; httpStatus: number; name: string; stack?: string } };

function failure(err: unknown): TaskOutcome {
  if (err instanceof EngineError) {
    return { ok: false, error: { code: err.code, message: err.message, httpStatus: err.httpStatus, name: err.name } };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return { ok: false, error: { code: 'INTERNAL', message: e.message, httpStatus: 500, name: e.name, stack: e.stack } };
}

export default async function runTask(message: TaskMessage): Promise<TaskOutcome> {
  const table: Readonly<Record<string, TaskFunction>> = tasks;
  const fn = Object.hasOwn(table, message.task) ? table[message.task] : undefined;
  if (!fn) {
    return { ok: false, error: { code: 'UNKNOWN_TASK', message: `unknown worker task ${message.task}`, httpStatus: 500, name: 'EngineError' } };
  }
  const control = message.control;
  if (control) {
    Atomics.store(control, CONTROL_STARTED, 1);
    if (Atomics.load(control, CONTROL_STOP) === 1) return failure(new CancelledError());
  }
  const stopped = control ? () => Atomics.load(control, CONTROL_STOP) === 1 : () => false;
  try {
    return { ok: true, value: await withCancellation(stopped, () => fn(message.payload as never)) };
  } catch (err) {
    return failure(err);
  }
}
