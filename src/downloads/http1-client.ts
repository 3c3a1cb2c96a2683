/**
 * A small HTTP/1.1 client for bulk downloads: GET and HEAD, keep-alive connections pooled per
 * origin with a limit, Content-Length, chunked and read-until-close bodies, a stall timeout, an
 * abort signal, and flow control driven by the consumer.
 *
 * Why not undici: on loopback its `request()` streams cost ~0.7 CPU s/GiB of JavaScript (socket
 * buffers allocated per read, Readable plumbing, a promise per chunk), more than the kernel's
 * whole share. Here a plain-TCP connection reads with net `onread`: into memory the body's
 * consumer lends (a BodyTarget: the kernel copies straight into the write buffer, no copy in
 * JavaScript), or else into one reusable buffer whose bytes are handed synchronously to the
 * consumer's sink. No garbage per packet. TLS connections use ordinary `data` events (decryption
 * dominates).
 */
import { createRequire } from 'node:module';
import net from 'node:net';
import type * as Tls from 'node:tls';
import { NetworkError, StalledError } from './errors.js';

/**
 * node:tls, loaded at the first https connection: a download over plain http (a local mirror, the
 * bench) never needs it, and loading it costs ~10 ms of a one-shot process's start (session 17).
 */
let tlsModule: typeof Tls | undefined;
const tls = (): typeof Tls => (tlsModule ??= createRequire(import.meta.url)('node:tls') as typeof Tls);

/** Bytes read from a plain socket at once (the largest chunk handed to a body consumer). */
export const READ_SIZE = 256 * 1024;
const MAX_HEAD_BYTES = 64 * 1024;
/**
 * Bytes read at once while a response has nobody to take its body yet (its head, then a body not
 * yet piped: the lookahead request of each piece): what such a read brings past the head is held
 * (a copy) and copied again into the consumer's memory, so it is kept small; the rest waits in the
 * socket until the consumer lends memory to read it into (session 12: a whole READ_SIZE read was
 * held per response, ~51 MB of double copies per GiB in 5 MiB pieces). 4 KiB holds a response
 * head (S3's are ~0.5-1 KiB; a longer one takes another read); 16 KiB copied ~12 KiB more per
 * request twice (session 16).
 */
export const UNCLAIMED_READ_SIZE = 4 * 1024;

export interface HttpRequestOptions {
  readonly method: 'GET' | 'HEAD';
  readonly headers: Readonly<Record<string, string>>;
  readonly signal: AbortSignal;
  /** No header or body byte for this long: StalledError. */
  readonly timeoutMs: number;
}

export type HttpHeaders = Readonly<Record<string, string | string[] | undefined>>;

export interface HttpResponse {
  readonly statusCode: number;
  /** Lower-case names; repeated headers become lists. */
  readonly headers: HttpHeaders;
  readonly body: ResponseBody;
}

/** Consumer of body bytes: `chunk` is valid only during the call; return false to pause. */
export type BodySink = (chunk: Buffer) => boolean;

/**
 * A consumer that lends its own memory so the socket reads body bytes straight into it.
 * `lend()` is asked after every socket read of the body, paused or not (a paused body's next read
 * comes after `resume()`, into what was lent before it): the next read lands at the
 * start of the returned region (at most its length), then `filled(n)` says how many bytes did.
 * Between the two, the region must stay untouched and owned by the consumer; it stays so because
 * the consumer only moves on inside `filled`/its sink, or once the body has ended or failed (and
 * a body that fails mid-way closes its connection, which ends all reads).
 */
export interface BodyTarget {
  /** Where the next bytes may land, or undefined to receive them through the sink instead. */
  lend(): Uint8Array | undefined;
  /** `n` bytes were read into the start of the last lent region; return false to pause. */
  filled(n: number): boolean;
}

