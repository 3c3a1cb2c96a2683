/**
 * The storage interface every part of the engine reads and writes objects through: a local
 * provider (files under DATA_DIR, the default) and an S3 provider (any S3-compatible store). Keys
 * are checked by src/storage/keys.ts before a provider touches anything; errors are StorageErrors
 * (STORAGE_NOT_FOUND, STORAGE_FAILED, ...).
 */
import type { Readable } from 'node:stream';

export type StorageKind = 'local' | 's3';

export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  readonly modifiedAt: Date;
  /** An opaque version tag: S3's ETag, or size+mtime for a local file. Changes when the object does. */
  readonly etag: string;
}

export interface UploadedPart {
  /** 1..10000 as in S3. */
  readonly partNumber: number;
  readonly etag: string;
  readonly size: number;
}

export interface ListOptions {
  /** Stop after this many objects (default: all). */
  readonly maxKeys?: number;
}

export interface ByteRange {
  /** First byte. */
  readonly start: number;
  /** Last byte, inclusive (HTTP semantics); omitted = to the end. */
  readonly end?: number;
}

export interface StorageProvider {
  readonly kind: StorageKind;
  /** A printable location of a key: the file path, or s3://bucket/key. */
  location(key: string): string;
  /** The object's size and version, or undefined when there is none. */
  stat(key: string): Promise<ObjectInfo | undefined>;
  /** Up to `length` bytes from `offset` (fewer only at the end of the object). STORAGE_NOT_FOUND when missing. */
  readRange(key: string, offset: number, length: number): Promise<Buffer>;
  /** The object's bytes (or a range of them) as a stream. */
  readStream(key: string, range?: ByteRange): Promise<Readable>;
  /** Writes a whole object (streams go up in parts, so any size works). Visible only when complete. */
  write(key: string, body: Buffer | Readable): Promise<ObjectInfo>;
  /** Objects whose key starts with `prefix`, in key order. */
  list(prefix: string, options?: ListOptions): AsyncIterable<ObjectInfo>;
  /** Removes the object; a missing object is not an error. */
  delete(key: string): Promise<void>;
  /** A URL anyone can GET the object from for `expiresSeconds`; undefined when the provider has none (local). */
  presignedUrl(key: string, expiresSeconds?: number): Promise<string | undefined>;
  /** The object as a local file, when there is one (local provider only). */
  localPath(key: string): string | undefined;

  /** Multipart writes: the object appears under `key` only at completeUpload. Returns the upload id. */
  startUpload(key: string): Promise<string>;
  /** Uploads part `partNumber` (1..10000). Every part but the last must be at least 5 MiB on S3. */
  uploadPart(key: string, uploadId: string, partNumber: number, body: Buffer): Promise<UploadedPart>;
  /** The parts the store holds for an upload, by part number (STORAGE_NOT_FOUND for an unknown upload). */
  listParts(key: string, uploadId: string): Promise<UploadedPart[]>;
  /** Joins the parts in part-number order into the object. */
  completeUpload(key: string, uploadId: string, parts: readonly UploadedPart[]): Promise<ObjectInfo>;
  /** Drops an upload and its parts. */
  abortUpload(key: string, uploadId: string): Promise<void>;
}

export const MIN_PART_BYTES = 5 * 1024 * 1024;
export const MAX_PARTS = 10_000;
export const DEFAULT_PRESIGN_SECONDS = 900;
