/** What routes that run work as core jobs share. */
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyRequest } from 'fastify';
import type { EngineContext } from '../context.js';
import { EngineError, NotFoundError } from '../errors.js';
import type { JobRecord } from '../jobs/index.js';
import type { Viewer } from '../library/index.js';

/** The error a synchronous route answers with when the job it waited for did not complete. */
export function jobFailure(job: JobRecord): EngineError {
  if (job.state === 'failed' && job.error) {
    // A record keeps no headers: a 503 (out of threads, database or queue away) says when to retry, as the same error does outside a job.
    const headers: Record<string, string> = job.error.httpStatus === 503 ? { 'retry-after': '2' } : {};
    return new EngineError(job.error.code, job.error.message, job.error.httpStatus, { headers });
  }
  return new EngineError('JOB_NOT_COMPLETED', `Job ${job.state}`, 409);
}

/**
 * Settles with `work`, or rejects with the signal's reason as soon as it aborts (for waits that
 * take no signal themselves; work that does, e.g. a pool task, is stopped by the same signal).
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

/** The owner of a job this request submits: the authenticated user, or null (no users, internal). */
export function jobOwnerOf(request: FastifyRequest): string | null {
  return request.identity?.userId ?? null;
}

/**
 * Whose jobs this request sees: undefined for everyone's (no users configured, an admin, the
 * engine's own requests), else the user's id (null for the anonymous).
 */
export function jobScopeOf(request: FastifyRequest): string | null | undefined {
  const viewer = request.viewer as Viewer | null;
  if (!viewer || viewer.kind === 'everyone') return undefined;
  if (viewer.kind === 'user') return viewer.admin ? undefined : viewer.userId;
  return null;
}

/**
 * The job, when this request may see it. Another user's job is 404 like a missing one, so its
 * existence does not leak. `detail`: the route's own not-found message.
 */
export async function visibleJob(ctx: EngineContext, request: FastifyRequest, id: string, kinds?: readonly string[], detail = 'Job not found'): Promise<JobRecord> {
  const job = await ctx.jobs.get(id);
  const scope = jobScopeOf(request);
  if (!job || (kinds && !kinds.includes(job.kind)) || (scope !== undefined && job.owner !== scope)) {
    throw new NotFoundError(detail, 'JOB_NOT_FOUND');
  }
  return job;
}

/**
 * Runs a job's work that writes into its own folder `dir`; when the work fails (not when it is
 * stopped: a stopped pool task may still be writing, and the folder goes with the job), the folder
 * and whatever it holds are removed, so a refused or broken input leaves nothing in DATA_DIR/processed.
 */
export async function cleanOnFailure<T>(dir: string, signal: AbortSignal, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (!signal.aborted) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
}

/**
 * Where a job's output (a DATA_DIR-relative path) is now: the object of that key when the engine
 * stores objects (outputs are moved there when their job completes, on whichever node ran it),
 * else the local file; undefined when neither exists.
 */
export async function outputLocation(ctx: EngineContext, rel: string): Promise<string | undefined> {
  const objects = ctx.sandbox.objects;
  if (objects && (await objects.stat(rel))) return objects.location(rel);
  const path = join(ctx.settings.dataDir, rel);
  return (await stat(path).then((s) => s.isFile(), () => false)) ? path : undefined;
}