export interface ResponseBody {
  /**
   * Hands every body byte to `sink`, in order. After `sink` returns false no more bytes come
   * until `resume()`. Resolves at the end of the body; rejects on a network error, stall, abort
   * or a body shorter than announced (after every byte that did arrive was handed over).
   * With a `target`, bytes are read into its lent memory whenever it lends some (plain-TCP
   * connections with a known body length); `sink` receives the rest.
   */
  pipe(sink: BodySink, target?: BodyTarget): Promise<void>;
  resume(): void;
  /** Gives the body up; its connection is closed unless the body already ended. */
  discard(): void;
}

/**
 * Memory for body bytes a Body holds (read before its consumer came, or while it is paused),
 * reused: with a lookahead request per piece every response's first read is held, and fresh
 * memory costs page faults (on the session-10 VM ~55 ms of the event loop per GiB).
 */
const heldPool: ArrayBuffer[] = [];
const HELD_KEEP = 16;
const pooled = new WeakSet<ArrayBufferLike>();

function holdCopy(chunk: Buffer): Buffer {
  if (chunk.length > READ_SIZE) return Buffer.from(chunk);
  let memory = heldPool.pop();
  if (!memory) {
    memory = new ArrayBuffer(READ_SIZE);
    pooled.add(memory);
  }
  const copy = Buffer.from(memory, 0, chunk.length);
  chunk.copy(copy);
  return copy;
}

/** A held chunk is no longer needed (a sink's chunk is valid only during its call). */
function releaseHeld(chunk: Buffer): void {
  if (pooled.has(chunk.buffer) && heldPool.length < HELD_KEEP) heldPool.push(chunk.buffer as ArrayBuffer);
}

class Body implements ResponseBody {
  private sink: BodySink | undefined;
  private target: BodyTarget | undefined;
  private readonly pending: Buffer[] = [];
  private paused = false;
  private ended = false;
  private error: Error | undefined;
  private settle: { resolve: () => void; reject: (err: Error) => void } | undefined;
  private discarded = false;

  constructor(private readonly flow: { pause(): void; resume(): void; discard(): void }) {}

  /** From the connection: body bytes (copied when they cannot be handed over now). */
  push(chunk: Buffer): void {
    if (chunk.length === 0 || this.discarded) return;
    if (this.sink && !this.paused && this.pending.length === 0) {
      if (!this.sink(chunk)) this.pause();
      return;
    }
    this.pending.push(holdCopy(chunk));
    this.pause();
  }

  /**
   * From the connection: where the next bytes may be read in place. Also while paused (nothing
   * pending): the socket asks right after each read, and the read after a pause comes only once
   * resumed; lent then, it lands in place instead of in the connection's scratch memory and a copy.
   */
  lend(): Uint8Array | undefined {
    if (!this.target || !this.sink || this.pending.length > 0 || this.discarded || this.ended || this.error) return undefined;
    return this.target.lend();
  }

  /** From the connection: `n` bytes were read into the region `lend()` returned last. */
  filled(n: number): void {
    if (n > 0 && !this.target!.filled(n)) this.pause();
  }

  end(): void {
    this.ended = true;
    this.maybeSettle();
  }

  fail(err: Error): void {
    if (this.ended || this.error) return;
    this.error = err;
    this.maybeSettle();
  }

  /** A consumer has piped the body (until then its bytes are held). */
  get claimed(): boolean {
    return this.sink !== undefined;
  }

  pipe(sink: BodySink, target?: BodyTarget): Promise<void> {
    if (this.sink) throw new Error('body is already being read');
    this.sink = sink;
    this.target = target;
    return new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
      this.resume();
    });
  }

  resume(): void {
    if (!this.sink || this.discarded) return;
    this.paused = false;
    while (this.pending.length > 0) {
      const next = this.pending.shift()!;
      const more = this.sink(next);
      releaseHeld(next);
      if (!more) {
        this.paused = true;
        break;
      }
    }
    if (this.pending.length === 0) {
      if (!this.paused && !this.ended && !this.error) this.flow.resume();
      this.maybeSettle();
    }
  }

  discard(): void {
    if (this.discarded) return;
    this.discarded = true;
    for (const chunk of this.pending.splice(0)) releaseHeld(chunk);
    if (!this.ended) this.flow.discard();
    if (!this.ended && !this.error) this.error = new NetworkError('response body discarded');
    this.maybeSettle();
  }

  private pause(): void {
    this.paused = true;
    this.flow.pause();
  }

  private maybeSettle(): void {
    if (!this.settle || (this.pending.length > 0 && !this.discarded)) return;
    const { resolve, reject } = this.settle;
    if (this.error) {
      this.settle = undefined;
      reject(this.error);
    } else if (this.ended) {
      this.settle = undefined;
      resolve();
    }
  }
}

