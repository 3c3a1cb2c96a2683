/**
 * Entry point of each worker thread. It runs one named task and never lets an exception escape
 * as-is: engine errors are flattened to plain data (classes do not survive structured cloning),
 * and the pool turns them back into EngineError on the main thread.
 */
import { threadId } from 'node:worker_threads';
import { EngineError } from '../errors.js';
import { tasks, type TaskFunction } from './tasks/index.js';

(globalThis as { __workerThreadId?: number }).__workerThreadId = threadId;

export interface TaskMessage {
  readonly task: string;
  readonly payload: unknown;
}

export type TaskOutcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: { code: string; message: string; httpStatus: number; name: string; stack?: string } };

export default async function runTask(message: TaskMessage): Promise<TaskOutcome> {
  const table: Readonly<Record<string, TaskFunction>> = tasks;
  const fn = Object.hasOwn(table, message.task) ? table[message.task] : undefined;
  if (!fn) {
    return { ok: false, error: { code: 'UNKNOWN_TASK', message: `unknown worker task ${message.task}`, httpStatus: 500, name: 'EngineError' } };
  }
  try {
    return { ok: true, value: await fn(message.payload as never) };
  } catch (err) {
    if (err instanceof EngineError) {
      return { ok: false, error: { code: err.code, message: err.message, httpStatus: err.httpStatus, name: err.name } };
    }
    const e = err instanceof Error ? err : new Error(String(err));
    return { ok: false, error: { code: 'INTERNAL', message: e.message, httpStatus: 500, name: e.name, stack: e.stack } };
  }
}
