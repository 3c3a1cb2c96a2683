/**
 * The local provider: objects are files under one root (DATA_DIR), keys are paths relative to it.
 * Reads follow the path sandbox (symlinks may not lead out of the root); writes go to a hidden
 * temporary file in the same folder and are renamed into place, so a reader never sees half an
 * object. Multipart uploads keep their parts in `<root>/.uploads/<id>/` (dot folders are never
 * listed) until completeUpload joins them.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, opendir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { EngineError } from '../errors.js';
import { StorageError } from './errors.js';
import { checkKey, checkPrefix } from './keys.js';
import { resolveInside } from './path-sandbox.js';
import { type ByteRange, type ListOptions, MAX_PARTS, type ObjectInfo, type StorageProvider, type UploadedPart } from './provider.js';
import { closeFd, openFd, readFullyFd, writeAllFd } from '../core/file-descriptor.js';

const UPLOADS = '.uploads';
const UPLOAD_ID = /^[0-9a-f]{32}$/;

function notFound(key: string): StorageError {
  return new StorageError('STORAGE_NOT_FOUND', `No object ${key}`);
}

function failed(what: string, err: unknown): StorageError {
  const code = (err as NodeJS.ErrnoException).code ?? 'error';
  return new StorageError('STORAGE_FAILED', `${what} failed: ${code}`, { cause: err });
}

function info(key: string, size: number, mtime: Date): ObjectInfo {
  return { key, size, modifiedAt: mtime, etag: `${size.toString(16)}-${Math.round(mtime.getTime()).toString(16)}` };
}

export class LocalStorage implements StorageProvider {
  readonly kind = 'local' as const;

  private rootReady: Promise<void> | undefined;

  constructor(readonly root: string) {}

  /** Makes the root on the first write (the sandbox checks new paths against the existing root). */
  private ensureRoot(): Promise<void> {
    this.rootReady ??= mkdir(this.root, { recursive: true }).then(() => undefined);
    return this.rootReady;
  }

  location(key: string): string {
    return join(this.root, checkKey(key));
  }

  localPath(key: string): string {
    return this.location(key);
  }

  /** The real path of an existing file inside the root; STORAGE_NOT_FOUND otherwise. */
  private async existing(key: string): Promise<string> {
    checkKey(key);
    try {
      return await resolveInside(this.root, key);
    } catch (err) {
      if (err instanceof EngineError && err.httpStatus === 404) throw notFound(key);
      if (err instanceof EngineError && err.httpStatus === 400) throw notFound(key); // a folder is no object
      throw err;
    }
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    let path: string;
    try {
      path = await this.existing(key);
    } catch (err) {
      if (err instanceof StorageError && err.code === 'STORAGE_NOT_FOUND') return undefined;
      throw err;
    }
    const st = await stat(path).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw failed(`stat ${key}`, err);
    });
    return st ? info(key, st.size, st.mtime) : undefined;
  }

  async readRange(key: string, offset: number, length: number): Promise<Buffer> {
    const path = await this.existing(key);
    // By descriptor number: ranged reads of FITS objects run on pool threads (src/core/file-descriptor.ts).
    const fd = await openFd(path, 'r').catch((err: unknown) => {
      throw (err as NodeJS.ErrnoException).code === 'ENOENT' ? notFound(key) : failed(`open ${key}`, err);
    });
    try {
      const buf = Buffer.allocUnsafeSlow(Math.max(0, length));
      const done = await readFullyFd(fd, buf, 0, length, offset);
      return done === length ? buf : buf.subarray(0, done);
    } finally {
      await closeFd(fd);
    }
  }

  async readStream(key: string, range?: ByteRange): Promise<Readable> {
    const path = await this.existing(key);
    return createReadStream(path, range ? { start: range.start, ...(range.end !== undefined ? { end: range.end } : {}) } : {});
  }

  async write(key: string, body: Buffer | Readable): Promise<ObjectInfo> {
    checkKey(key);
    await this.ensureRoot();
    const target = await resolveInside(this.root, key, { mayNotExist: true });
    await mkdir(dirname(target), { recursive: true });
    const temp = join(dirname(target), `.${basename(target)}.${randomUUID()}.tmp`);
    try {
      if (Buffer.isBuffer(body)) await writeFile(temp, body);
      else await pipeline(body, createWriteStream(temp));
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true });
      throw err instanceof EngineError ? err : failed(`write ${key}`, err);
    }
    const st = await stat(target);
    return info(key, st.size, st.mtime);
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectInfo> {
    checkPrefix(prefix);
    const max = options.maxKeys ?? Number.POSITIVE_INFINITY;
    // Walk only the folder the prefix is in (keys are paths): 'mast/ob' walks mast/ and filters.
    const slash = prefix.lastIndexOf('/');
    const start = slash < 0 ? this.root : join(this.root, prefix.slice(0, slash));
    const found: ObjectInfo[] = [];
    const walk = async (dir: string): Promise<void> => {
      let handle;
      try {
        handle = await opendir(dir);
      } catch {
        return;
      }
      const entries: { name: string; dir: boolean; file: boolean }[] = [];
      for await (const e of handle) entries.push({ name: e.name, dir: e.isDirectory(), file: e.isFile() });
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const e of entries) {
        if (e.name.startsWith('.')) continue; // uploads, temporary files, state folders
        const full = join(dir, e.name);
        const key = relative(this.root, full).split(sep).join('/');
        if (e.dir) {
          if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) await walk(full);
        } else if (e.file && key.startsWith(prefix)) {
          const st = await stat(full).catch(() => undefined);
          if (st) found.push(info(key, st.size, st.mtime));
        }
      }
    };
    await walk(start);
    // S3 lists in UTF-8 byte order; a folder walk sorted by name per level can differ ('a/b' vs 'a-b').
    found.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
    let n = 0;
    for (const o of found) {
      if (n++ >= max) return;
      yield o;
    }
  }

  async delete(key: string): Promise<void> {
    let path: string;
    try {
      path = await this.existing(key);
    } catch (err) {
      if (err instanceof StorageError && err.code === 'STORAGE_NOT_FOUND') return;
      throw err;
    }
    await rm(path, { force: true }).catch((err: unknown) => {
      throw failed(`delete ${key}`, err);
    });
  }

  async presignedUrl(key: string): Promise<string | undefined> {
    checkKey(key);
    return undefined;
  }

  // Multipart uploads -----------------------------------------------------------------------------

  private uploadDir(key: string, uploadId: string): string {
    checkKey(key);
    if (!UPLOAD_ID.test(uploadId)) throw new StorageError('STORAGE_NOT_FOUND', `No upload ${uploadId}`);
    return join(this.root, UPLOADS, uploadId);
  }

  private async openUpload(key: string, uploadId: string): Promise<string> {
    const dir = this.uploadDir(key, uploadId);
    const owner = await readFile(join(dir, 'key'), 'utf8').catch(() => undefined);
    if (owner !== key) throw new StorageError('STORAGE_NOT_FOUND', `No upload ${uploadId} for ${key}`);
    return dir;
  }

  async startUpload(key: string): Promise<string> {
    checkKey(key);
    await this.ensureRoot();
    await resolveInside(this.root, key, { mayNotExist: true });
    const uploadId = randomUUID().replaceAll('-', '');
    const dir = join(this.root, UPLOADS, uploadId);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'key'), key);
    return uploadId;
  }

  async uploadPart(key: string, uploadId: string, partNumber: number, body: Buffer): Promise<UploadedPart> {
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PARTS) {
      throw new StorageError('STORAGE_BAD_KEY', `Part number ${partNumber} is outside 1..${MAX_PARTS}`);
    }
    const dir = await this.openUpload(key, uploadId);
    const name = join(dir, `${partNumber}.part`);
    const temp = `${name}.${randomUUID()}.tmp`;
    await writeFile(temp, body);
    await rename(temp, name);
    return { partNumber, etag: createHash('md5').update(body).digest('hex'), size: body.length };
  }

  async listParts(key: string, uploadId: string): Promise<UploadedPart[]> {
    const dir = await this.openUpload(key, uploadId);
    const parts: UploadedPart[] = [];
    for await (const e of await opendir(dir)) {
      const m = /^(\d+)\.part$/.exec(e.name);
      if (!m) continue;
      const bytes = await readFile(join(dir, e.name));
      parts.push({ partNumber: Number(m[1]), etag: createHash('md5').update(bytes).digest('hex'), size: bytes.length });
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  async completeUpload(key: string, uploadId: string, parts: readonly UploadedPart[]): Promise<ObjectInfo> {
    const dir = await this.openUpload(key, uploadId);
    const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
    if (sorted.length === 0) throw new StorageError('STORAGE_BAD_KEY', 'An upload needs at least one part');
    const target = await resolveInside(this.root, key, { mayNotExist: true });
    await mkdir(dirname(target), { recursive: true });
    const temp = join(dirname(target), `.${basename(target)}.${uploadId}.tmp`);
    const out = await openFd(temp, 'w');
    let written = 0;
    try {
      for (const p of sorted) {
        const bytes = await readFile(join(dir, `${p.partNumber}.part`)).catch(() => {
          throw new StorageError('STORAGE_NOT_FOUND', `Upload ${uploadId} has no part ${p.partNumber}`);
        });
        if (createHash('md5').update(bytes).digest('hex') !== p.etag) {
          throw new StorageError('STORAGE_FAILED', `Part ${p.partNumber} of upload ${uploadId} does not match its ETag`);
        }
        await writeAllFd(out, bytes, written);
        written += bytes.length;
      }
      await closeFd(out);
      await rename(temp, target);
    } catch (err) {
      await closeFd(out).catch(() => undefined);
      await rm(temp, { force: true });
      throw err;
    }
    await rm(dir, { recursive: true, force: true });
    const st = await stat(target);
    return info(key, st.size, st.mtime);
  }

  async abortUpload(key: string, uploadId: string): Promise<void> {
    const dir = this.uploadDir(key, uploadId);
    await rm(dir, { recursive: true, force: true });
  }
}

