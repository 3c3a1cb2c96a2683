/**
 * HTTP to MAST with the failure handling astroquery lacks: a per-request timeout (no hung
 * sockets), an overall deadline, and bounded retries on connection errors, 429, 502/503/504 and
 * HTML error pages with the engine's one retry policy (src/core/retry.ts: jittered exponential
 * backoff, Retry-After, the deadline as budget, an injectable clock).
 * The token is sent only to the configured MAST origin and never logged.
 */
import { createRequire } from 'node:module';
import type { Agent as UndiciAgent, Dispatcher } from 'undici';
import type { Logger } from 'pino';
import { MastTimeoutError, MastUnavailableError } from './errors.js';
import { DEFAULT_RETRY_POLICY, parseRetryAfter, Retrier, systemClock, type Clock, type RetryPolicy } from '../core/retry.js';

/**
 * How MAST requests reach undici: `'parts'`, its Agent and request API files alone (the fast path),
 * or `'package'`, its whole package entry (a release that moved those files).
 */
export type UndiciLoad = 'parts' | 'package';

type UndiciRequest = (dispatcher: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;

/**
 * undici's Agent and request API only: its package entry also loads fetch, cookies (which load
 * Node's own bundled undici as well), WebSocket, the mocks, HTTP/2 and the caches, ~200 CPU ms of
 * every CLI command that asks MAST against ~75 for these two (issue #20, session 17). The package
 * has no `exports` map, so these files are reachable; if a release moves them, the whole package
 * serves the same calls (`dispatcher.request` is the same function, put on its prototype there).
 * `load` is a `require` (a test passes one that fails, to see the fallback).
 */
export function loadUndici(load: (id: string) => unknown): { readonly via: UndiciLoad; readonly Agent: typeof UndiciAgent; readonly request: UndiciRequest } {
  try {
    const Agent = load('undici/lib/dispatcher/agent.js') as typeof UndiciAgent;
    const request = load('undici/lib/api/api-request.js') as (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;
    if (typeof Agent === 'function' && typeof request === 'function') return { via: 'parts', Agent, request: (dispatcher, options) => request.call(dispatcher, options) };
  } catch {
    // a release with another layout: the package entry below
  }
  const whole = load('undici') as typeof import('undici');
  return { via: 'package', Agent: whole.Agent, request: (dispatcher, options) => dispatcher.request(options) };
}

const undici = loadUndici(createRequire(import.meta.url));

/**
 * Which way this process's MAST requests reach undici. `'package'` means the fast path broke (an
 * undici release moved its files): every command that asks MAST then starts ~125 CPU ms slower;
 * test/mast/transport.test.ts fails on it, so a dependency bump that does this is noticed.
 */
export const undiciLoadedVia: UndiciLoad = undici.via;

/** An overall time budget shared by every request of one search. */
export class Deadline {
  readonly at: number;
  readonly totalMs: number;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;

  constructor(totalMs: number, parent?: AbortSignal) {
    this.totalMs = totalMs;
    this.at = Date.now() + totalMs;
    this.timer = setTimeout(() => this.controller.abort(new DeadlineExceeded()), totalMs);
    this.timer.unref();
    if (parent) {
      if (parent.aborted) this.controller.abort(parent.reason);
      else parent.addEventListener('abort', () => this.controller.abort(parent.reason), { once: true });
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  remainingMs(): number {
    return Math.max(0, this.at - Date.now());
  }

  expired(): boolean {
    return this.remainingMs() <= 0 || this.controller.signal.aborted;
  }

  dispose(): void {
    clearTimeout(this.timer);
  }
}

/** The error of a search whose overall budget (MAST_SEARCH_TIMEOUT) ran out, or whose caller gave up. */
export function budgetExceeded(deadline: Deadline): MastTimeoutError {
  return new MastTimeoutError(
    `MAST search timed out after ${formatSeconds(deadline.totalMs)} seconds. Try a smaller search radius or a more specific query.`,
  );
}

/** Waits for `work`, but no longer than `deadline` allows; the work itself goes on for its other waiters. */
export function withinDeadline<T>(work: Promise<T>, deadline: Deadline): Promise<T> {
  if (deadline.signal.aborted) return Promise.reject(budgetExceeded(deadline));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(budgetExceeded(deadline));
    deadline.signal.addEventListener('abort', onAbort, { once: true });
    void work.then(resolve, reject).finally(() => deadline.signal.removeEventListener('abort', onAbort));
  });
}

class DeadlineExceeded extends Error {
  constructor() {
    super('deadline exceeded');
    this.name = 'DeadlineExceeded';
  }
}

class RequestTimedOut extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'RequestTimedOut';
  }
}

