/**
 * Whole-file operations on a location string, as the readers pass them between layers (routes ->
 * worker threads -> readers): a local file path, or `s3://bucket/key` for an object of the store
 * (served by the process's provider for that bucket, registry.ts). The FITS reader has its own
 * ranged byte source (object-source.ts); these are for the readers that are not FITS (ECSV text,
 * checksums, the library's header sniffing) and for job outputs.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { closeFd, openFd, readFd } from '../core/file-descriptor.js';
import type { Readable } from 'node:stream';
import { objectStoreFor, parseObjectLocation } from './registry.js';

export interface LocationInfo {
  readonly size: number;
  readonly mtimeMs: number;
  /** Changes when the file does: S3's ETag, or inode+size+mtime for a local file. */
  readonly version: string;
}

/** Size and version of a location; undefined when there is nothing there. */
export async function statLocation(location: string): Promise<LocationInfo | undefined> {
  const parsed = parseObjectLocation(location);
  if (parsed) {
    const info = await objectStoreFor(parsed.bucket).stat(parsed.key);
    return info ? { size: info.size, mtimeMs: info.modifiedAt.getTime(), version: `${info.etag}-${info.size}` } : undefined;
  }
  const st = await stat(location).catch(() => undefined);
  if (!st?.isFile()) return undefined;
  return { size: st.size, mtimeMs: st.mtimeMs, version: `${st.ino}-${st.size}-${st.mtimeMs}` };
}

/** Up to `length` bytes from the start (one ranged GET for an object). */
export async function readLocationHead(location: string, length: number): Promise<Buffer> {
  const parsed = parseObjectLocation(location);
  if (parsed) return objectStoreFor(parsed.bucket).readRange(parsed.key, 0, length);
  // By descriptor number: this runs on pool threads too (src/core/file-descriptor.ts says why).
  const fd = await openFd(location, 'r');
  try {
    const buf = Buffer.alloc(length);
    return buf.subarray(0, await readFd(fd, buf, 0, length, 0));
  } finally {
    await closeFd(fd);
  }
}

/** The whole file as a stream (one GET for an object). */
export async function locationStream(location: string): Promise<Readable> {
  const parsed = parseObjectLocation(location);
  if (parsed) return objectStoreFor(parsed.bucket).readStream(parsed.key);
  return createReadStream(location, { highWaterMark: 1024 * 1024 });
}

/** The whole file in memory (callers bound its size first: ECSV tables are parsed whole). */
export async function readLocation(location: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await locationStream(location)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
