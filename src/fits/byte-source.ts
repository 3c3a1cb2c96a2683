/**
 * Random access to the (decompressed) bytes of a FITS file. Plain files are read in place through a
 * file handle; gzip-wrapped files (recognised by their magic bytes, whatever the name) are
 * inflated once, into memory when small and into a temporary file when big, never beyond
 * `maxFileBytes`; bzip2-wrapped files (.fits.bz2, unbzip2-stream) the same way. Unix-compress (.Z)
 * files go through the pure LZW decoder of src/fits/compression.
 */
import { createReadStream, readSync, rmSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, type Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import unbzip2Stream from 'unbzip2-stream';
import { decompressLzw, isLzwCompressed } from './compression/lzw.js';
import { FitsError } from './errors.js';
import { openObjectLocation } from '../storage/object-source.js';
import { closeFd, fstatFd, openFd, readFullyFd, writeAllFd } from '../core/file-descriptor.js';

export type Wrapper = 'none' | 'gzip' | 'bzip2' | 'compress';

export interface ByteSource {
  readonly size: number;
  readonly wrapper: Wrapper;
  /** Up to `length` bytes from `offset` (fewer only at the end of the stream). */
  read(offset: number, length: number): Promise<Buffer>;
  /**
   * Fill `target` from `offset`; returns the bytes read (fewer only at the end of the stream).
   * `parallel`: the caller keeps several reads in flight and wants each to run off the calling
   * thread (a plain file then reads on libuv's thread pool even in a worker thread).
   */
  readInto(target: Uint8Array, offset: number, parallel?: boolean): Promise<number>;
  close(): Promise<void>;
}

export interface SourceOptions {
  /** Largest (decompressed) stream accepted; FITS_TOO_LARGE beyond. */
  maxFileBytes?: number;
  /** Decompressed streams up to this size stay in memory; bigger ones go to a temp file. */
  inMemoryBytes?: number;
  /** Where temporary files for big decompressed streams go (default: the OS temp dir). */
  tempDir?: string;
  /**
   * Largest expansion of a gzip, bzip2 or .Z file over its compressed size (a decompression bomb
   * stops as soon as it passes it, not after); streams up to EXPANSION_FREE_BYTES are never refused
   * for it. Unset or 0: no ratio limit (maxFileBytes still holds).
   */
  maxExpansionRatio?: number;
  /** Decompressed streams up to this size are never refused for their ratio (default EXPANSION_FREE_BYTES). */
  expansionFreeBytes?: number;
}

/** Decompressed streams this small are never refused for their expansion ratio (headers and tiny images compress a lot). */
export const EXPANSION_FREE_BYTES = 16 * 1024 ** 2;

/** The most bytes a compressed file of `compressedBytes` may decompress to under the options. */
function decompressedLimit(compressedBytes: number, maxBytes: number, options: SourceOptions): { limit: number; byRatio: boolean } {
  const ratio = options.maxExpansionRatio;
  if (!ratio || ratio <= 0) return { limit: maxBytes, byRatio: false };
  const byRatio = Math.max(options.expansionFreeBytes ?? EXPANSION_FREE_BYTES, ratio * compressedBytes);
  return byRatio < maxBytes ? { limit: byRatio, byRatio: true } : { limit: maxBytes, byRatio: false };
}

function expandsTooMuch(ratio: number, compressedBytes: number): FitsError {
  return new FitsError('FITS_TOO_LARGE', `the decompressed file expands more than ${ratio} times its compressed size of ${compressedBytes} bytes`);
}

export const DEFAULT_MAX_FILE_BYTES = 16 * 1024 ** 3;
export const DEFAULT_IN_MEMORY_BYTES = 64 * 1024 ** 2;

class BufferSource implements ByteSource {
  constructor(private readonly buf: Buffer, readonly wrapper: Wrapper) {}
  get size(): number {
    return this.buf.length;
  }
  async read(offset: number, length: number): Promise<Buffer> {
    const start = Math.min(offset, this.buf.length);
    // A copy in its own memory: callers byte-swap what they get in place, and may transfer it to another thread.
    const part = this.buf.subarray(start, Math.min(this.buf.length, start + length));
    const copy = Buffer.allocUnsafeSlow(part.length);
    copy.set(part);
    return copy;
  }
  async readInto(target: Uint8Array, offset: number): Promise<number> {
    const start = Math.min(offset, this.buf.length);
    const n = Math.min(target.length, this.buf.length - start);
    target.set(this.buf.subarray(start, start + n));
    return n;
  }
  async close(): Promise<void> {}
}

/** A plain file read by descriptor number (no FileHandle on a pool thread: src/core/file-descriptor.ts). */
class FileSource implements ByteSource {
  private closed = false;
  constructor(
    private readonly fd: number,
    readonly size: number,
    readonly wrapper: Wrapper,
    private readonly cleanup?: () => Promise<void>,
    /** The file's first bytes, read when it was opened (serves the first header read). */
    private readonly prefix?: Buffer,
  ) {}
  async read(offset: number, length: number): Promise<Buffer> {
    const n = Math.max(0, Math.min(length, this.size - offset));
    const buf = Buffer.allocUnsafeSlow(n); // own ArrayBuffer (not Node's shared pool): transferable, aligned
    if (this.prefix && offset + n <= this.prefix.length) {
      if (this.closed) throw new FitsError('FITS_IO', 'the FITS file is closed');
      this.prefix.copy(buf, 0, offset, offset + n);
      return buf;
    }
    const done = await this.readInto(buf, offset);
    return done === n ? buf : buf.subarray(0, done);
  }
  async readInto(target: Uint8Array, offset: number, parallel = false): Promise<number> {
    if (this.closed) throw new FitsError('FITS_IO', 'the FITS file is closed');
    const n = Math.max(0, Math.min(target.length, this.size - offset));
    let done = 0;
    if (!isMainThread && !parallel) {
      // In a worker thread (the pool's, one task at a time) a read blocks nothing else: reading
      // synchronously saves the hand-off to a libuv thread and back for each band (issue #20: the
      // pool thread slept 13-19 % of a run of previews with async reads, 5-11 % with these).
      // A whole plane's pipeline (`parallel`) reads asynchronously instead: its kernel copies and
      // page faults then run on the other core while this thread byte-swaps (docs/fits.md).
      while (done < n) {
        const bytesRead = readSync(this.fd, target, done, n - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done;
    }
    return readFullyFd(this.fd, target, 0, n, offset);
  }
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await closeFd(this.fd);
    if (this.cleanup) await this.cleanup();
  }
}

/** Wrap an in-memory FITS byte stream. */
export function bufferSource(buf: Buffer): ByteSource {
  return new BufferSource(buf, 'none');
}

function tooLarge(what: string, limit: number): FitsError {
  return new FitsError('FITS_TOO_LARGE', `${what} is larger than the limit of ${limit} bytes`);
}

/** Bytes read at open: four header blocks, what the HDU scan reads first. */
const PREFIX_BYTES = 4 * 2880;

export async function openSource(path: string, options: SourceOptions = {}): Promise<ByteSource> {
  // An object in S3: ranged reads through the storage layer (the AWS SDK loads with the first one).
  if (path.startsWith('s3://')) return openObjectLocation(path, options, openSource);
  const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  let fd: number;
  try {
    fd = await openFd(path, 'r');
  } catch (err) {
    throw new FitsError('FITS_IO', `cannot open ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { cause: err });
  }
  try {
    const st = await fstatFd(fd);
    if (!st.isFile()) throw new FitsError('FITS_BAD_ARGUMENT', `${path} is not a regular file`);
    // The first header blocks, read once: the magic number of a compressed file, or the start of
    // the primary header (served from memory when the HDUs are scanned).
    const want = Buffer.alloc(Math.min(st.size, PREFIX_BYTES));
    const head = want.subarray(0, await readFullyFd(fd, want, 0, want.length, 0));
    const wrapped = (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) ? 'gzip' : isBzip2(head) ? 'bzip2' : isLzwCompressed(head) ? 'compress' : undefined;
    if (wrapped) {
      const closing = fd;
      fd = -1; // closed here: the catch below must not close it again
      await closeFd(closing);
      return wrapped === 'compress' ? await lzwSource(path, st.size, maxBytes, options) : await gunzipSource(path, st.size, maxBytes, options, wrapped);
    }
    if (st.size > maxBytes) throw tooLarge('the file', maxBytes);
    return new FileSource(fd, st.size, 'none', undefined, head);
  } catch (err) {
    if (fd >= 0) await closeFd(fd).catch(() => undefined);
    throw err;
  }
}

/** Temporary directories of decompressed files still open; removed at exit if never closed. */
const tempDirs = new Set<string>();
let exitHook = false;

function trackTempDir(dir: string): void {
  tempDirs.add(dir);
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  });
}

/** bzip2 magic: "BZh", the block size '1'-'9', then the first block's (or the end-of-stream) magic. */
function isBzip2(head: Buffer): boolean {
  return head.length >= 10 && head.toString('latin1', 0, 3) === 'BZh' && head[3]! >= 0x31 && head[3]! <= 0x39 &&
    (head.readUIntBE(4, 6) === 0x314159265359 || head.readUIntBE(4, 6) === 0x177245385090);
}

/** The decompressing stream of a wrapper, as a modern Readable fed from `input`. */
function decompressor(wrapper: 'gzip' | 'bzip2', input: Readable): Readable {
  if (wrapper === 'gzip') {
    const gunzip: Transform = createGunzip();
    input.pipe(gunzip);
    input.on('error', (err) => gunzip.destroy(err));
    return gunzip;
  }
  // unbzip2-stream is a classic (through) stream: relay it into a Readable, pausing it while the
  // reader is behind (backpressure), so memory stays at a few bzip2 blocks.
  const bunzip = unbzip2Stream();
  const out = new Readable({
    read: () => void bunzip.resume(),
    destroy: (err, done) => {
      input.destroy();
      bunzip.destroy();
      done(err);
    },
  });
  bunzip.on('data', (chunk: Buffer) => {
    if (!out.push(chunk)) bunzip.pause();
  });
  bunzip.on('end', () => out.push(null));
  bunzip.on('error', (err: Error) => out.destroy(err));
  input.on('error', (err) => out.destroy(err));
  input.pipe(bunzip);
  return out;
}

/**
 * A gzip or bzip2 file decompressed as it streams: counted against maxBytes chunk by chunk (a bomb
 * stops at the limit, not after), kept in memory up to inMemoryBytes, spilled to a temp file beyond.
 */
async function gunzipSource(path: string, compressedBytes: number, maxBytes: number, options: SourceOptions, wrapper: 'gzip' | 'bzip2' = 'gzip'): Promise<ByteSource> {
  const { limit, byRatio } = decompressedLimit(compressedBytes, maxBytes, options);
  const memLimit = Math.min(options.inMemoryBytes ?? DEFAULT_IN_MEMORY_BYTES, limit);
  const chunks: Buffer[] = [];
  let total = 0;
  let spill: { dir: string; fd: number; written: number } | undefined;
  const input = createReadStream(path);
  const gunzip = decompressor(wrapper, input);
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > limit) throw byRatio ? expandsTooMuch(options.maxExpansionRatio!, compressedBytes) : tooLarge('the decompressed file', maxBytes);
      if (!spill && total > memLimit) {
        const dir = await mkdtemp(join(options.tempDir ?? tmpdir(), `fits-${wrapper}-`));
        trackTempDir(dir);
        spill = { dir, fd: await openFd(join(dir, 'data.fits'), 'w+'), written: 0 };
        for (const c of chunks) await spillChunk(spill, c);
        chunks.length = 0;
      }
      if (spill) await spillChunk(spill, chunk);
      else chunks.push(chunk);
    }
  } catch (err) {
    input.destroy();
    gunzip.destroy();
    if (spill) {
      await closeFd(spill.fd).catch(() => undefined);
      tempDirs.delete(spill.dir);
      await rm(spill.dir, { recursive: true, force: true });
    }
    if (err instanceof FitsError) throw err;
    throw new FitsError('FITS_BAD_DATA', `${wrapper} stream of ${path} is corrupt or truncated: ${(err as Error).message}`, { cause: err });
  }
  if (!spill) return new BufferSource(Buffer.concat(chunks, total), wrapper);
  const { dir, fd } = spill;
  return new FileSource(fd, total, wrapper, async () => {
    tempDirs.delete(dir);
    await rm(dir, { recursive: true, force: true });
  });
}

async function spillChunk(spill: { fd: number; written: number }, chunk: Buffer): Promise<void> {
  await writeAllFd(spill.fd, chunk, spill.written);
  spill.written += chunk.length;
}

async function lzwSource(path: string, compressedBytes: number, maxBytes: number, options: SourceOptions): Promise<ByteSource> {
  // LZW expands at most ~ 8x per input byte in practice; refuse inputs that could not fit the limit anyway.
  if (compressedBytes > maxBytes) throw tooLarge('the compressed file', maxBytes);
  const { limit, byRatio } = decompressedLimit(compressedBytes, maxBytes, options);
  let out: Uint8Array;
  try {
    // The decoder stops as soon as its output would pass the limit.
    out = decompressLzw(await readFile(path), { maxOutputBytes: Math.min(limit, 2 ** 32 - 1) });
  } catch (err) {
    if (err instanceof FitsError && err.code === 'FITS_TOO_LARGE' && byRatio) throw expandsTooMuch(options.maxExpansionRatio!, compressedBytes);
    // The decoder's own errors already say what went wrong (FITS_TOO_LARGE past maxOutputBytes).
    if (err instanceof FitsError) throw err;
    throw new FitsError('FITS_BAD_DATA', `cannot decompress ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (out.length > maxBytes) throw tooLarge('the decompressed file', maxBytes);
  return new BufferSource(Buffer.from(out.buffer, out.byteOffset, out.length), 'compress');
}