export interface TransportOptions {
  readonly baseUrl: string;
  readonly token?: string | undefined;
  /** Longest wait for one HTTP exchange (headers and body). MAST holds long polls up to ~20 s. */
  readonly requestTimeoutMs: number;
  readonly maxRetries: number;
  readonly retryBaseDelayMs: number;
  /** Time for the waits between retries (tests inject one that does not sleep). */
  readonly clock?: Clock | undefined;
  readonly userAgent: string;
  readonly logger?: Logger | undefined;
  readonly dispatcher?: Dispatcher | undefined;
  /** Largest response body accepted, in bytes. */
  readonly maxBodyBytes?: number;
}

export interface JsonRequest {
  readonly method: 'GET' | 'POST';
  /** Absolute URL, or a path joined to the base URL. */
  readonly url: string;
  /** application/x-www-form-urlencoded body (POST). */
  readonly form?: string;
  readonly deadline: Deadline;
  /** Short description for messages, e.g. "Mast.Caom.Filtered". */
  readonly what: string;
}

export interface JsonResponse {
  readonly json: unknown;
  /** Size of the body, in characters of its text (what a cache entry of it costs, roughly). */
  readonly bytes: number;
}

type Failure =
  | { kind: 'network'; message: string; cause: unknown }
  | { kind: 'too-large'; message: string }
  | { kind: 'timeout'; message: string; cause?: unknown }
  | { kind: 'http'; status: number; message: string; retryAfterMs?: number }
  | { kind: 'html'; status: number; message: string };

const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);
const NETWORK_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_CLOSED',
]);

export class MastTransport {
  readonly baseUrl: string;
  private readonly origin: string;
  private readonly opts: TransportOptions;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;

  private readonly retryPolicy: RetryPolicy;

  constructor(options: TransportOptions) {
    this.opts = options;
    this.retryPolicy = { ...DEFAULT_RETRY_POLICY, maxRetries: options.maxRetries, baseDelayMs: options.retryBaseDelayMs };
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.origin = new URL(this.baseUrl).origin;
    this.ownsDispatcher = options.dispatcher === undefined;
    this.dispatcher = options.dispatcher ?? new undici.Agent({ keepAliveTimeout: 10_000, connections: 16 });
  }

  resolveUrl(url: string): string {
    return /^https?:\/\//.test(url) ? url : `${this.baseUrl}${url.startsWith('/') ? '' : '/'}${url}`;
  }

