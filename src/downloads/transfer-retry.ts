/**
 * The retry rule of a file's transfer requests, shared by the disk and the object-store downloaders.
 */
import { withRetry, type Clock, type RetryPolicy } from '../core/retry.js';
import { DownloadError } from './errors.js';

/**
 * Runs one request with the download retry policy: a retryable DownloadError is tried again
 * (honouring Retry-After), an abort ends it with the abort's reason, anything else is final.
 */
export function withTransferRetries<T>(
  fn: () => Promise<T>,
  o: { readonly retry: RetryPolicy; readonly clock?: Clock | undefined; readonly random?: (() => number) | undefined },
  signal: AbortSignal,
  notice: (message: string, data: Record<string, unknown>) => void,
  filename: string,
): Promise<T> {
  return withRetry(fn, o.retry, (err) => {
    if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : err;
    return err instanceof DownloadError && err.retryable ? { retryAfterMs: err.retryAfterMs } : false;
  }, {
    clock: o.clock, random: o.random, signal,
    onRetry: (err, retry) => notice(`retrying: ${(err as Error).message}`, { file: filename, retry }),
  });
}