type Framing = { kind: 'length'; remaining: number } | { kind: 'chunked' } | { kind: 'close' };

/** A latin1 code String#trim removes (tab to CR, space, NBSP). */
function trimmable(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 160;
}

/** `s.trim()`, without a new string when there is nothing to trim (most header names and values). */
function trim(s: string): string {
  return s.length > 0 && (trimmable(s.charCodeAt(0)) || trimmable(s.charCodeAt(s.length - 1))) ? s.trim() : s;
}

/** `s.toLowerCase()` for latin1 text, without a new string when it is lower-case already. */
function lowerCase(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 65 && c <= 90) || c >= 192) return s.toLowerCase();
  }
  return s;
}

/** One request and its response on a connection. */
class Exchange {
  phase: 'head' | 'body' | 'done' = 'head';
  gotBytes = false;
  reusable = true;
  private head: Buffer | undefined;
  private framing: Framing = { kind: 'close' };
  private chunkState: 'size' | 'data' | 'data-end' | 'trailer' = 'size';
  private chunkLeft = 0;
  private line = '';
  body: Body | undefined;

  constructor(
    private readonly isHead: boolean,
    private readonly onHead: (res: HttpResponse) => void,
    private readonly flow: { pause(): void; resume(): void; discard(): void },
    /** Called once: the exchange ended (err undefined) or failed. */
    private readonly onEnd: (err: Error | undefined) => void,
  ) {}

  feed(data: Buffer): void {
    this.gotBytes = true;
    if (this.phase === 'head') {
      const all = this.head ? Buffer.concat([this.head, data]) : data;
      const end = all.indexOf('\r\n\r\n', Math.max(0, (this.head?.length ?? 0) - 3), 'latin1');
      if (end < 0) {
        if (all.length > MAX_HEAD_BYTES) return this.fail(new NetworkError('response header too large'));
        this.head = all === data ? Buffer.from(data) : all;
        return;
      }
      this.head = undefined;
      const rest = all.subarray(end + 4);
      if (!this.parseHead(all.toString('latin1', 0, end))) return;
      if (rest.length > 0) this.feed(rest);
      return;
    }
    if (this.phase === 'body') this.feedBody(data);
    else this.reusable = false; // bytes after the response: the connection is not trustworthy
  }

  /** Its body is being read by a consumer; otherwise (head still coming, body not piped yet, done) a read now would be held. */
  get claimed(): boolean {
    return this.phase === 'body' && this.body?.claimed === true;
  }

  /** A region of the body consumer's memory for the next read, bounded by the bytes still due. */
  lend(): Uint8Array | undefined {
    const f = this.framing;
    if (this.phase !== 'body' || f.kind !== 'length' || f.remaining === 0) return undefined;
    const region = this.body?.lend();
    if (!region || region.length === 0) return undefined;
    return region.length > f.remaining ? region.subarray(0, f.remaining) : region;
  }

  /** `n` bytes were read into the region `lend()` gave out. */
  filledInPlace(n: number): void {
    const f = this.framing;
    if (this.phase !== 'body' || f.kind !== 'length') {
      this.fail(new NetworkError('bytes read in place outside a body'));
      return;
    }
    this.gotBytes = true;
    const take = Math.min(f.remaining, n);
    f.remaining -= take;
    if (take < n) this.reusable = false;
    this.body!.filled(take);
    if (f.remaining === 0) this.finish();
  }

  /** End of the stream (the server closed the connection). */
  eof(): void {
    if (this.phase === 'body' && this.framing.kind === 'close') {
      this.reusable = false;
      this.finish();
      return;
    }
    if (this.phase !== 'done') this.fail(new NetworkError(this.phase === 'head' ? 'connection closed before the response' : 'connection closed before the end of the body (body length differs from Content-Length)'));
  }

