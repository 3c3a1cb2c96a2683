/**
 * FITS byte sources over objects: a plain FITS object is read with ranged GETs, in blocks that go
 * through the process's read cache (STORAGE_READ_CACHE_MB, LRU), so opening a file costs its
 * headers and a section costs its rows, never the whole object. Large reads (a whole plane, a band
 * of rows) go straight to the store in one request and are not cached. Compressed objects (gzip,
 * bzip2, Unix compress) cannot be read at an offset: they are copied to a temporary file first and
 * opened as local files are.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ByteSource, SourceOptions } from '../fits/byte-source.js';
import { FitsError } from '../fits/errors.js';
import { StorageError } from './errors.js';
import type { ObjectInfo, StorageProvider } from './provider.js';
import type { BlockCache } from './read-cache.js';
import { objectStoreFor, parseObjectLocation, readBlockBytes, readCache } from './registry.js';

/** Reads of at least this many blocks bypass the cache (one request, exactly the bytes asked). */
const DIRECT_BLOCKS = 16;
/** Reads of at most blockBytes / this that miss the cache fetch exactly their bytes. */
const SMALL_READ_FRACTION = 8;
/** Bytes read at open to recognise a compressed object (and the first header blocks). */
const HEAD_BYTES = 4 * 2880;

export interface ObjectSourceOptions extends SourceOptions {
  readonly cache: BlockCache;
  readonly blockBytes: number;
}

class ObjectByteSource implements ByteSource {
  readonly wrapper = 'none' as const;
  private closed = false;
  private readonly id: string;

  constructor(
    private readonly store: StorageProvider,
    private readonly key: string,
    private readonly object: ObjectInfo,
    private readonly cache: BlockCache,
    private readonly blockBytes: number,
  ) {
    this.id = `${store.location(key)}@${object.etag}#`;
  }

  get size(): number {
    return this.object.size;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const n = Math.max(0, Math.min(length, this.size - offset));
    const buf = Buffer.allocUnsafeSlow(n);
    const done = await this.readInto(buf, offset);
    return done === n ? buf : buf.subarray(0, done);
  }

  async readInto(target: Uint8Array, offset: number): Promise<number> {
    if (this.closed) throw new FitsError('FITS_IO', 'the FITS file is closed');
    const n = Math.max(0, Math.min(target.length, this.size - offset));
    if (n === 0) return 0;
    const B = this.blockBytes;
    const first = Math.floor(offset / B);
    const last = Math.floor((offset + n - 1) / B);
    if (last - first + 1 >= DIRECT_BLOCKS) return this.fetchInto(target, offset, n);
    const blocks: (Buffer | undefined)[] = [];
    for (let b = first; b <= last; b++) blocks.push(this.cache.get(this.id + b));
    // A small read (a row segment of a cutout, a pixel) not in the cache: exactly its bytes, uncached,
    // so scattered small reads move their own bytes and not a block each.
    if (n <= B / SMALL_READ_FRACTION && blocks.some((b) => !b)) return this.fetchInto(target, offset, n);
    // Missing blocks in runs: one request per run of consecutive missing blocks.
    for (let i = 0; i < blocks.length; i++) {
      if (blocks[i]) continue;
      let j = i;
      while (j + 1 < blocks.length && !blocks[j + 1]) j++;
      const start = (first + i) * B;
      const end = Math.min(this.size, (first + j + 1) * B);
      const bytes = await this.fetch(start, end - start);
      for (let k = i; k <= j; k++) {
        const block = Buffer.from(bytes.subarray((k - i) * B, Math.min(bytes.length, (k - i + 1) * B)));
        blocks[k] = block;
        this.cache.set(this.id + (first + k), block);
      }
      i = j;
    }
    let done = 0;
    for (let k = 0; k < blocks.length && done < n; k++) {
      const block = blocks[k]!;
      const from = k === 0 ? offset - first * B : 0;
      const take = Math.min(block.length - from, n - done);
      if (take <= 0) break;
      target.set(block.subarray(from, from + take), done);
      done += take;
    }
    return done;
  }

  private async fetchInto(target: Uint8Array, offset: number, n: number): Promise<number> {
    const bytes = await this.fetch(offset, n);
    const got = Math.min(n, bytes.length);
    target.set(bytes.subarray(0, got));
    return got;
  }

  private async fetch(offset: number, length: number): Promise<Buffer> {
    try {
      return await this.store.readRange(this.key, offset, length);
    } catch (err) {
      if (err instanceof StorageError) throw new FitsError('FITS_IO', `cannot read ${this.store.location(this.key)}: ${err.message}`, { cause: err });
      throw err;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

function compressed(head: Buffer): boolean {
  if (head.length >= 2 && head[0] === 0x1f && (head[1] === 0x8b || head[1] === 0x9d)) return true; // gzip, compress
  return head.length >= 3 && head.toString('latin1', 0, 3) === 'BZh';
}

/**
 * A byte source for the object `key` of `store`: ranged reads for plain FITS, a temporary local
 * copy (opened by `openLocal`) for compressed objects.
 */
export async function openObjectSource(
  store: StorageProvider,
  key: string,
  options: ObjectSourceOptions,
  openLocal: (path: string, options: SourceOptions) => Promise<ByteSource>,
): Promise<ByteSource> {
  let info: ObjectInfo | undefined;
  try {
    info = await store.stat(key);
  } catch (err) {
    throw new FitsError('FITS_IO', `cannot open ${store.location(key)}: ${(err as Error).message}`, { cause: err });
  }
  if (!info) throw new FitsError('FITS_IO', `cannot open ${store.location(key)}: ENOENT`);
  const source = new ObjectByteSource(store, key, info, options.cache, options.blockBytes);
  const head = await source.read(0, HEAD_BYTES);
  if (!compressed(head)) {
    const max = options.maxFileBytes;
    if (max !== undefined && info.size > max) throw new FitsError('FITS_TOO_LARGE', `the file is larger than the limit of ${max} bytes`);
    return source;
  }
  // Compressed: a whole copy is unavoidable (no random access into a deflate stream).
  if (options.maxFileBytes !== undefined && info.size > options.maxFileBytes) {
    throw new FitsError('FITS_TOO_LARGE', `the compressed file is larger than the limit of ${options.maxFileBytes} bytes`);
  }
  const temp = join(options.tempDir ?? tmpdir(), `object-${randomUUID()}`);
  try {
    await pipeline(await store.readStream(key), createWriteStream(temp));
    return await openLocal(temp, options);
  } finally {
    // The local source has read (or holds an open handle on) the copy: the name can go.
    await rm(temp, { force: true });
  }
}

/** `openObjectSource` for an `s3://bucket/key` location, with the process's provider and read cache. */
export async function openObjectLocation(
  location: string,
  options: SourceOptions,
  openLocal: (path: string, options: SourceOptions) => Promise<ByteSource>,
): Promise<ByteSource> {
  const parsed = parseObjectLocation(location);
  if (!parsed) throw new FitsError('FITS_BAD_ARGUMENT', `${location} is not an s3://bucket/key location`);
  return openObjectSource(objectStoreFor(parsed.bucket), parsed.key, { ...options, cache: readCache(), blockBytes: readBlockBytes() }, openLocal);
}
