/**
 * The /api facades answer by forwarding to the engine's own routes (app.inject with the internal
 * header, so the target route's guards, caches, render gate and ETags all apply and nothing is
 * implemented twice). The forwarded request stops with the outer one (client gone, or shutdown).
 */
import type { FastifyReply, FastifyRequest, InjectOptions } from 'fastify';
import type { App } from '../server.js';
import type { EngineContext } from '../context.js';
import { internalHeaders } from './access.js';
import { requestSignal } from './request-signal.js';

export interface Forwarded {
  readonly statusCode: number;
  readonly headers: Record<string, string | string[] | number | undefined>;
  readonly rawPayload: Buffer;
}

const HOP_BY_HOP = ['content-length', 'connection', 'transfer-encoding', 'date', 'keep-alive'];

/** Sends `method url` (JSON `payload`, conditional/accept headers of the caller) to this engine. */
export async function forward(app: App, ctx: EngineContext, request: FastifyRequest, reply: FastifyReply, method: 'GET' | 'POST', url: string, payload?: object): Promise<Forwarded> {
  const signal = requestSignal(ctx, request, reply);
  const pass: Record<string, string> = {};
  for (const h of ['if-none-match', 'accept'] as const) {
    const v = request.headers[h];
    if (typeof v === 'string') pass[h] = v;
  }
  const options: InjectOptions = { method, url, headers: { ...internalHeaders(), ...pass }, signal, ...(payload ? { payload } : {}) };
  return app.inject(options).catch((err: unknown) => {
    throw signal.aborted ? signal.reason : err;
  });
}

/** Copies the forwarded answer (status, headers `keep` accepts, bytes) onto `reply`. */
export function relay(reply: FastifyReply, forwarded: Forwarded, keep: (header: string) => boolean = (h) => !HOP_BY_HOP.includes(h)): FastifyReply {
  for (const [k, v] of Object.entries(forwarded.headers)) {
    if (v !== undefined && keep(k)) reply.header(k, v);
  }
  return reply.status(forwarded.statusCode).send(forwarded.rawPayload);
}

/**
 * Route `onSend` hook of the facades: an error answer `{"detail": "..."}` also carries the message
 * as `error`, which upstream's frontend (ApiError.ts) reads; upstream's /api error shim sends both.
 */
export async function withErrorField(_request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  const text = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : undefined;
  if (reply.statusCode < 400 || text === undefined || !String(reply.getHeader('content-type') ?? '').includes('json')) return payload;
  try {
    const body = JSON.parse(text) as unknown;
    if (body !== null && typeof body === 'object' && !Array.isArray(body) && !('error' in body)) {
      const detail = (body as { detail?: unknown }).detail;
      if (typeof detail === 'string') return JSON.stringify({ ...body, error: detail });
    }
  } catch {
    // not JSON after all: sent as it is
  }
  return payload;
}

/**
 * A forwarded 422 (a snake_case route's field error) as the facades answer it: 400 with one
 * string `detail` naming the fields (upstream's facades mean 400; its list-in-detail is a defect).
 */
export function fieldErrorAs400(forwarded: Forwarded): Forwarded {
  if (forwarded.statusCode !== 422) return forwarded;
  let detail: unknown;
  try {
    detail = (JSON.parse(forwarded.rawPayload.toString('utf8')) as { detail?: unknown }).detail;
  } catch {
    detail = undefined;
  }
  const text = Array.isArray(detail)
    ? detail.map((d: { loc?: unknown; msg?: unknown }) => `${Array.isArray(d.loc) ? d.loc.join('.') : 'body'}: ${String(d.msg ?? 'invalid')}`).join('; ')
    : typeof detail === 'string' ? detail : 'Invalid request';
  return { ...forwarded, statusCode: 400, rawPayload: Buffer.from(JSON.stringify({ detail: `Invalid request: ${text}` })) };
}
