/**
 * What the viewer routes share: the limits from settings, resolving `file_path` (sandbox + size
 * guard before any work is queued), strong ETags with If-None-Match -> 304, and a byte-bounded
 * LRU of rendered answers.
 */
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EngineContext } from '../context.js';
import { untilAbort } from './job-support.js';
import { fileTooLarge, limitsFromSettings, type ViewerLimits } from '../imaging/viewer/source.js';

export function viewerLimits(ctx: EngineContext): ViewerLimits {
  return limitsFromSettings(ctx.settings);
}

export interface ResolvedFile {
  readonly path: string;
  /** Changes when the file changes: part of every ETag. */
  readonly version: string;
}

/** Sandbox (403/404/400) then MAX_FITS_FILE_SIZE_MB (413), cheap checks on the event loop. */
export async function resolveFitsPath(ctx: EngineContext, filePath: string): Promise<ResolvedFile> {
  const { path, size, version } = await ctx.sandbox.resolveInput(filePath);
  const limits = viewerLimits(ctx);
  if (size > limits.maxFileBytes) throw fileTooLarge(size, limits.maxFileBytes);
  return { path, version };
}

export function etagOf(kind: string, file: ResolvedFile, params: unknown): string {
  const h = createHash('sha256').update(kind).update('\0').update(file.path).update('\0').update(file.version).update('\0').update(JSON.stringify(params));
  return `"${h.digest('base64url').slice(0, 32)}"`;
}

/** True (and the 304 is sent) when the client already has this representation. */
export function notModified(request: FastifyRequest, reply: FastifyReply, etag: string, headers: Record<string, string> = {}): boolean {
  const header = request.headers['if-none-match'];
  if (!header) return false;
  const tags = header.split(',').map((t) => t.trim().replace(/^W\//, ''));
  if (!tags.includes(etag) && !tags.includes('*')) return false;
  reply.status(304).header('etag', etag).header('cache-control', 'no-cache').headers(headers).send();
  return true;
}

/**
 * Runs `work` once per key at a time: identical concurrent requests share one render. Each caller
 * passes its own signal; the shared work's signal aborts only when every caller has gone (a
 * caller that goes rejects at once with its own reason).
 */
export class SingleFlight<V> {
  private readonly inFlight = new Map<string, { promise: Promise<V>; waiters: number; controller: AbortController }>();

  run(key: string, work: (signal: AbortSignal) => Promise<V>, signal?: AbortSignal): Promise<V> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    let flight = this.inFlight.get(key);
    if (!flight) {
      const controller = new AbortController();
      const promise = work(controller.signal).finally(() => {
        if (this.inFlight.get(key) === entry) this.inFlight.delete(key);
      });
      const entry = { promise, waiters: 0, controller };
      flight = entry;
      this.inFlight.set(key, entry);
    }
    if (!signal) {
      flight.waiters = Number.POSITIVE_INFINITY; // someone waits for good: never aborted
      return flight.promise;
    }
    const f = flight;
    f.waiters++;
    const leave = () => {
      if (--f.waiters === 0) {
        if (this.inFlight.get(key) === f) this.inFlight.delete(key); // a later caller starts afresh
        f.controller.abort(signal.reason);
      }
    };
    const mine = untilAbort(f.promise, signal);
    signal.addEventListener('abort', leave, { once: true });
    f.promise.then(() => signal.removeEventListener('abort', leave), () => signal.removeEventListener('abort', leave));
    return mine;
  }

  get size(): number {
    return this.inFlight.size;
  }
}
