/**
 * The algorithm registry over HTTP: GET /algorithms, POST /process (answers when done), POST
 * /process/jobs + GET /process/jobs/{id} (the same work, polled). Both are core jobs of kind
 * `analysis` (src/jobs): outputs in DATA_DIR/processed/{job id}, removed with the job. Unknown algorithms and bad parameters are 422 naming the problem, before any work.
 */
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Type, type Static } from 'typebox';
import type { App } from '../server.js';
import type { EngineContext } from '../context.js';
import { PayloadTooLargeError } from '../errors.js';
import { FilePath, MAX_NAME_LENGTH } from './input-limits.js';
import type { JobHandler, JobOutput, JobRecord, JsonObject } from '../jobs/index.js';
import { cleanOnFailure, jobFailure, jobOwnerOf, untilAbort, visibleJob } from './job-support.js';
import { requestSignal } from './request-signal.js';
import { algorithms } from '../analysis/algorithms/index.js';
import { fitsStem, type ProcessFileRequest, type ProcessFileResult } from '../analysis/process-file.js';
import { TABLE_FORMATS } from '../analysis/output-tables.js';
import { resolveFitsPath, viewerLimits } from './viewer-support.js';
import { runWithProgress } from './pool-progress.js';

const ProcessBody = Type.Object({
  data_id: Type.String({ maxLength: MAX_NAME_LENGTH, description: 'Client identifier of the data set (echoed in result_id)' }),
  file_path: FilePath({ description: 'FITS file relative to DATA_DIR' }),
  algorithm: Type.String({ maxLength: 64, description: `One of: ${algorithms.names.join(', ')}` }),
  parameters: Type.Optional(Type.Object({}, { additionalProperties: true, description: 'Algorithm parameters; see GET /algorithms for each schema' })),
  hdu: Type.Optional(Type.Union([Type.Integer({ minimum: -1, maximum: 100_000 }), Type.Null()], { description: 'HDU index (default: first image HDU)' })),
  slice_index: Type.Optional(Type.Union([Type.Integer({ minimum: -1, maximum: 1_000_000_000 }), Type.Null()], { description: 'Cube plane (default: middle)' })),
  table_format: Type.Optional(
    Type.Union(TABLE_FORMATS.map((f) => Type.Literal(f)), {
      description: 'Also save the catalogues of the results (find_stars stars, segmentation catalog, ...) as ECSV, a FITS binary table, or both (default none)',
    }),
  ),
});
type ProcessBodyT = Static<typeof ProcessBody>;

const JobId = Type.Object({ job_id: Type.String({ maxLength: 64 }) });

/** The job kind every analysis runs as (POST /process waits for it, POST /process/jobs does not). */
export const ANALYSIS_KIND = 'analysis';

/** Inputs whose answer has a row each are capped by a setting (413 before any work). */
function checkAnswerSize(ctx: EngineContext, algorithm: string, parameters: Record<string, unknown>): void {
  const positions = parameters.positions;
  if (algorithm === 'aperture_photometry' && Array.isArray(positions) && positions.length > ctx.settings.maxPhotometryPositions) {
    throw new PayloadTooLargeError(`aperture_photometry has ${positions.length} positions (max ${ctx.settings.maxPhotometryPositions}, MAX_PHOTOMETRY_POSITIONS)`);
  }
}

