/**
 * One HTTP exchange for a byte range, with every check made before a byte is handed
 * on: a 206 must start exactly where we asked and not run past where we asked to stop; a 200 to a
 * Range request is refused (RangeIgnoredError, the file restarts from 0); 416 carries the server's
 * length; 401/403/404 are permanent; 429/5xx carry Retry-After. Redirects are followed by hand so
 * the MAST token is sent to the MAST origin only, never to a storage host it redirects to, and only
 * to hosts the redirect policy allows (redirect-policy.ts; others: RedirectRefusedError).
 * Transport: the engine's own HTTP/1.1 client (http1-client.ts), built for bulk bodies.
 */
import { Http1Client, type HttpHeaders, type HttpResponse, type ResponseBody } from './http1-client.js';
import {
  DownloadError, NetworkError, PermanentHttpError, RangeIgnoredError, RangeMismatchError,
  RedirectRefusedError, RetryableHttpError, TooManyRedirectsError, TransferAbortedError, UnsatisfiableRangeError,
} from './errors.js';
import { isStrongEtag, parseContentRange, parseLength, rangeHeader } from './http-range.js';
import { redirectAllowList, type RedirectPolicy } from './redirect-policy.js';
import { parseRetryAfter } from '../core/retry.js';

export interface ChunkFetcherOptions {
  /** Connection pool; its per-origin connection limit is the per-host bound. */
  readonly dispatcher: Http1Client;
  /** MAST token, sent as `Authorization: token …` to `tokenOrigin` only. */
  readonly token?: string;
  readonly tokenOrigin?: string;
  /** No header or body byte for this long counts as a stall (retryable). */
  readonly stallTimeoutMs: number;
  readonly userAgent?: string;
  readonly maxRedirects?: number;
  /** Hosts a redirect may lead to; default: the host of the URL first asked (no loopback/private unless it is one). */
  readonly redirects?: RedirectPolicy;
}

/** What the server says about a file before we fetch it. */
export interface RemoteFileInfo {
  /** Length in bytes, undefined when the server does not say (dynamically generated files). */
  readonly totalBytes: number | undefined;
  readonly etag: string | undefined;
  readonly lastModified: string | undefined;
  readonly acceptRanges: boolean;
}

export interface RangeRequest {
  readonly url: string;
  /** First byte wanted. */
  readonly start: number;
  /** Last byte wanted, inclusive; undefined means to the end. */
  readonly end?: number;
  /** Send a Range header at all (false: plain GET of the whole file). */
  readonly ranged: boolean;
  /** Validator for If-Range: a strong ETag or a Last-Modified date. */
  readonly ifRange?: string;
}

export interface RangeResponse {
  readonly status: 200 | 206;
  /** Offset of the first body byte in the file. */
  readonly start: number;
  /** Bytes the body will carry, when known. */
  readonly length: number | undefined;
  /** Full file length, when known. */
  readonly totalBytes: number | undefined;
  readonly etag: string | undefined;
  readonly lastModified: string | undefined;
  readonly body: ResponseBody;
}

type Headers = HttpHeaders;