  fail(err: Error): void {
    if (this.phase === 'done') return;
    this.phase = 'done';
    this.reusable = false;
    this.body?.fail(err);
    this.onEnd(err);
  }

  /** One response head per request: scanned in place (no line array), trimmed and lower-cased only where needed. */
  private parseHead(text: string): boolean {
    let eol = text.indexOf('\r\n');
    if (eol < 0) eol = text.length;
    const statusLine = text.slice(0, eol);
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
    if (!m) {
      this.fail(new NetworkError(`malformed HTTP status line ${JSON.stringify(statusLine.slice(0, 60))}`));
      return false;
    }
    const status = Number(m[1]);
    const headers: Record<string, string | string[]> = {};
    for (let i = eol + 2; i < text.length; ) {
      let end = text.indexOf('\r\n', i);
      if (end < 0) end = text.length;
      const colon = text.indexOf(':', i);
      if (colon > i && colon < end) {
        const name = lowerCase(trim(text.slice(i, colon)));
        const value = trim(text.slice(colon + 1, end));
        const prev = headers[name];
        headers[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
      }
      i = end + 2;
    }
    if (status >= 100 && status < 200) return true; // interim answer: the real one follows
    const one = (name: string) => {
      const v = headers[name];
      return Array.isArray(v) ? v.join(', ') : v;
    };
    const connection = one('connection');
    if ((connection !== undefined && /\bclose\b/i.test(connection)) || statusLine.startsWith('HTTP/1.0')) this.reusable = false;
    const te = one('transfer-encoding');
    const cl = one('content-length');
    if (this.isHead || status === 204 || status === 304) this.framing = { kind: 'length', remaining: 0 };
    else if (te !== undefined && /chunked\s*$/i.test(te)) this.framing = { kind: 'chunked' };
    else if (cl !== undefined && /^\d+$/.test(cl.trim())) this.framing = { kind: 'length', remaining: Number(cl.trim()) };
    else this.framing = { kind: 'close' };
    this.phase = 'body';
    this.body = new Body(this.flow);
    this.onHead({ statusCode: status, headers, body: this.body });
    if (this.framing.kind === 'length' && this.framing.remaining === 0) this.finish();
    return true;
  }

  private feedBody(data: Buffer): void {
    const body = this.body!;
    const f = this.framing;
    if (f.kind === 'close') {
      body.push(data);
      return;
    }
    if (f.kind === 'length') {
      const take = Math.min(f.remaining, data.length);
      f.remaining -= take;
      if (take < data.length) this.reusable = false;
      body.push(take === data.length ? data : data.subarray(0, take));
      if (f.remaining === 0) this.finish();
      return;
    }
    // chunked: <hex size>[;ext]\r\n <data>\r\n ... 0\r\n <trailers>\r\n
    let i = 0;
    while (i < data.length && this.phase === 'body') {
      if (this.chunkState === 'data') {
        const take = Math.min(this.chunkLeft, data.length - i);
        body.push(data.subarray(i, i + take));
        i += take;
        this.chunkLeft -= take;
        if (this.chunkLeft === 0) this.chunkState = 'data-end';
        continue;
      }
      const lf = data.indexOf(10, i);
      const piece = data.toString('latin1', i, lf < 0 ? data.length : lf);
      i = lf < 0 ? data.length : lf + 1;
      this.line += piece;
      if (this.line.length > 4096) return this.fail(new NetworkError('malformed chunked body'));
      if (lf < 0) continue;
      const line = this.line.replace(/\r$/, '');
      this.line = '';
      if (this.chunkState === 'data-end') {
        if (line !== '') return this.fail(new NetworkError('malformed chunked body'));
        this.chunkState = 'size';
      } else if (this.chunkState === 'size') {
        const size = /^([0-9a-fA-F]{1,12})\s*(;.*)?$/.exec(line);
        if (!size) return this.fail(new NetworkError('malformed chunk size'));
        this.chunkLeft = parseInt(size[1]!, 16);
        this.chunkState = this.chunkLeft === 0 ? 'trailer' : 'data';
      } else if (line === '') {
        if (i < data.length) this.reusable = false;
        this.finish();
      }
    }
  }

  private finish(): void {
    if (this.phase === 'done') return;
    this.phase = 'done';
    this.body?.end();
    this.onEnd(undefined);
  }
}

/** One TCP (or TLS) connection, used by one exchange at a time. */
class Connection {
  readonly socket: net.Socket;
  exchange: Exchange | undefined;
  used = 0;
  closed = false;
  /** In its pool's idle list (since `idleSince`, performance.now()). */
  idle = false;
  idleSince = 0;
  idleTimer: NodeJS.Timeout | undefined;
  /**
   * One timer for the connection's life, refreshed on every read and request (not cleared on
   * pause and made again on resume, twice per request with a lookahead): paused, it is ignored
   * when it fires, and the next resume re-arms it.
   */
  private stallTimer: NodeJS.Timeout | undefined;
  private stallTimerMs = 0;
  private stallMs = 0;
  private stallPaused = false;
  /** Plain TCP: where reads land when no body lends memory. */
  private scratch: Buffer | undefined;
  /** The start of `scratch`, for reads while the exchange has nobody to take its body. */
  private scratchStart: Buffer | undefined;
  /** The body memory handed to the socket for its next read, if any. */
  private lent: Uint8Array | undefined;

