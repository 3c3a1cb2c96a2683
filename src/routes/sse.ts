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

/**
 * Runs `fn` in a later turn of the event loop, one queued function per turn, in the order queued.
 * An event heard by many streams (a download's SSE subscribers: 2 MB per event at 5000 files)
 * writes to each in its own turn, not all in the tick that dispatched it: each write is a
 * syscall copying the event into a socket, and ten of them in one tick held the loop for
 * milliseconds while timers and other requests waited (issue #20, session 19). A function that
 * throws is ignored, as the job event bus ignores a listener that throws.
 */
export function inItsOwnTurn(fn: () => void): void {
  turns.push(fn);
  if (turns.length === 1) setImmediate(nextTurn);
}
const turns: Array<() => void> = [];
function nextTurn(): void {
  const fn = turns[0]!;
  try {
    fn();
  } catch {
    // the stream's own error handling reports it
  } finally {
    turns.shift();
    if (turns.length > 0) setImmediate(nextTurn);
  }
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
