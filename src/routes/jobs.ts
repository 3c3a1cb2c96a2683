/**
 * The jobs API (upstream's latest `/api/jobs`, camelCase like its other `/api` facades) over the
 * job core: list with filters and paging, get, cancel, pause/resume, delete, output preview,
 * download and save, and `GET /api/jobs/{id}/events` (Server-Sent Events) for every kind.
 *
 * Owners: with users on (src/auth), a job belongs to the user who submitted it (`userId`); a user
 * lists and reaches only their own jobs (another user's job is 404, as if it did not exist),
 * an admin everyone's. Without users every job is everyone's. "Save to library" keeps the output: it is copied out of the job's folder
 * (which retention and DELETE remove) to DATA_DIR/saved/{job id}/{name}; a FITS/ECSV copy becomes a
 * library record of its own (its `dataId`), with the job's lineage.
 */
import { locationStream } from '../storage/locations.js';
import { copyFile, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { App } from '../server.js';
import type { EngineContext } from '../context.js';
import { EngineError, NotFoundError } from '../errors.js';
import { JOB_STATES, isFinished, type JobOutput, type JobRecord, type JobState } from '../jobs/index.js';
import { eventStreams } from './sse.js';
import { isLibraryFile } from '../library/facts.js';
import { jobScopeOf, outputLocation, visibleJob } from './job-support.js';
import { ANY_INT } from './input-limits.js';

const Id = Type.Object({ id: Type.String({ maxLength: 64 }) });
const OutputParams = Type.Object({ id: Type.String({ maxLength: 64 }), index: Type.Integer({ minimum: 0, maximum: 10_000 }) });
const ListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ default: 50, ...ANY_INT, description: 'page size, clamped to 1-200' })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 })),
  kind: Type.Optional(Type.String({ maxLength: 200, description: 'comma-separated kinds (download, analysis, composite, mosaic, footprint)' })),
  status: Type.Optional(Type.String({ maxLength: 200, description: `comma-separated states (${JOB_STATES.join(', ')}; succeeded = completed)` })),
  all: Type.Optional(Type.Boolean({ description: "accepted for upstream compatibility: an admin always lists every user's jobs, a user only their own" })),
});
const PreviewQuery = Type.Object({
  cmap: Type.Optional(Type.String({ maxLength: 40 })),
  stretch: Type.Optional(Type.String({ maxLength: 40 })),
  sliceIndex: Type.Optional(Type.Integer({ minimum: -1, maximum: 1_000_000 })),
});
const DeleteQuery = Type.Object({ delete_files: Type.Optional(Type.Boolean({ default: false })) });

/** Upstream's status words: `succeeded` for completed; ours are kept in `state`. */
const statusOf = (state: JobState): string => (state === 'completed' ? 'succeeded' : state);

function suffixOf(name: string): string {
  const m = /\.(fits\.gz|fits|fit|png|jpe?g|json|ecsv)$/i.exec(name);
  return m ? m[1]!.toLowerCase() : '';
}

/** The wire form of a record (upstream JobRecord fields, plus ours). */
export function jobWire(job: JobRecord, cancelRequested = false): Record<string, unknown> {
  return {
    jobId: job.id,
    type: job.kind,
    userId: job.owner,
    status: statusOf(job.state),
    state: job.state,
    cancelRequested,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    updatedAt: job.updatedAt,
    request: job.inputs,
    progress: { fraction: job.progress, message: job.stage, currentStage: job.stage },
    pauseReason: job.pauseReason,
    attempts: job.attempts,
    result: isFinished(job.state) || job.outputs.length > 0
      ? {
          ...(job.result ?? {}),
          outputs: job.outputs.map((o, i) => ({ index: i, name: o.name, storageKey: o.path, suffix: suffixOf(o.name), sizeBytes: o.sizeBytes, mediaType: o.mediaType })),
        }
      : null,
    error: job.error?.message ?? null,
    errorCode: job.error?.code ?? null,
  };
}

function csv<T extends string>(text: string | undefined, map: (v: string) => T | undefined): T[] | undefined {
  if (!text) return undefined;
  const out: T[] = [];
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const v = map(part);
    if (v === undefined) throw new EngineError('JOB_BAD_FILTER', `Unknown value ${JSON.stringify(part)}`, 422);
    out.push(v);
  }
  return out;
}

