/**
 * What the composite and mosaic routes share: nullable schema pieces, the display options of a
 * request, and background jobs with progress for long renders (POST with `?async=true` -> 202
 * and a job to poll), which are core jobs (src/jobs) of kind composite, mosaic or footprint.
 */
import { rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EngineContext } from '../context.js';
import type { JobHandler, JobRecord, JsonObject, ProgressReporter } from '../jobs/index.js';
import type { FastifyRequest } from 'fastify';
import { cleanOnFailure, jobOwnerOf, outputLocation, visibleJob } from './job-support.js';
import { ConflictError, EngineError, NotFoundError, ValidationError } from '../errors.js';
import { STRETCH_NAMES, type DisplayOptions, type StretchName } from '../imaging/index.js';
import type { OverallAdjustment } from '../reproject/tone.js';
import type { TaskName } from '../workers/tasks/index.js';
import { runWithProgress } from './pool-progress.js';
import { Type, type Static } from 'typebox';

import { nullable, nullableEnum } from './nullable.js';
export { nullable, nullableEnum };

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
export const JobParams = Type.Object({ job_id: Type.String({ maxLength: 64 }) });

/** What a render produced: bytes or a file (a local path or s3:// location), its media type and the headers to send. */
export interface Rendered {
  readonly body: Buffer | { path: string };
  readonly mediaType: string;
  readonly headers: Record<string, string>;
}

/**
 * How a kind renders from its inputs (the request body, validated again at run time); a file it
 * writes goes in `dir` (the job's own folder).
 */
export type SkyRender = (inputs: JsonObject, progress: ProgressReporter, dir: string, signal: AbortSignal) => Promise<Rendered>;

const EXTENSIONS: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'application/fits': 'fits', 'application/json': 'json' };

/**
 * A composite, mosaic or footprint as a core job: one render-gate slot while it renders, the
 * result written to the job's own folder as `{kind}.{ext}` (an output of the job).
 */
export function skyJobHandler(ctx: EngineContext, kind: string, render: SkyRender): JobHandler {
  return {
    kind,
    lane: 'compute',
    async run({ inputs, signal, progress, outputDir, job }) {
      const dir = await outputDir();
      // The render stops (its pool task too) when the job's signal aborts: cancel, pause, shutdown.
      const r = await cleanOnFailure(dir, signal, () => ctx.renderGate.run(() => render(inputs, progress, dir, signal), { interactive: false, signal }));
      const name = `${kind}.${EXTENSIONS[r.mediaType] ?? 'bin'}`;
      const target = join(dir, name);
      if (Buffer.isBuffer(r.body)) await writeFile(target, r.body);
      else if (r.body.path !== target) await rename(r.body.path, target);
      const size = (await stat(target)).size;
      return {
        result: { media_type: r.mediaType, headers: r.headers, output: name },
        outputs: [{ name, path: `processed/${job.id}/${name}`, sizeBytes: size, mediaType: r.mediaType }],
      };
    },
  };
}

/** The background-render routes' view of core jobs of one kind (their contract shapes). */
export class SkyJobs {
  constructor(private readonly ctx: EngineContext) {}

  /**
   * Runs a pool task with a progress port (synchronous renders and job renders alike); `signal`
   * (the request's or the job's) stops it.
   */
  run<T>(task: TaskName, payload: object, signal: AbortSignal, onProgress?: (fraction: number, stage: string) => void): Promise<T> {
    return runWithProgress<T, { fraction: number; stage: string }>(this.ctx, task, payload, (m) => onProgress?.(m.fraction, m.stage), signal);
  }

  /** An interactive render: a render-gate slot now or soon, else 429 with Retry-After; `signal` gives the slot up. */
  interactive<T>(work: () => Promise<T>, signal: AbortSignal): Promise<T> {
    return this.ctx.renderGate.run(work, { interactive: true, signal });
  }

  /** Submits a job owned by the request's user. */
  start(kind: string, inputs: JsonObject, request: FastifyRequest): Promise<JobRecord> {
    return this.ctx.jobs.submit(kind, inputs, { owner: jobOwnerOf(request) });
  }

  /**
   * The result of a finished job: a failed job answers with its own error (status and detail, as
   * the synchronous request would have), an unfinished one with 409.
   */
  async result(kind: string, id: string, request: FastifyRequest): Promise<Rendered> {
    const job = await this.get(kind, id, request);
    if (job.state === 'failed' && job.error) throw new EngineError(job.error.code, job.error.message, job.error.httpStatus);
    const output = job.outputs[0];
    if (job.state !== 'completed' || !job.result || !output) throw new ConflictError('Job not finished');
    const headers = (job.result.headers ?? {}) as Record<string, string>;
    const location = await outputLocation(this.ctx, output.path);
    if (!location) throw new NotFoundError('Output not found', 'JOB_OUTPUT_NOT_FOUND');
    return { body: { path: location }, mediaType: output.mediaType, headers };
  }

  /** The job when it is of `kind` and the request may see it (another user's job is 404). */
  get(kind: string, id: string, request: FastifyRequest): Promise<JobRecord> {
    return visibleJob(this.ctx, request, id, [kind], `Job not found: ${id}`);
  }

  /** The contract's status body: running | done | failed, progress in percent. */
  status(job: JobRecord, base: string): Record<string, unknown> {
    const status = job.state === 'completed' ? 'done' : job.state === 'failed' || job.state === 'cancelled' ? 'failed' : 'running';
    return {
      job_id: job.id,
      status,
      progress: Math.round(job.progress * 1000) / 10,
      stage: job.state === 'completed' ? 'done' : job.state === 'queued' ? 'queued' : job.stage,
      error: job.error?.message ?? (job.state === 'cancelled' ? 'Cancelled' : null),
      result_url: status === 'done' ? `${base}/${job.id}/result` : null,
    };
  }
}
