/**
 * Server-Sent Events for the job routes: headers that defeat proxy buffering, numbered events, a
 * comment ping every 15 s, and every open stream ended when the server closes (so shutdown
 * never waits for a client that keeps listening).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../server.js';

export interface EventStream {
  send(event: string, data: unknown): void;
  /**
   * `send` of data already serialised (`json`: the JSON text `send` would have made of it, or its
   * UTF-8 bytes, written as they are: one buffer for every subscriber, no encoding per stream).
   */
  sendJson(event: string, json: string | Buffer): void;
  /** Ends the stream (idempotent); also called when the client goes or the server closes. */
  end(): void;
  /** Runs `fn` when the stream ends, whoever ended it. */
  onEnd(fn: () => void): void;
}

/** One per route module: `open` starts a stream on a request; all end on app close. */
export function eventStreams(app: App): { open(request: FastifyRequest, reply: FastifyReply): EventStream } {
  const streams = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...streams]) end();
  });
  return {
    open(request, reply) {
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      let seq = 0;
      let open = true;
      const endHandlers: Array<() => void> = [];
      const ping = setInterval(() => open && raw.write(': ping\n\n'), 15_000);
      const end = () => {
        if (!open) return;
        open = false;
        clearInterval(ping);
        streams.delete(end);
        for (const fn of endHandlers) fn();
        raw.end();
      };
      streams.add(end);
      request.raw.on('close', end);
      return {
        send(event, data) {
          if (open) raw.write(`event: ${event}\nid: ${++seq}\ndata: ${JSON.stringify(data)}\n\n`);
        },
        sendJson(event, json) {
          if (!open) return;
          if (typeof json === 'string') {
            raw.write(`event: ${event}\nid: ${++seq}\ndata: ${json}\n\n`);
            return;
          }
          // The same bytes as the string form, in one write (corked: one chunk on the wire).
          raw.cork();
          raw.write(`event: ${event}\nid: ${++seq}\ndata: `);
          raw.write(json);
          raw.write('\n\n');
          raw.uncork();
        },
        end,
        onEnd(fn) {
          if (open) endHandlers.push(fn);
          else fn();
        },
      };
    },
  };
}