  constructor(url: URL, onClose: (c: Connection) => void, ca?: Http1ClientOptions['ca']) {
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (url.protocol === 'https:') {
      this.socket = tls().connect({ host, port, servername: net.isIP(host) ? undefined : host, ALPNProtocols: ['http/1.1'], ...(ca ? { ca } : {}) });
      this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    } else {
      this.scratch = Buffer.allocUnsafeSlow(READ_SIZE);
      this.scratchStart = this.scratch.subarray(0, UNCLAIMED_READ_SIZE);
      this.socket = net.connect({
        host,
        port,
        onread: {
          // Asked again after every read: the next read's destination.
          buffer: () => this.nextReadBuffer(),
          callback: (n: number, buf: Uint8Array) => {
            if (buf === this.lent && buf !== this.scratch && buf !== this.scratchStart) this.onReadInPlace(n);
            else this.onData(Buffer.from(buf.buffer, buf.byteOffset, n));
            return true;
          },
        },
      });
    }
    this.socket.setNoDelay(true);
    this.socket.on('error', (err) => this.exchange?.fail(new NetworkError(`network error: ${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}`.trim(), err)));
    this.socket.on('end', () => this.exchange?.eof());
    this.socket.on('close', () => {
      this.closed = true;
      this.clearStall();
      this.exchange?.eof();
      onClose(this);
    });
  }

  start(exchange: Exchange, requestHead: string, stallMs: number): void {
    this.exchange = exchange;
    this.used++;
    this.stallMs = stallMs;
    this.touch();
    if (this.socket.isPaused()) this.socket.resume();
    this.socket.write(requestHead, 'latin1');
  }

  pause(): void {
    this.stallPaused = true;
    this.socket.pause();
  }

  resume(): void {
    if (this.closed) return;
    this.touch();
    this.socket.resume();
  }

  destroy(): void {
    this.clearStall();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.socket.destroy();
  }

  clearStall(): void {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    this.stallPaused = false;
  }

  private touch(): void {
    if (!this.exchange || this.exchange.phase === 'done') return;
    this.stallPaused = false;
    if (this.stallTimer && this.stallTimerMs === this.stallMs) this.stallTimer.refresh();
    else {
      if (this.stallTimer) clearTimeout(this.stallTimer);
      this.stallTimerMs = this.stallMs;
      this.stallTimer = setTimeout(this.onStall, this.stallMs);
    }
  }

  private readonly onStall = (): void => {
    if (this.stallPaused) return; // the consumer holds the body: not a stall (resume re-arms)
    this.stallTimer = undefined;
    this.exchange?.fail(new StalledError(this.stallMs));
    this.destroy();
  };

