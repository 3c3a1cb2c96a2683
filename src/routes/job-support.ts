/** What routes that run work as core jobs share. */
import { EngineError } from '../errors.js';
import type { JobRecord } from '../jobs/index.js';

/** The error a synchronous route answers with when the job it waited for did not complete. */
export function jobFailure(job: JobRecord): EngineError {
  if (job.state === 'failed' && job.error) return new EngineError(job.error.code, job.error.message, job.error.httpStatus);
  return new EngineError('JOB_NOT_COMPLETED', `Job ${job.state}`, 409);
}

/**
 * Settles with `work`, or rejects with the signal's reason as soon as it aborts: a job stops at
 * once on cancel or shutdown, while the pool task it started finishes unobserved (its output is
 * in the job's own folder, removed with the job).
 */
export function untilAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
