/**
 * A file's validators (ETag, Last-Modified, length) as a download saved them: what to send in
 * If-Range, and whether a server's answer describes another version of the file. Shared by the
 * disk and the object-store downloaders.
 */
import { isStrongEtag } from './http-range.js';
import type { FileEntry } from './job.js';

type Saved = Pick<FileEntry, 'etag' | 'lastModified' | 'totalBytes'>;

/** If-Range: the ETag when it is strong (RFC 9110 forbids weak ones there), else Last-Modified. */
export function ifRangeOf(entry: Saved): string | undefined {
  if (isStrongEtag(entry.etag ?? undefined)) return entry.etag!;
  return entry.lastModified ?? undefined;
}

/** True when `info` differs from the saved version in any validator both sides know. */
export function changedFrom(entry: Saved, info: { totalBytes?: number | undefined; etag?: string | undefined; lastModified?: string | undefined }): boolean {
  return (
    (info.etag !== undefined && entry.etag !== null && info.etag !== entry.etag) ||
    (info.lastModified !== undefined && entry.lastModified !== null && info.lastModified !== entry.lastModified) ||
    (info.totalBytes !== undefined && entry.totalBytes !== undefined && info.totalBytes !== entry.totalBytes)
  );
}
