/**
 * Download failures as named errors. Each says whether it may be retried, so the chunk loop,
 * not the error's origin, decides between retry, restart from byte 0, pause and fail.
 */
import { EngineError } from '../errors.js';

export class DownloadError extends EngineError {
  /** True when the same request may succeed later (network blips, 5xx, 429, short bodies). */
  readonly retryable: boolean;
  /** Server-requested wait (Retry-After), in ms. */
  readonly retryAfterMs: number | undefined;
  constructor(code: string, message: string, options: { retryable: boolean; retryAfterMs?: number; httpStatus?: number; cause?: unknown }) {
    super(code, message, options.httpStatus ?? 502, { cause: options.cause });
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** 401/403/404 (and other 4xx): retrying cannot help; the file fails at once. */
export class PermanentHttpError extends DownloadError {
  readonly status: number;
  constructor(status: number, url: string) {
    const why =
      status === 401 ? 'not authorized (set MAST_TOKEN, or the token has expired)'
      : status === 403 ? 'access forbidden (exclusive-access data needs a token with mast:exclusive_access)'
      : status === 404 ? 'not found on the server'
      : `rejected by the server`;
    super('DOWNLOAD_PERMANENT_HTTP', `HTTP ${status}: ${why} (${redactUrl(url)})`, { retryable: false });
    this.status = status;
  }
}

/** 429, 5xx and other statuses worth another try. */
export class RetryableHttpError extends DownloadError {
  readonly status: number;
  constructor(status: number, url: string, retryAfterMs?: number) {
    super('DOWNLOAD_HTTP_STATUS', `HTTP ${status} from ${redactUrl(url)}`, { retryable: true, retryAfterMs });
    this.status = status;
  }
}

/** A 206 whose Content-Range does not start where we asked (or is missing or malformed). */
export class RangeMismatchError extends DownloadError {
  constructor(message: string) {
    super('DOWNLOAD_RANGE_MISMATCH', message, { retryable: true });
  }
}

/** The body ended before the announced length. The bytes received are kept; the rest is retried. */
export class TruncatedBodyError extends DownloadError {
  constructor(expected: number, received: number) {
    super('DOWNLOAD_TRUNCATED', `body ended after ${received} of ${expected} bytes`, { retryable: true });
  }
}

/** The server answered a Range request with the whole file (200): restart that file from byte 0. */
export class RangeIgnoredError extends DownloadError {
  /** What the 200 answer said about the file (to tell "new version" from "no range support"). */
  readonly totalBytes: number | undefined;
  readonly etag: string | undefined;
  readonly lastModified: string | undefined;
  constructor(info: { totalBytes?: number; etag?: string; lastModified?: string } = {}) {
    super('DOWNLOAD_RANGE_IGNORED', 'server answered a Range request with the whole file (200)', { retryable: true });
    this.totalBytes = info.totalBytes;
    this.etag = info.etag;
    this.lastModified = info.lastModified;
  }
}

/** ETag, Last-Modified or length changed on the server: the bytes on disk belong to another version. */
export class FileChangedError extends DownloadError {
  constructor(message: string) {
    super('DOWNLOAD_FILE_CHANGED', message, { retryable: true });
  }
}

/** No byte arrived within the stall timeout. */
export class StalledError extends DownloadError {
  constructor(ms: number) {
    super('DOWNLOAD_STALLED', `no data for ${ms} ms`, { retryable: true });
  }
}

export class NetworkError extends DownloadError {
  constructor(message: string, cause?: unknown) {
    super('DOWNLOAD_NETWORK', message, { retryable: true, cause });
  }
}

export class TooManyRedirectsError extends DownloadError {
  constructor(url: string) {
    super('DOWNLOAD_TOO_MANY_REDIRECTS', `too many redirects from ${redactUrl(url)}`, { retryable: false });
  }
}

/**
 * A redirect to a host downloads may not come from (not MAST_BASE_URL's host or an allowed mirror,
 * or a loopback/private address): the file fails at once and nothing from that host is saved.
 */
export class RedirectRefusedError extends DownloadError {
  constructor(why: string) {
    super('DOWNLOAD_REDIRECT_REFUSED', `redirect refused (DOWNLOAD_REDIRECT_REFUSED): ${why}`, { retryable: false });
  }
}

/** ENOSPC (or too little free space before starting): the job pauses; bytes written so far stay valid. */
export class DiskFullError extends DownloadError {
  /** Bytes of the failed write that did reach the disk. */
  readonly bytesWritten: number;
  constructor(message: string, bytesWritten = 0, cause?: unknown) {
    super('DOWNLOAD_NO_SPACE', message, { retryable: false, httpStatus: 507, cause });
    this.bytesWritten = bytesWritten;
  }
}

/** Size or FITS CHECKSUM/DATASUM disagree: the file is never marked complete. */
export class VerificationError extends DownloadError {
  /** The failing bytes partly came from an earlier run: one fresh download from byte 0 is worth it. */
  readonly retryFromZero: boolean;
  constructor(message: string, options: { retryFromZero?: boolean } = {}) {
    super('DOWNLOAD_VERIFY_FAILED', message, { retryable: false });
    this.retryFromZero = options.retryFromZero ?? false;
  }
}

/** A product name that cannot be turned into a safe file name. */
export class BadFilenameError extends DownloadError {
  constructor(name: string) {
    super('DOWNLOAD_BAD_NAME', `unusable product file name ${JSON.stringify(name)}`, { retryable: false, httpStatus: 422 });
  }
}

/** The transfer was stopped on purpose (pause, cancel, shutdown). */
export class TransferAbortedError extends DownloadError {
  constructor(reason: string) {
    super('DOWNLOAD_ABORTED', `transfer stopped: ${reason}`, { retryable: false });
  }
}

/** Drops the query string (which may hold signed credentials on redirect targets). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return u.searchParams.has('uri') ? `${u.origin}${u.pathname}?uri=${u.searchParams.get('uri') ?? ''}` : `${u.origin}${u.pathname}`;
  } catch {
    return '<invalid url>';
  }
}

/** 416: the range we asked for starts at or beyond the end of the file the server has now. */
export class UnsatisfiableRangeError extends DownloadError {
  /** The server's length from `Content-Range: bytes * /total`, when given. */
  readonly totalBytes: number | undefined;
  constructor(totalBytes: number | undefined) {
    super('DOWNLOAD_RANGE_NOT_SATISFIABLE', `HTTP 416: range not satisfiable (server length ${totalBytes ?? 'unknown'})`, { retryable: true });
    this.totalBytes = totalBytes;
  }
}
