/**
 * The algorithm registry over HTTP: GET /algorithms, POST /process (runs in the worker pool and
 * answers when done), POST /process/jobs + GET /process/jobs/{id} (the same work as a job with
 * progress). Unknown algorithms and bad parameters are 422 naming the problem, before any work.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Type, type Static } from 'typebox';
import type { App } from '../server.js';
import type { EngineContext } from '../context.js';
import { EngineError, NotFoundError } from '../errors.js';
import { algorithms } from '../analysis/algorithms/index.js';
import { fitsStem, type ProcessFileRequest, type ProcessFileResult } from '../analysis/process-file.js';
import { resolveFitsPath, viewerLimits } from './viewer-support.js';
import { runWithProgress } from './pool-progress.js';

const ProcessBody = Type.Object({
  data_id: Type.String({ description: 'Client identifier of the data set (echoed in result_id)' }),
  file_path: Type.String({ description: 'FITS file relative to DATA_DIR' }),
  algorithm: Type.String({ description: `One of: ${algorithms.names.join(', ')}` }),
  parameters: Type.Optional(Type.Object({}, { additionalProperties: true, description: 'Algorithm parameters; see GET /algorithms for each schema' })),
  hdu: Type.Optional(Type.Union([Type.Integer({ minimum: -1 }), Type.Null()], { description: 'HDU index (default: first image HDU)' })),
  slice_index: Type.Optional(Type.Union([Type.Integer({ minimum: -1 }), Type.Null()], { description: 'Cube plane (default: middle)' })),
});
type ProcessBodyT = Static<typeof ProcessBody>;

const JobId = Type.Object({ job_id: Type.String() });

type JobStatus = 'queued' | 'running' | 'completed' | 'failed';

interface Job {
  job_id: string;
  data_id: string;
  algorithm: string;
  status: JobStatus;
  progress: number;
  message: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  result: Record<string, unknown> | null;
  error: { status_code: number; detail: string } | null;
}

const MAX_JOBS = 500;

/** Validates everything cheap on the event loop and builds the worker payload. */
async function prepare(ctx: EngineContext, body: ProcessBodyT): Promise<ProcessFileRequest> {
  const parameters = algorithms.validateParameters(body.algorithm, body.parameters ?? {});
  const file = await resolveFitsPath(ctx, body.file_path);
  let otherFilePath: string | undefined;
  if (algorithms.get(body.algorithm).inputs.includes('second_image')) {
    otherFilePath = (await resolveFitsPath(ctx, String(parameters.other_file_path))).path;
  }
  const limits = viewerLimits(ctx);
  const stem = fitsStem(body.file_path).replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80);
  return {
    algorithm: body.algorithm,
    parameters,
    filePath: file.path,
    hdu: body.hdu ?? null,
    sliceIndex: body.slice_index ?? null,
    ...(otherFilePath ? { otherFilePath } : {}),
    outputDir: join(ctx.settings.dataDir, 'processed'),
    outputRelativeDir: 'processed/',
    outputPrefix: `${stem}_${body.algorithm}_${randomBytes(4).toString('hex')}`,
    maxElements: limits.maxElements,
    maxFileBytes: limits.maxFileBytes,
    engine: `jwst-processing-engine ${ctx.version}`,
  };
}

function response(body: ProcessBodyT, r: ProcessFileResult): Record<string, unknown> {
  return {
    status: r.status,
    message: 'Processing completed successfully',
    result_id: `result_${body.data_id}`,
    algorithm: r.algorithm,
    parameters: r.parameters,
    results: r.results,
    output_files: r.output_files,
    image: r.image,
    timing: r.timing,
  };
}

export async function processRoutes(app: App, ctx: EngineContext): Promise<void> {
  const jobs = new Map<string, Job>();

  app.get('/algorithms', { schema: { summary: 'The analysis algorithms with their parameter and result schemas', tags: ['analysis'] } }, async () => ({
    algorithms: algorithms.describe(),
  }));

  app.post('/process', { schema: { summary: 'Run one analysis algorithm on a FITS image (worker pool)', tags: ['analysis'], body: ProcessBody } }, async (request) => {
    const body = request.body;
    const payload = await prepare(ctx, body);
    const r = await ctx.pool.run<ProcessFileResult>('analysis.process', payload);
    return response(body, r);
  });

  app.post('/process/jobs', { schema: { summary: 'Start an analysis as a job with progress', tags: ['analysis'], body: ProcessBody } }, async (request, reply) => {
    const body = request.body;
    const payload = await prepare(ctx, body);
    const job: Job = {
      job_id: randomBytes(8).toString('hex'),
      data_id: body.data_id,
      algorithm: body.algorithm,
      status: 'queued',
      progress: 0,
      message: 'queued',
      created_at: new Date().toISOString(),
      started_at: null,
      finished_at: null,
      result: null,
      error: null,
    };
    jobs.set(job.job_id, job);
    if (jobs.size > MAX_JOBS) {
      for (const [id, j] of jobs) {
        if (jobs.size <= MAX_JOBS) break;
        if (j.status === 'completed' || j.status === 'failed') jobs.delete(id);
      }
    }
    runWithProgress<ProcessFileResult, { progress: number; message: string }>(ctx, 'analysis.process', payload, (m) => {
      if (job.status === 'queued') {
        job.status = 'running';
        job.started_at = new Date().toISOString();
      }
      if (job.status === 'running') {
        job.progress = m.progress;
        job.message = m.message;
      }
    })
      .then(
        (r) => {
          job.status = 'completed';
          job.progress = 1;
          job.message = 'done';
          job.result = response(body, r);
        },
        (err: unknown) => {
          const status = err instanceof EngineError ? err.httpStatus : 500;
          job.status = 'failed';
          job.message = 'failed';
          job.error = { status_code: status, detail: status < 500 && err instanceof EngineError ? err.message : 'Processing failed' };
          if (status >= 500) ctx.logger.error({ err }, 'analysis job failed');
        },
      )
      .finally(() => {
        job.finished_at = new Date().toISOString();
      });
    return reply.status(202).send({ job_id: job.job_id, status: job.status, progress: job.progress, algorithm: job.algorithm, status_url: `/process/jobs/${job.job_id}` });
  });

  app.get('/process/jobs/:job_id', { schema: { summary: 'State, progress and (when done) result of an analysis job', tags: ['analysis'], params: JobId } }, async (request) => {
    const { job_id } = request.params;
    const job = jobs.get(job_id);
    if (!job) throw new NotFoundError(`Job not found: ${job_id}`);
    return job;
  });

}
