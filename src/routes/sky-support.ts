/**
 * What the composite and mosaic routes share: nullable schema pieces, the display options of a
 * request, and background jobs with progress for long renders (POST with `?async=true` -> 202
 * and a job to poll).
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { EngineContext } from '../context.js';
import { ConflictError, EngineError, NotFoundError, ValidationError } from '../errors.js';
import { STRETCH_NAMES, type DisplayOptions, type StretchName } from '../imaging/index.js';
import type { OverallAdjustment } from '../reproject/tone.js';
import type { TaskName } from '../workers/tasks/index.js';
import { runWithProgress } from './pool-progress.js';
import { Type, type Static, type TSchema } from 'typebox';

/**
 * Optional, and null accepted (the .NET backend sends explicit nulls). Scalars use a JSON type
 * array rather than anyOf-with-null: with type coercion on, anyOf would turn 0 or false into null
 * and skip the range checks.
 */
export function nullable<T extends TSchema>(t: T) {
  const type = (t as { type?: unknown }).type;
  if (typeof type === 'string' && ['number', 'integer', 'string', 'boolean'].includes(type)) {
    return Type.Optional(Type.Unsafe<Static<T> | null>({ ...t, type: [type, 'null'] }));
  }
  return Type.Optional(Type.Union([t, Type.Null()]));
}

/** An optional, nullable string enum. */
export function nullableEnum<const V extends readonly string[]>(values: V, options: { default?: V[number]; description?: string } = {}) {
  return Type.Optional(Type.Unsafe<V[number] | null>({ type: ['string', 'null'], enum: [...values, null], ...options }));
}

/** The display levels every channel, file and overall adjustment accepts (besides its stretch). */
export const DisplayLevels = {
  black_point: nullable(Type.Number({ minimum: 0, maximum: 1 })),
  white_point: nullable(Type.Number({ minimum: 0, maximum: 1 })),
  gamma: nullable(Type.Number({ exclusiveMinimum: 0, maximum: 5 })),
  asinh_a: nullable(Type.Number({ minimum: 0.001, maximum: 1 })),
};

export interface RawDisplay {
  stretch?: string | null;
  black_point?: number | null;
  white_point?: number | null;
  gamma?: number | null;
  asinh_a?: number | null;
}

/** Upstream behaviour: an unknown stretch name falls back to zscale (reported, not an error). */
/** Every option set (defaults filled in), so the result also serves as a composite's overall adjustment. */
export function displayOf(raw: RawDisplay, fallbacks: string[], fallbackStretch: StretchName = 'zscale'): DisplayOptions & OverallAdjustment {
  let stretch = (raw.stretch ?? fallbackStretch) as StretchName;
  if (!(STRETCH_NAMES as readonly string[]).includes(stretch)) {
    fallbacks.push(String(raw.stretch));
    stretch = 'zscale';
  }
  const blackPoint = raw.black_point ?? 0;
  const whitePoint = raw.white_point ?? 1;
  if (!(whitePoint > blackPoint)) throw new ValidationError('white_point must be greater than black_point');
  return { stretch, blackPoint, whitePoint, gamma: raw.gamma ?? 1, asinhA: raw.asinh_a ?? 0.1 };
}

/** `?async=true` and the job id of the background-render routes. */
export const AsyncQuery = Type.Object({ async: Type.Optional(Type.Boolean({ description: 'run as a background job (202 + job id)' })) });
export const JobParams = Type.Object({ job_id: Type.String() });

/** A background render the client polls. */
interface Job {
  readonly id: string;
  readonly kind: string;
  status: 'running' | 'done' | 'failed';
  progress: number;
  stage: string;
  error?: { status: number; detail: string };
  result?: { body: Buffer | { path: string }; mediaType: string; headers: Record<string, string> };
  finishedAt?: number;
}

const JOB_TTL_MS = 30 * 60 * 1000;

export class SkyJobs {
  private readonly jobs = new Map<string, Job>();

  constructor(private readonly ctx: EngineContext) {
    ctx.onClose.push(() => this.clear());
  }

  /** Runs a pool task with a progress port; `finish` turns the task result into the response. */
  run<T>(task: TaskName, payload: object, onProgress?: (fraction: number, stage: string) => void): Promise<T> {
    return runWithProgress<T, { fraction: number; stage: string }>(this.ctx, task, payload, (m) => onProgress?.(m.fraction, m.stage));
  }

  start(kind: string, work: (progress: (fraction: number, stage: string) => void) => Promise<NonNullable<Job['result']>>): Job {
    this.prune();
    const job: Job = { id: randomUUID(), kind, status: 'running', progress: 0, stage: 'queued' };
    this.jobs.set(job.id, job);
    work((fraction, stage) => {
      job.progress = Math.max(job.progress, Math.min(1, fraction));
      job.stage = stage;
    }).then(
      (result) => {
        job.result = result;
        job.status = 'done';
        job.progress = 1;
        job.stage = 'done';
        job.finishedAt = Date.now();
      },
      (err: unknown) => {
        job.status = 'failed';
        job.error = err instanceof EngineError ? { status: err.httpStatus, detail: err.message } : { status: 500, detail: 'Internal server error' };
        job.finishedAt = Date.now();
        if (!(err instanceof EngineError)) this.ctx.logger.error({ err }, `${kind} job failed`);
      },
    );
    return job;
  }

  /**
   * The result of a finished job: a failed job answers with its own error (status and detail, as
   * the synchronous request would have), an unfinished one with 409.
   */
  result(kind: string, id: string): NonNullable<Job['result']> {
    const job = this.get(kind, id);
    if (job.status === 'failed') throw new EngineError('JOB_FAILED', job.error!.detail, job.error!.status);
    if (job.status !== 'done' || !job.result) throw new ConflictError('Job not finished');
    return job.result;
  }

  get(kind: string, id: string): Job {
    const job = this.jobs.get(id);
    if (!job || job.kind !== kind) throw new NotFoundError(`Job not found: ${id}`);
    return job;
  }

  status(job: Job, base: string): Record<string, unknown> {
    return {
      job_id: job.id,
      status: job.status,
      progress: Math.round(job.progress * 1000) / 10,
      stage: job.stage,
      error: job.error?.detail ?? null,
      result_url: job.status === 'done' ? `${base}/${job.id}/result` : null,
    };
  }

  private prune(): void {
    const now = Date.now();
    for (const [id, job] of this.jobs) {
      if (job.finishedAt !== undefined && now - job.finishedAt > JOB_TTL_MS) {
        this.jobs.delete(id);
        const body = job.result?.body;
        if (body && !Buffer.isBuffer(body)) void rm(body.path, { force: true });
      }
    }
  }

  private async clear(): Promise<void> {
    for (const job of this.jobs.values()) {
      const body = job.result?.body;
      if (body && !Buffer.isBuffer(body)) await rm(body.path, { force: true });
    }
    this.jobs.clear();
  }
}