function header(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function createDownloadAgent(connectionsPerHost: number): Http1Client {
  return new Http1Client({ connectionsPerOrigin: connectionsPerHost, keepAliveMs: 10_000 });
}

export class ChunkFetcher {
  private readonly options: ChunkFetcherOptions;

  constructor(options: ChunkFetcherOptions) {
    this.options = options;
  }

  /** HEAD the file (GET bytes=0-0 when HEAD is refused) to learn its length and validators. */
  async probe(url: string, signal: AbortSignal): Promise<RemoteFileInfo> {
    const head = await this.send(url, 'HEAD', {}, signal);
    head.body.discard();
    if (head.statusCode === 200) {
      return {
        totalBytes: parseLength(head.headers['content-length']),
        etag: header(head.headers, 'etag'),
        lastModified: header(head.headers, 'last-modified'),
        acceptRanges: /bytes/i.test(header(head.headers, 'accept-ranges') ?? ''),
      };
    }
    if (head.statusCode !== 405 && head.statusCode !== 501) throw this.statusError(head.statusCode, head.headers, head.url);
    const get = await this.send(url, 'GET', { range: rangeHeader(0, 0) }, signal);
    get.body.discard();
    if (get.statusCode === 206) {
      const cr = parseContentRange(get.headers['content-range']);
      return { totalBytes: cr?.total, etag: header(get.headers, 'etag'), lastModified: header(get.headers, 'last-modified'), acceptRanges: true };
    }
    if (get.statusCode === 200) {
      return { totalBytes: parseLength(get.headers['content-length']), etag: header(get.headers, 'etag'), lastModified: header(get.headers, 'last-modified'), acceptRanges: false };
    }
    throw this.statusError(get.statusCode, get.headers, get.url);
  }

  /** Opens a GET for a range and validates the answer; the caller streams `body`. */
  async open(req: RangeRequest, signal: AbortSignal): Promise<RangeResponse> {
    const extra: Record<string, string> = {};
    if (req.ranged) {
      extra.range = rangeHeader(req.start, req.end);
      if (req.ifRange) extra['if-range'] = req.ifRange;
    }
    const res = await this.send(req.url, 'GET', extra, signal);
    const { statusCode, headers } = res;
    const etag = header(headers, 'etag');
    const lastModified = header(headers, 'last-modified');
    if (statusCode === 206) {
      const cr = parseContentRange(headers['content-range']);
      const fail = (why: string) => {
        dropBody(res.body);
        return new RangeMismatchError(`${why} (asked ${extra.range ?? 'no range'}, got Content-Range ${header(headers, 'content-range') ?? 'none'})`);
      };
      if (!req.ranged) throw fail('206 to a request without Range');
      if (!cr || cr.start === undefined || cr.end === undefined) throw fail('206 without a usable Content-Range');
      if (cr.start !== req.start) throw fail('206 starts at the wrong byte');
      if (req.end !== undefined && cr.end > req.end) throw fail('206 runs past the requested end');
      const length = parseLength(headers['content-length']);
      if (length !== undefined && length !== cr.end - cr.start + 1) throw fail('Content-Length disagrees with Content-Range');
      return { status: 206, start: cr.start, length: cr.end - cr.start + 1, totalBytes: cr.total, etag, lastModified, body: res.body };
    }
    if (statusCode === 200) {
      if (req.ranged) {
        dropBody(res.body);
        // If-Range failed (new version) or the server cannot do ranges; the caller tells them apart.
        throw new RangeIgnoredError({ totalBytes: parseLength(headers['content-length']), etag, lastModified });
      }
      const length = parseLength(headers['content-length']);
      return { status: 200, start: 0, length, totalBytes: length, etag, lastModified, body: res.body };
    }
    res.body.discard();
    if (statusCode === 416) throw new UnsatisfiableRangeError(parseContentRange(headers['content-range'])?.total);
    throw this.statusError(statusCode, headers, res.url);
  }

  /** Names an error thrown while reading a body (reset, stall, short body). */
  mapError(err: unknown): Error {
    return toDownloadError(err, undefined, this.options.stallTimeoutMs);
  }

  private statusError(status: number, headers: Headers, url: string): DownloadError {
    if (status === 408 || status === 425 || status === 429 || status >= 500) {
      return new RetryableHttpError(status, url, parseRetryAfter(headers['retry-after']));
    }
    return new PermanentHttpError(status, url);
  }

  /** The origin of the URL asked last (the same file's URL, request after request), parsed once. */
  private lastOrigin: { url: string; origin: string } | undefined;

  private originOf(url: string): string {
    if (this.lastOrigin?.url !== url) this.lastOrigin = { url, origin: new URL(url).origin };
    return this.lastOrigin.origin;
  }

  private async send(url: string, method: 'GET' | 'HEAD', extra: Record<string, string>, signal: AbortSignal): Promise<HttpResponse & { url: string }> {
    const maxRedirects = this.options.maxRedirects ?? 5;
    // Made when a redirect comes (rare), not per request: it parses the URL and classifies its host.
    let policy = this.options.redirects;
    let current = url;
    for (let hop = 0; hop <= maxRedirects; hop++) {
      const headers: Record<string, string> = {
        'accept-encoding': 'identity',
        'user-agent': this.options.userAgent ?? 'jwst-processing-engine',
        ...extra,
      };
      if (this.options.token && this.options.tokenOrigin && this.originOf(current) === this.options.tokenOrigin) {
        headers.authorization = `token ${this.options.token}`;
      }
      let res: HttpResponse;
      try {
        res = await this.options.dispatcher.request(current, { method, headers, signal, timeoutMs: this.options.stallTimeoutMs });
      } catch (err) {
        throw toDownloadError(err, signal, this.options.stallTimeoutMs);
      }
      const location = header(res.headers, 'location');
      if ([301, 302, 303, 307, 308].includes(res.statusCode) && location) {
        res.body.discard();
        let target: URL;
        try {
          target = new URL(location, current);
        } catch {
          throw new RedirectRefusedError('the Location header is not a URL');
        }
        policy ??= redirectAllowList(url);
        const why = policy.refusal(target);
        if (why) throw new RedirectRefusedError(why);
        current = target.toString();
        continue;
      }
      return { statusCode: res.statusCode, headers: res.headers, body: res.body, url: current };
    }
    throw new TooManyRedirectsError(url);
  }
}

/** Gives up a response body without reading it (its connection is closed). */
export function dropBody(body: ResponseBody): void {
  body.discard();
}

const LOCAL_FS_CODES = new Set(['EACCES', 'EPERM', 'EROFS', 'EIO', 'EISDIR', 'ENOTDIR', 'EBADF', 'EDQUOT', 'EFBIG', 'ENOENT']);

/** Maps transport and socket errors (and aborts) onto our named errors. */
export function toDownloadError(err: unknown, signal: AbortSignal | undefined, stallTimeoutMs: number): Error {
  if (err instanceof DownloadError) return err;
  if (signal?.aborted) return signal.reason instanceof Error ? signal.reason : new TransferAbortedError(String(signal.reason));
  const e = err as NodeJS.ErrnoException;
  // A file-system error on the .part file (it names its path, or has a code sockets never give;
  // writes by descriptor name no path) is the disk's, not the network's: retrying the transfer
  // cannot help, so it fails the file as it is.
  if (typeof e?.path === 'string' || LOCAL_FS_CODES.has(e?.code ?? '')) return err as Error;
  return new NetworkError(`network error: ${e?.code ?? ''} ${e?.message ?? String(err)}`.trim(), err);
}
