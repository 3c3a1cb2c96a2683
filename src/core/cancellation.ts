/**
 * Stopping work that is already running. Long pixel loops (bands, tiles, rows, sources) call
 * `throwIfCancelled()` between steps; it throws `CancelledError` once the surrounding work was
 * asked to stop, and is a no-op anywhere else. The stop test is set per task by
 * `withCancellation` (the worker thread reads a shared-memory flag the main thread sets when the
 * request's client goes away, its job is cancelled or the engine shuts down), so core functions
 * need no extra parameter and know nothing of threads or HTTP.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { EngineError } from '../errors.js';

/** Work stopped on request (never answered to a client that is still there: they asked for it). */
export class CancelledError extends EngineError {
  constructor(message = 'The work was cancelled') {
    super('CANCELLED', message, 499);
  }
}

const current = new AsyncLocalStorage<() => boolean>();

/** Runs `fn` (and everything it awaits) with `isStopped` as the test `throwIfCancelled` reads. */
export function withCancellation<T>(isStopped: () => boolean, fn: () => T): T {
  return current.run(isStopped, fn);
}

/** True once the surrounding work was asked to stop. */
export function isCancelled(): boolean {
  return current.getStore()?.() ?? false;
}

/** Throws CancelledError once the surrounding work was asked to stop (cheap: call between steps). */
export function throwIfCancelled(): void {
  if (isCancelled()) throw new CancelledError();
}
