/**
 * Server-Sent Events for the job routes: headers that defeat proxy buffering, numbered events, a
 * comment ping every 15 s, and every open stream ended when the server closes (so shutdown
 * never waits for a client that keeps listening).
 */
import type { ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../server.js';

export interface EventStream {
  send(event: string, data: unknown): void;
  /**
   * `send` of data already serialised (`json`: the JSON text `send` would have made of it, or its
   * UTF-8 bytes, written as they are: one buffer, or the pieces whose concatenation they are, for
   * every subscriber, no encoding or copy per stream).
   */
  sendJson(event: string, json: string | Buffer | readonly Buffer[]): void;
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

/**
 * Writes `pieces` as `raw.write` of them joined would, byte for byte (one HTTP chunk when the
 * answer is chunked: its size line, the pieces, CRLF), without joining them: straight to the
 * socket, corked by the caller, so they leave in the one `writev` (issue #20, session 20). Only
 * once the answer's head went out on a socket still writable, when `raw.write` itself writes
 * straight to that socket (a response holds a socket only while it is the connection's current
 * one); else (and for a response without a network socket, as `inject`'s) they are joined and
 * written by `raw.write`.
 */
function writeJoined(raw: ServerResponse, pieces: readonly Buffer[]): void {
  let length = 0;
  for (const b of pieces) length += b.length;
  if (length === 0) return; // as raw.write of an empty buffer: nothing on the wire
  const socket = raw.socket;
  if (!raw.headersSent || !(socket instanceof Socket) || !socket.writable) {
    raw.write(Buffer.concat(pieces, length));
    return;
  }
  const chunked = (raw as ServerResponse & { chunkedEncoding?: boolean }).chunkedEncoding === true;
  if (chunked) socket.write(`${length.toString(16)}\r\n`, 'latin1');
  for (const b of pieces) socket.write(b);
  if (chunked) socket.write('\r\n', 'latin1');
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
          // The same bytes as the string form, in one write (corked: one `writev`, one chunk on the
          // wire); pieces are written as they are, not joined first (issue #20, session 20).
          raw.cork();
          raw.write(`event: ${event}\nid: ${++seq}\ndata: `);
          if (Buffer.isBuffer(json)) raw.write(json);
          else writeJoined(raw, json);
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