/** Validates everything cheap on the event loop and builds the worker payload. */
async function prepare(ctx: EngineContext, body: ProcessBodyT, output?: { dir: string; relativeDir: string }): Promise<ProcessFileRequest> {
  const parameters = algorithms.validateParameters(body.algorithm, body.parameters ?? {});
  checkAnswerSize(ctx, body.algorithm, parameters);
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
    ...(output ? { outputDir: output.dir, outputRelativeDir: output.relativeDir } : {}),
    outputPrefix: `${stem}_${body.algorithm}`,
    tableFormat: body.table_format ?? 'none',
    maxElements: limits.maxElements,
    maxFileBytes: limits.maxFileBytes,
    maxExpansionRatio: limits.maxExpansionRatio ?? 0,
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

/** Runs analyses as jobs: outputs in the job's own folder, one render-gate slot while it runs. */
export function analysisJobHandler(ctx: EngineContext): JobHandler {
  return {
    kind: ANALYSIS_KIND,
    lane: 'compute',
    async run({ inputs, signal, progress, outputDir, job }) {
      const body = inputs as unknown as ProcessBodyT;
      const dir = await outputDir();
      const r = await cleanOnFailure(dir, signal, async () => {
        const payload = await prepare(ctx, body, { dir, relativeDir: `processed/${job.id}/` });
        return ctx.renderGate.run(
          () => runWithProgress<ProcessFileResult, { progress: number; message: string }>(ctx, 'analysis.process', payload, (m) => progress(m.progress, m.message), signal),
          { interactive: false, signal },
        );
      });
      const outputs: JobOutput[] = [];
      for (const rel of r.output_files) {
        const info = await stat(join(ctx.settings.dataDir, rel));
        outputs.push({ name: basename(rel), path: rel, sizeBytes: info.size, mediaType: rel.endsWith('.ecsv') ? 'text/x-ecsv' : 'application/fits' });
      }
      return { result: response(body, r) as unknown as JsonObject, outputs };
    },
  };
}

/** The contract's job body, mapped from the core record. */
function processJobWire(job: JobRecord): Record<string, unknown> {
  return {
    job_id: job.id,
    data_id: job.inputs.data_id,
    algorithm: job.inputs.algorithm,
    status: job.state,
    progress: job.progress,
    message: job.state === 'completed' ? 'done' : job.state === 'failed' ? 'failed' : job.stage,
    created_at: job.createdAt,
    started_at: job.startedAt,
    finished_at: job.finishedAt,
    result: job.result,
    error: job.error ? { status_code: job.error.httpStatus, detail: job.error.message } : null,
  };
}

export async function processRoutes(app: App, ctx: EngineContext): Promise<void> {
  app.get('/algorithms', { schema: { summary: 'The analysis algorithms with their parameter and result schemas', tags: ['analysis'] } }, async () => ({
    algorithms: algorithms.describe(),
  }));

  app.post('/process', { schema: { summary: 'Run one analysis algorithm on a FITS image (as a job; answers when done)', tags: ['analysis'], body: ProcessBody } }, async (request, reply) => {
    await prepare(ctx, request.body); // 4xx now, before any work is queued
    const signal = requestSignal(ctx, request, reply);
    signal.throwIfAborted();
    const submitted = await ctx.jobs.submit(ANALYSIS_KIND, request.body as unknown as JsonObject, { owner: jobOwnerOf(request) });
    // The job is this request's: when the client goes away (or the engine shuts down) it is cancelled.
    const cancel = () => void ctx.jobs.cancel(submitted.id).catch((err: unknown) => request.log.warn({ err }, 'could not cancel the analysis job'));
    signal.addEventListener('abort', cancel, { once: true });
    const job = await untilAbort(ctx.jobs.waitUntilSettled(submitted.id), signal).finally(() => signal.removeEventListener('abort', cancel));
    if (job.state !== 'completed' || !job.result) throw jobFailure(job);
    return job.result;
  });

  app.post('/process/jobs', { schema: { summary: 'Start an analysis as a job with progress', tags: ['analysis'], body: ProcessBody } }, async (request, reply) => {
    await prepare(ctx, request.body);
    const job = await ctx.jobs.submit(ANALYSIS_KIND, request.body as unknown as JsonObject, { owner: jobOwnerOf(request) });
    return reply.status(202).send({ job_id: job.id, status: job.state, progress: job.progress, algorithm: request.body.algorithm, status_url: `/process/jobs/${job.id}` });
  });

  app.get('/process/jobs/:job_id', { schema: { summary: 'State, progress and (when done) result of an analysis job', tags: ['analysis'], params: JobId } }, async (request) => {
    const { job_id } = request.params;
    return processJobWire(await visibleJob(ctx, request, job_id, [ANALYSIS_KIND], `Job not found: ${job_id}`));
  });
}
