/**
 * One AbortSignal per request for the work it starts: it aborts when the client goes away before
 * the answer is sent (CancelledError, 499: nobody is left to answer) or when the engine starts
 * shutting down (its 503 UnavailableError, which the error handler answers as `{"detail"}`).
 * Routes pass it to the pool, the render gate and job waits, so abandoned work stops.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EngineContext } from '../context.js';
import { CancelledError } from '../core/cancellation.js';

const signals = new WeakMap<FastifyRequest, AbortSignal>();

export function requestSignal(ctx: EngineContext, request: FastifyRequest, reply: FastifyReply): AbortSignal {
  const known = signals.get(request);
  if (known) return known;
  const controller = new AbortController();
  signals.set(request, controller.signal);
  const cleanup = () => {
    reply.raw.off('close', onClose);
    ctx.shutdown.removeEventListener('abort', onShutdown);
  };
  const abort = (reason: unknown) => {
    cleanup();
    if (!controller.signal.aborted) controller.abort(reason);
  };
  const onClose = () => {
    if (reply.raw.writableFinished) cleanup();
    else abort(new CancelledError('The client went away'));
  };
  const onShutdown = () => abort(ctx.shutdown.reason);
  if (ctx.shutdown.aborted) {
    controller.abort(ctx.shutdown.reason);
    return controller.signal;
  }
  reply.raw.on('close', onClose);
  ctx.shutdown.addEventListener('abort', onShutdown, { once: true });
  return controller.signal;
}