  private nextReadBuffer(): Uint8Array {
    const ex = this.exchange;
    this.lent = ex?.phase === 'body' ? ex.lend() : undefined;
    // Decided before the read comes: also for the next response's first read (asked right after
    // the last read of the one before, or when the connection opens).
    return this.lent ?? (ex?.claimed ? this.scratch! : this.scratchStart!);
  }

  private onReadInPlace(n: number): void {
    this.lent = undefined;
    const ex = this.exchange;
    if (!ex || ex.phase !== 'body') {
      this.destroy();
      return;
    }
    this.touch();
    ex.filledInPlace(n);
  }

  private onData(chunk: Buffer): void {
    const ex = this.exchange;
    if (!ex || ex.phase === 'done') {
      // Bytes nobody asked for: this connection cannot be reused.
      this.destroy();
      return;
    }
    this.touch();
    ex.feed(chunk);
  }
}

/** A parsed request URL and the parts a request needs (kept for the next request to the same URL). */
interface Target {
  readonly href: string;
  readonly url: URL;
  readonly origin: string;
  /** Path and query, as the request line sends them. */
  readonly path: string;
  readonly host: string;
}

/** Failures of a reused connection before any byte of the answer (the server had closed it). */
const staleConnectionErrors = new WeakSet<Error>();

interface OriginPool {
  idle: Connection[];
  busy: number;
  waiters: Array<{ grant: (reuse: Connection | undefined) => void; signal: AbortSignal; onAbort: () => void }>;
}

export interface Http1ClientOptions {
  /** Connections per origin at most. */
  readonly connectionsPerOrigin: number;
  /** Idle keep-alive connections are closed after this long (default 10 s). */
  readonly keepAliveMs?: number;
  /** Extra certificate authorities trusted for https (default: the system's). */
  readonly ca?: string | Buffer | Array<string | Buffer>;
}

export class Http1Client {
  private readonly pools = new Map<string, OriginPool>();
  private closed = false;
  private last: Target | undefined;

  constructor(private readonly options: Http1ClientOptions) {}

  /** Sends one request; resolves with the response head (the body streams through `body`). */
  async request(url: string, options: HttpRequestOptions): Promise<HttpResponse> {
    const u = this.parse(url);
    options.signal.throwIfAborted();
    const conn = await this.acquire(u, options.signal);
    try {
      return await this.exchange(conn, u, options);
    } catch (err) {
      // A kept-alive connection the server closed meanwhile: once more on a fresh one.
      if (!options.signal.aborted && staleConnectionErrors.has(err as Error)) {
        const fresh = await this.acquire(u, options.signal, true);
        return this.exchange(fresh, u, options);
      }
      throw err;
    }
  }

  /**
   * The URL asked last, parsed once: a file's Range requests all ask the same URL, and parsing it
   * (with its origin) per request cost more than the rest of a request's set-up.
   */
  private parse(url: string): Target {
    const last = this.last;
    if (last?.href === url) return last;
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new NetworkError(`unsupported URL scheme ${u.protocol}`);
    this.last = { href: url, url: u, origin: u.origin, path: `${u.pathname || '/'}${u.search}`, host: u.host };
    return this.last;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pool of this.pools.values()) {
      for (const c of pool.idle) c.destroy();
      pool.idle.length = 0;
    }
  }

