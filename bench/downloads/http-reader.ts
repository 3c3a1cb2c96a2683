/**
 * The client of `bench/downloads/sse-events.ts` with BENCH_HTTP=1 (issue #20, session 20): in its
 * own process, so that the engine side's CPU is the engine's. Reads raw TCP (no HTTP client
 * library) so that it can hash the bytes on the wire: each answer's head (less its Date line) and
 * body as they came, chunk framing included.
 *
 * Standard input, one command a line, each answered with one line on standard output:
 * - `poll <host:port> <path>`: one GET on its kept-alive connection, the whole answer read
 *   (Content-Length), answers `ok <body bytes>`;
 * - `sse <host:port> <path> <streams>`: opens that many SSE streams (chunked answers), answers `ok`
 *   once each has its first event whole;
 * - `wait <n>`: answers `ok` once every stream has had n events in all, each to its last byte;
 * - `end`: answers `hash <sha256 of every poll's head and body> <sha256 of stream 0's bytes> <all
 *   streams the same bytes: true|false>`, then exits.
 */
import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';

const pollHash = createHash('sha256');
let pollSocket: Socket | undefined;
let pending: ((b: Buffer) => void) | undefined;
let buf: Buffer = Buffer.alloc(0);

function withoutDate(head: string): string {
  return head.split('\r\n').filter((l) => !/^date:/i.test(l)).join('\r\n');
}

/** One GET on the kept-alive connection; resolves with the body's length once the whole answer came. */
function poll(hostPort: string, path: string): Promise<number> {
  const [host, port] = hostPort.split(':') as [string, string];
  if (!pollSocket) {
    pollSocket = connect(Number(port), host);
    pollSocket.on('data', (d) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      pending?.(buf);
    });
  }
  return new Promise((resolve, reject) => {
    pending = (b) => {
      const end = b.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = b.subarray(0, end).toString('latin1');
      const m = /\r\ncontent-length: *(\d+)/i.exec(head);
      if (!m) return reject(new Error(`no content-length: ${head}`));
      const total = end + 4 + Number(m[1]);
      if (b.length < total) return;
      pollHash.update(withoutDate(head));
      pollHash.update(b.subarray(end + 4, total));
      buf = b.subarray(total);
      pending = undefined;
      resolve(Number(m[1]));
    };
    pollSocket!.write(`GET ${path} HTTP/1.1\r\nHost: ${hostPort}\r\n\r\n`);
  });
}

interface Stream { hash: ReturnType<typeof createHash>; events: number; tail: string; head: boolean; raw: Buffer }
const streams: Stream[] = [];
let waitFor: { n: number; done: () => void } | undefined;
/**
 * An event ends with its blank line, written as a chunk of its own (`sendJson`): on the wire
 * `2\r\n\n\n\r\n`, so an event is counted once all of it came (a ping is `8\r\n: ping\n\n\r\n`).
 */
const MARK = '\r\n2\r\n\n\n\r\n';

function checkWait(): void {
  if (waitFor && streams.every((s) => s.events >= waitFor!.n)) {
    const w = waitFor;
    waitFor = undefined;
    w.done();
  }
}

function openStreams(hostPort: string, path: string, count: number): void {
  const [host, port] = hostPort.split(':') as [string, string];
  for (let i = 0; i < count; i++) {
    const s: Stream = { hash: createHash('sha256'), events: 0, tail: '', head: true, raw: Buffer.alloc(0) };
    streams.push(s);
    const socket = connect(Number(port), host);
    socket.on('data', (d: Buffer) => {
      if (s.head) {
        s.raw = Buffer.concat([s.raw, d]);
        const end = s.raw.indexOf('\r\n\r\n');
        if (end < 0) return;
        s.hash.update(withoutDate(s.raw.subarray(0, end).toString('latin1')));
        d = s.raw.subarray(end + 4);
        s.head = false;
      }
      s.hash.update(d);
      // Events counted by their end (which may be split across reads).
      const text = s.tail + d.toString('latin1');
      let at = 0;
      while ((at = text.indexOf(MARK, at)) >= 0) {
        s.events++;
        at += MARK.length;
      }
      s.tail = text.slice(-(MARK.length - 1));
      checkWait();
    });
    socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostPort}\r\nAccept: text/event-stream\r\n\r\n`);
  }
}

const say = (line: string) => process.stdout.write(`${line}\n`);
const queue: string[] = [];
let busy = false;
async function next(): Promise<void> {
  if (busy) return;
  busy = true;
  while (queue.length) {
    const [cmd, ...args] = queue.shift()!.split(' ');
    if (cmd === 'poll') say(`ok ${await poll(args[0]!, args[1]!)}`);
    else if (cmd === 'sse') {
      openStreams(args[0]!, args[1]!, Number(args[2]));
      await new Promise<void>((done) => { waitFor = { n: 1, done }; checkWait(); });
      say('ok');
    } else if (cmd === 'wait') {
      await new Promise<void>((done) => { waitFor = { n: Number(args[0]), done }; checkWait(); });
      say('ok');
    } else if (cmd === 'end') {
      const digests = streams.map((s) => s.hash.digest('hex'));
      say(`hash ${pollHash.digest('hex').slice(0, 16)} ${(digests[0] ?? '-').slice(0, 16)} ${digests.every((d) => d === digests[0])}`);
      process.exit(0);
    }
  }
  busy = false;
}
createInterface({ input: process.stdin }).on('line', (line) => {
  queue.push(line);
  void next();
});