export async function jobRoutes(app: App, ctx: EngineContext): Promise<void> {
  const tags = ['jobs'];
  const streams = eventStreams(app);
  const jobs = ctx.jobs;

  const visible = (req: FastifyRequest, id: string) => visibleJob(ctx, req, id);

  const output = async (req: FastifyRequest, id: string, index: number): Promise<{ job: JobRecord; out: JobOutput; path: string }> => {
    const job = await visible(req, id);
    const out = job.outputs[index];
    if (!out) throw new NotFoundError('Output not found', 'JOB_OUTPUT_NOT_FOUND');
    // A local file, or the object the output became (STORAGE_PROVIDER=s3).
    const path = await outputLocation(ctx, out.path);
    if (!path) throw new NotFoundError('Output not found', 'JOB_OUTPUT_NOT_FOUND');
    return { job, out, path };
  };

  app.get('/api/jobs', { schema: { tags, summary: 'Jobs of every kind, newest first, with filters and paging', querystring: ListQuery } }, async (req) => {
    const limit = Math.min(200, Math.max(1, req.query.limit ?? 50));
    const offset = req.query.offset ?? 0;
    const kinds = csv(req.query.kind, (v) => (/^[a-z_-]{1,40}$/.test(v) ? v : undefined));
    const states = csv(req.query.status, (v) => (v === 'succeeded' ? 'completed' : (JOB_STATES as readonly string[]).includes(v) ? (v as JobState) : undefined));
    const page = await jobs.list({ kinds, states, limit, offset, owner: jobScopeOf(req) });
    return { jobs: page.jobs.map((j) => jobWire(j)), total: page.total, limit, offset };
  });

  app.get('/api/jobs/:id', { schema: { tags, summary: 'One job', params: Id } }, async (req) => jobWire(await visible(req, req.params.id)));

  app.post('/api/jobs/:id/cancel', { schema: { tags, summary: 'Cancel a job that is not finished', params: Id } }, async (req) => {
    await visible(req, req.params.id);
    const { cancelled, job } = await jobs.cancel(req.params.id);
    return cancelled ? { cancelRequested: true, status: statusOf(job.state) } : { cancelRequested: false, status: statusOf(job.state) };
  });

  app.post('/api/jobs/:id/pause', { schema: { tags, summary: 'Pause a job of a pausable kind', params: Id } }, async (req) => jobWire(await jobs.pause((await visible(req, req.params.id)).id)));

  app.post('/api/jobs/:id/resume', { schema: { tags, summary: 'Queue a paused or failed job again', params: Id } }, async (req) => jobWire(await jobs.resume((await visible(req, req.params.id)).id)));

  app.delete('/api/jobs/:id', { schema: { tags, summary: 'Forget a job (cancelled first if it runs) and delete its outputs', params: Id, querystring: DeleteQuery } }, async (req) => {
    await visible(req, req.params.id);
    await jobs.remove(req.params.id, { deleteFiles: req.query.delete_files ?? false });
    return { jobId: req.params.id, deleted: true };
  });

  app.get('/api/jobs/:id/outputs/:index/download', { schema: { tags, summary: 'An output file, as an attachment', params: OutputParams } }, async (req, reply) => {
    const { out, path } = await output(req, req.params.id, req.params.index);
    return reply.type('application/octet-stream').header('content-disposition', `attachment; filename="${out.name.replace(/["\\\r\n]/g, '_')}"`).send(await locationStream(path));
  });

  app.get('/api/jobs/:id/outputs/:index/preview', { schema: { tags, summary: 'A preview of an output: images as they are, FITS through the preview renderer', params: OutputParams, querystring: PreviewQuery } }, async (req, reply) => {
    const { job, out, path } = await output(req, req.params.id, req.params.index);
    if (out.mediaType === 'image/png' || out.mediaType === 'image/jpeg') return reply.type(out.mediaType).send(await locationStream(path));
    if (!/\.(fits|fit|fits\.gz)$/i.test(out.name)) throw new EngineError('JOB_OUTPUT_NOT_PREVIEWABLE', 'Only FITS and image outputs can be previewed', 415);
    const q = new URLSearchParams({ file_path: out.path, width: '1000', height: '1000' });
    if (req.query.cmap) q.set('cmap', req.query.cmap);
    if (req.query.stretch) q.set('stretch', req.query.stretch);
    if (req.query.sliceIndex !== undefined) q.set('slice_index', String(req.query.sliceIndex));
    return reply.redirect(`/preview/${encodeURIComponent(job.id)}?${q.toString()}`, 307);
  });

  app.post('/api/jobs/:id/outputs/:index/save', { schema: { tags, summary: 'Keep an output beyond the job (DATA_DIR/saved/{job id}/{name})', params: OutputParams } }, async (req, reply) => {
    const { job, out, path } = await output(req, req.params.id, req.params.index);
    if (!/\.(fits|fit|fits\.gz|ecsv|png|jpe?g)$/i.test(out.name)) throw new EngineError('JOB_OUTPUT_NOT_SAVABLE', 'Only FITS, ECSV and image outputs can be saved', 415);
    const relative = `saved/${job.id}/${out.name}`;
    const objects = ctx.sandbox.objects;
    let exists: boolean;
    if (objects) {
      // The copy is an object too: every node sees it.
      exists = (await objects.stat(relative)) !== undefined;
      if (!exists) await objects.write(relative, await locationStream(path));
    } else {
      const target = join(ctx.settings.dataDir, relative);
      exists = await stat(target).then(() => true, () => false);
      if (!exists) {
        await mkdir(join(ctx.settings.dataDir, 'saved', job.id), { recursive: true });
        await copyFile(path, target);
      }
    }
    // A FITS/ECSV copy is a library record of its own, with the job's lineage (an image is a plain file).
    const made = await ctx.library.recordOf(out.path);
    const record = isLibraryFile(relative)
      ? await ctx.library.registerCompletedFile({ path: relative, source: 'job', jobId: job.id, inputIds: made?.inputIds ?? [], owner: job.owner })
      : undefined;
    return reply.status(201).send({ dataId: record?.dataId ?? relative, filePath: relative, created: !exists });
  });

  app.get('/api/jobs/:id/events', {
    schema: { tags, summary: 'Server-Sent Events: `job` (the record, on every change, progress at most 4 per second); `end` when it is finished or removed', params: Id },
  }, async (req, reply) => {
    const first = await visible(req, req.params.id);
    const stream = streams.open(req, reply);
    const endWith = (status: string) => {
      stream.send('end', { jobId: first.id, status });
      stream.end();
    };
    // Subscribe before sending the first record, so no change between the two is lost.
    const unsubscribe = jobs.subscribe(first.id, (e) => {
      if (e.type === 'removed') return endWith('removed');
      stream.send('job', jobWire(e.job));
      if (isFinished(e.job.state)) endWith(statusOf(e.job.state));
    });
    stream.onEnd(unsubscribe);
    const now = (await jobs.get(first.id)) ?? first;
    stream.send('job', jobWire(now));
    if (isFinished(now.state)) endWith(statusOf(now.state));
  });
}
