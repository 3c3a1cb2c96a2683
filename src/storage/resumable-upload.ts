/**
 * A resumable multipart upload: a sequential byte stream (a download, file by file) goes into an
 * object in parts of `partBytes`; after each part the state (upload id and completed parts) is handed
 * to `persist`, so a process killed at any moment resumes the same upload from `nextOffset` (the
 * bytes of completed parts) without sending those parts again. Bytes buffered for a part not yet
 * uploaded are lost with the process and are sent again (at most one part). The object appears
 * under its key only at `complete`. This is the S3 sink a download writes through (docs/storage.md:
 * not yet wired into the download manager).
 */
import { StorageError } from './errors.js';
import { checkKey } from './keys.js';
import { MAX_PARTS, MIN_PART_BYTES, type ObjectInfo, type StorageProvider, type UploadedPart } from './provider.js';

export interface UploadState {
  readonly key: string;
  readonly uploadId: string;
  readonly partBytes: number;
  /** Completed parts, 1..n in order, each `partBytes` long. */
  readonly parts: readonly UploadedPart[];
}

export type PersistUpload = (state: UploadState) => Promise<void>;

export class ResumableUpload {
  private parts: UploadedPart[];
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private finished = false;

  private constructor(
    private readonly store: StorageProvider,
    private readonly base: Omit<UploadState, 'parts'>,
    parts: readonly UploadedPart[],
    private readonly persist: PersistUpload,
  ) {
    this.parts = [...parts];
  }

  /** Starts a new upload of `key` (parts of `partBytes`, at least 5 MiB as S3 requires). */
  static async start(store: StorageProvider, key: string, partBytes: number, persist: PersistUpload): Promise<ResumableUpload> {
    checkKey(key);
    if (!Number.isInteger(partBytes) || partBytes < MIN_PART_BYTES) {
      throw new StorageError('STORAGE_BAD_KEY', `Parts must be at least ${MIN_PART_BYTES} bytes (got ${partBytes})`);
    }
    const uploadId = await store.startUpload(key);
    const upload = new ResumableUpload(store, { key, uploadId, partBytes }, [], persist);
    await persist(upload.state);
    return upload;
  }

  /**
   * Continues an upload from its persisted state. Parts must be the consecutive full parts 1..n (what
   * this class persists); anything else is refused, and the caller starts over.
   */
  static resume(store: StorageProvider, state: UploadState, persist: PersistUpload): ResumableUpload {
    checkKey(state.key);
    state.parts.forEach((p, i) => {
      if (p.partNumber !== i + 1 || p.size !== state.partBytes) {
        throw new StorageError('STORAGE_BAD_KEY', `Upload ${state.uploadId}: part ${i + 1} of the saved state is not a full part in order`);
      }
    });
    return new ResumableUpload(store, { key: state.key, uploadId: state.uploadId, partBytes: state.partBytes }, state.parts, persist);
  }

  get state(): UploadState {
    return { ...this.base, parts: [...this.parts] };
  }

  /** Bytes already in completed parts: where the source must continue from after a resume. */
  get nextOffset(): number {
    return this.parts.length * this.base.partBytes;
  }

  /** Bytes accepted so far (completed parts + buffered). */
  get written(): number {
    return this.nextOffset + this.pendingBytes;
  }

  /** Appends bytes; full parts go up as soon as they are complete. */
  async write(chunk: Uint8Array): Promise<void> {
    if (this.finished) throw new StorageError('STORAGE_FAILED', `Upload ${this.base.uploadId} is already finished`);
    let rest = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    while (rest.length > 0) {
      const take = Math.min(rest.length, this.base.partBytes - this.pendingBytes);
      this.pending.push(Buffer.from(rest.subarray(0, take)));
      this.pendingBytes += take;
      rest = rest.subarray(take);
      if (this.pendingBytes === this.base.partBytes) await this.flushPart();
    }
  }

  private async flushPart(): Promise<void> {
    const partNumber = this.parts.length + 1;
    if (partNumber > MAX_PARTS) throw new StorageError('STORAGE_FAILED', `Upload ${this.base.uploadId} needs more than ${MAX_PARTS} parts: use larger parts`);
    const body = Buffer.concat(this.pending, this.pendingBytes);
    const part = await this.store.uploadPart(this.base.key, this.base.uploadId, partNumber, body);
    this.parts.push(part);
    this.pending = [];
    this.pendingBytes = 0;
    await this.persist(this.state);
  }

  /** Sends the last (short) part and joins the parts into the object. */
  async complete(): Promise<ObjectInfo> {
    if (this.pendingBytes > 0 || this.parts.length === 0) await this.flushPart();
    this.finished = true;
    return this.store.completeUpload(this.base.key, this.base.uploadId, this.parts);
  }

  /** Drops the upload and its parts (cancel). */
  async abort(): Promise<void> {
    this.finished = true;
    await this.store.abortUpload(this.base.key, this.base.uploadId);
  }
}