  /** Sends the request (retrying what is worth retrying) and returns the parsed JSON body. */
  async requestJson(req: JsonRequest): Promise<JsonResponse> {
    const url = this.resolveUrl(req.url);
    let last: Failure | undefined;
    // The shared retry policy (src/core/retry.ts); the request's deadline is the retry budget.
    const clock = this.opts.clock ?? systemClock;
    const retrier = new Retrier(this.retryPolicy, { clock, budgetMs: req.deadline.remainingMs() });
    for (let attempt = 1; ; attempt++) {
      if (req.deadline.expired()) break;
      const outcome = await this.once(url, req);
      if (outcome.ok) return outcome.response;
      last = outcome.failure;
      if (!isRetryable(last)) throw this.toError(req, last, attempt);
      const delay = retrier.next({ retryAfterMs: last.kind === 'http' ? last.retryAfterMs : undefined });
      if (delay === undefined) {
        if (req.deadline.expired()) break;
        throw this.toError(req, last, attempt);
      }
      this.opts.logger?.debug({ what: req.what, attempt: attempt + 1, delayMs: Math.round(delay), reason: last.message }, 'retrying MAST request');
      await clock.sleep(delay, req.deadline.signal).catch(() => undefined);
    }
    throw budgetExceeded(req.deadline);
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  private headers(url: string, hasBody: boolean): Record<string, string> {
    const h: Record<string, string> = {
      'user-agent': this.opts.userAgent,
      accept: 'application/json, text/plain;q=0.9',
    };
    if (hasBody) h['content-type'] = 'application/x-www-form-urlencoded';
    // The token goes to the configured MAST origin only (never to redirects or other hosts).
    if (this.opts.token && new URL(url).origin === this.origin) h.authorization = `token ${this.opts.token}`;
    return h;
  }

  private async once(url: string, req: JsonRequest): Promise<{ ok: true; response: JsonResponse } | { ok: false; failure: Failure }> {
    const timeoutMs = Math.max(1, Math.min(this.opts.requestTimeoutMs, req.deadline.remainingMs()));
    const perRequest = new AbortController();
    const timer = setTimeout(() => perRequest.abort(new RequestTimedOut(timeoutMs)), timeoutMs);
    const signal = AbortSignal.any([perRequest.signal, req.deadline.signal]);
    try {
      const target = new URL(url);
      const res = await undici.request(this.dispatcher, {
        origin: target.origin,
        path: `${target.pathname}${target.search}`,
        method: req.method,
        headers: this.headers(url, req.form !== undefined),
        body: req.form,
        signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const maxBytes = this.opts.maxBodyBytes ?? 512 * 1024 * 1024;
      const body = await readText(res.body, maxBytes);
      if (body === undefined) return { ok: false, failure: { kind: 'too-large', message: `an answer larger than ${maxBytes} bytes` } };
      const contentType = String(res.headers['content-type'] ?? '');
      const looksHtml = /html/i.test(contentType) || /^\s*</.test(body);
      if (res.statusCode >= 400) {
        const retryAfterMs = res.statusCode === 429 || res.statusCode === 503 ? parseRetryAfter(res.headers['retry-after']) : undefined;
        const title = looksHtml ? htmlTitle(body) : body.slice(0, 200).trim();
        return {
          ok: false,
          failure: {
            kind: 'http',
            status: res.statusCode,
            message: `HTTP ${res.statusCode}${title ? ` (${title})` : ''}`,
            ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
          },
        };
      }
      if (looksHtml) {
        return { ok: false, failure: { kind: 'html', status: res.statusCode, message: `an HTML page instead of JSON (HTTP ${res.statusCode}${htmlTitle(body) ? `, "${htmlTitle(body)}"` : ''})` } };
      }
      try {
        return { ok: true, response: { json: body.trim() === '' ? null : JSON.parse(body), bytes: body.length } };
      } catch {
        return { ok: false, failure: { kind: 'html', status: res.statusCode, message: `a body that is not JSON (HTTP ${res.statusCode})` } };
      }
    } catch (err) {
      if (req.deadline.signal.aborted) return { ok: false, failure: { kind: 'timeout', message: 'the search deadline passed', cause: err } };
      const code = errorCode(err);
      if (perRequest.signal.aborted || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
        return { ok: false, failure: { kind: 'timeout', message: `no answer within ${formatSeconds(timeoutMs)} s`, cause: err } };
      }
      return { ok: false, failure: { kind: 'network', message: describeNetworkError(err), cause: err } };
    } finally {
      clearTimeout(timer);
    }
  }

  private toError(req: JsonRequest, failure: Failure, attempts: number): Error {
    const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
    const where = this.origin;
    switch (failure.kind) {
      case 'timeout':
        return new MastTimeoutError(`MAST (${where}) did not answer the ${req.what} request in time${tries}: ${failure.message}. Try again later or narrow the search.`, { cause: failure.cause });
      case 'network':
        return new MastUnavailableError(`MAST is unreachable at ${where}${tries}: ${failure.message}. Check MAST_BASE_URL and the network, or try again later.`, { cause: failure.cause });
      case 'html':
        return new MastUnavailableError(`MAST answered the ${req.what} request with ${failure.message}${tries}; it may be down for maintenance. Try again later.`);
      case 'too-large':
        return new MastUnavailableError(`MAST answered the ${req.what} request with ${failure.message}, more than this engine accepts. Narrow the search.`);
      case 'http':
        if (failure.status === 504) {
          return new MastTimeoutError(`MAST timed out answering the ${req.what} request${tries}: ${failure.message}. Try a smaller search radius or a more specific query.`);
        }
        if (failure.status === 401 || failure.status === 403) {
          return new MastUnavailableError(`MAST refused the ${req.what} request: ${failure.message}. Check MAST_TOKEN.`);
        }
        return new MastUnavailableError(`MAST failed the ${req.what} request${tries}: ${failure.message}. Try again later.`);
    }
  }
}

function isRetryable(f: Failure): boolean {
  if (f.kind === 'http') return RETRY_STATUSES.has(f.status);
  return f.kind !== 'too-large'; // the same query would fetch the same oversized answer
}

function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && e && typeof e === 'object'; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function describeNetworkError(err: unknown): string {
  const code = errorCode(err);
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED') return 'connection reset';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host name not found';
  if (code && NETWORK_CODES.has(code)) return code;
  return err instanceof Error ? err.message : String(err);
}

function htmlTitle(body: string): string {
  const m = /<title>([^<]{0,200})<\/title>/i.exec(body) ?? /<h1>([^<]{0,200})<\/h1>/i.exec(body);
  return m ? m[1]!.trim() : '';
}

/** The body as text, or undefined (and the rest discarded) once it passes `maxBytes`. */
async function readText(body: Dispatcher.ResponseData['body'], maxBytes: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    const b = chunk as Buffer;
    total += b.length;
    if (total > maxBytes) {
      body.destroy();
      return undefined;
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks, total).toString('utf8');
}

function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return Number.isInteger(s) ? String(s) : s.toFixed(1);
}