  private exchange(conn: Connection, u: Target, options: HttpRequestOptions): Promise<HttpResponse> {
    return new Promise<HttpResponse>((resolve, reject) => {
      const { signal } = options;
      let answered = false;
      let ended = false;
      const onAbort = () => {
        ex.fail(signal.reason instanceof Error ? signal.reason : new NetworkError(String(signal.reason)));
        conn.destroy();
      };
      const flow = {
        pause: () => !ended && conn.pause(),
        resume: () => !ended && conn.resume(),
        discard: () => !ended && ex.fail(new NetworkError('response body discarded')),
      };
      const ex: Exchange = new Exchange(
        options.method === 'HEAD',
        (res) => {
          answered = true;
          resolve(res);
        },
        flow,
        (err) => {
          ended = true;
          signal.removeEventListener('abort', onAbort);
          if (err && !answered) {
            if (conn.used > 1 && !ex.gotBytes) staleConnectionErrors.add(err);
            reject(err);
          }
          this.release(conn, err === undefined && ex.reusable, u);
        },
      );
      let head = `${options.method} ${u.path} HTTP/1.1\r\nhost: ${u.host}\r\nconnection: keep-alive\r\n`;
      for (const [k, v] of Object.entries(options.headers)) {
        if (/[\r\n]/.test(k) || /[\r\n]/.test(v)) {
          ended = true;
          this.release(conn, true, u);
          reject(new NetworkError(`invalid header ${k}`));
          return;
        }
        head += `${k}: ${v}\r\n`;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      conn.start(ex, `${head}\r\n`, options.timeoutMs);
    });
  }

  private pool(key: string): OriginPool {
    let p = this.pools.get(key);
    if (!p) {
      p = { idle: [], busy: 0, waiters: [] };
      this.pools.set(key, p);
    }
    return p;
  }

  private acquire(u: Target, signal: AbortSignal, fresh = false): Promise<Connection> {
    if (this.closed) return Promise.reject(new NetworkError('download client closed'));
    const key = u.origin;
    const pool = this.pool(key);
    if (!fresh) {
      while (pool.idle.length > 0) {
        const c = pool.idle.pop()!;
        c.idle = false; // its idle timer, if it fires meanwhile, leaves it alone
        if (c.closed) continue;
        c.socket.ref();
        pool.busy++;
        return Promise.resolve(c);
      }
    }
    if (pool.busy < this.options.connectionsPerOrigin || fresh) {
      pool.busy++;
      return Promise.resolve(this.connect(u));
    }
    return new Promise<Connection>((resolve, reject) => {
      const waiter = {
        signal,
        grant: (reuse: Connection | undefined) => {
          signal.removeEventListener('abort', waiter.onAbort);
          pool.busy++;
          resolve(reuse ?? this.connect(u));
        },
        onAbort: () => {
          pool.waiters.splice(pool.waiters.indexOf(waiter), 1);
          reject(signal.reason instanceof Error ? signal.reason : new NetworkError(String(signal.reason)));
        },
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      pool.waiters.push(waiter);
    });
  }

  private connect(u: Target): Connection {
    return new Connection(u.url, (c) => {
      const pool = this.pool(u.origin);
      const i = pool.idle.indexOf(c);
      if (i >= 0) pool.idle.splice(i, 1);
    }, this.options.ca);
  }

  /** The exchange on `conn` is over: keep the connection for the next request, or close it. */
  private release(conn: Connection, reusable: boolean, u: Target): void {
    conn.exchange = undefined;
    const pool = this.pool(u.origin);
    pool.busy--;
    const keep = reusable && !conn.closed && !this.closed;
    if (!keep) conn.destroy();
    const waiter = pool.waiters.shift();
    if (waiter) {
      waiter.grant(keep ? conn : undefined);
      return;
    }
    if (!keep) return;
    if (conn.socket.isPaused()) conn.socket.resume();
    pool.idle.push(conn);
    conn.idle = true;
    conn.idleSince = performance.now();
    // One timer per connection, made when none runs (not one per request, as the connection is
    // taken again at once): it closes the connection once idle for keepAliveMs, else looks again.
    if (!conn.idleTimer) this.closeWhenIdle(conn, this.options.keepAliveMs ?? 10_000);
    conn.socket.unref();
  }

  private closeWhenIdle(conn: Connection, after: number): void {
    conn.idleTimer = setTimeout(() => {
      conn.idleTimer = undefined;
      if (!conn.idle || conn.closed) return; // busy: its next release arms a timer again
      const left = (this.options.keepAliveMs ?? 10_000) - (performance.now() - conn.idleSince);
      if (left <= 0) conn.destroy();
      else this.closeWhenIdle(conn, left);
    }, after);
    conn.idleTimer.unref();
  }
}
