/**
 * The file system as the downloader sees it: positional writes into `.part` files, stat, rename.
 * Behind an interface so tests can inject ENOSPC at an exact byte without filling a real disk.
 * ENOSPC/EDQUOT become DiskFullError carrying how many bytes of the failed write did land.
 */
import { open, rename, stat, statfs, unlink, type FileHandle } from 'node:fs/promises';
import { DiskFullError } from './errors.js';
import { checkWriteOutcome, PartialWriteError, startWriteThread, writeAll, type WriteOutcome } from './write-thread.js';

export interface WritableFile {
  /** Writes all of `data` at `position`, or throws (DiskFullError with the bytes that landed). */
  write(data: Uint8Array, position: number): Promise<void>;
  /**
   * Optional: writes `data` at `position` through `writer`, which is given the descriptor and
   * writes on another thread (a digest thread: BatchWriter). False when `writer` answered
   * undefined (it wrote nothing, or may not have): the caller writes the bytes with `write`.
   * Throws as `write` does.
   */
  writeVia?(data: Uint8Array, position: number, writer: (fd: number) => Promise<WriteOutcome | undefined>): Promise<boolean>;
  truncate(length: number): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface ReadableFile {
  read(into: Uint8Array, position: number): Promise<number>;
  close(): Promise<void>;
  /**
   * The open descriptor, for a digest thread that reads the file itself (`updateFromFile`); absent
   * where reads must go through `read` (a layer that intercepts them).
   */
  readonly fd?: number;
}

export interface FileLayer {
  /**
   * Opens for writing, creating the file when missing, never truncating. `viaDigestThread`: the
   * caller means to write through `writeVia` (no write thread needs to start for it); `smallFile`:
   * it writes a few MiB at most (SMALL_STREAM), which libuv's writes serve while a write thread
   * would still boot (none is started for it).
   */
  openWritable(path: string, options?: { viaDigestThread?: boolean; smallFile?: boolean }): Promise<WritableFile>;
  /**
   * Optional: starts now what writes out of file order use (the node layer's write thread, else
   * started by the first such `openWritable`) and resolves once it runs or cannot run (they then
   * go through libuv). A one-shot download waits for it before its first request (DownloadManager).
   */
  startWrites?(): Promise<void>;
  openReadable(path: string): Promise<ReadableFile>;
  /** Size in bytes, or undefined when the file does not exist. */
  size(path: string): Promise<number | undefined>;
  rename(from: string, to: string): Promise<void>;
  /** Removes the file; missing files are fine. */
  remove(path: string): Promise<void>;
  /** Bytes available to us on the file system holding `dir`, or undefined when unknown. */
  freeBytes(dir: string): Promise<number | undefined>;
}

function isNoSpace(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

class NodeWritableFile implements WritableFile {
  /** Writes under way: the descriptor is closed only after them (the write thread uses its number). */
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly handle: FileHandle, private readonly path: string) {}

  write(data: Uint8Array, position: number): Promise<void> {
    return this.track(this.writeAll(data, position));
  }

  writeVia(data: Uint8Array, position: number, writer: (fd: number) => Promise<WriteOutcome | undefined>): Promise<boolean> {
    const done = writer(this.handle.fd)
      .then((outcome) => {
        if (!outcome) return false;
        checkWriteOutcome(outcome, data.length);
        return true;
      })
      .catch((err: unknown) => {
        throw this.writeFailure(err);
      });
    return this.track(done);
  }

  /** Keeps `done` among the writes `close` waits for. */
  private track<T>(done: Promise<T>): Promise<T> {
    const settled = done.then(
      () => undefined,
      () => undefined,
    );
    this.pending.add(settled);
    void settled.then(() => this.pending.delete(settled));
    return done;
  }

  private async writeAll(data: Uint8Array, position: number): Promise<void> {
    try {
      await writeAll(this.handle, data, position);
    } catch (err) {
      throw this.writeFailure(err);
    }
  }

  /** A failed write as the caller sees it: DiskFullError (with the bytes that landed), or the errno error. */
  private writeFailure(err: unknown): unknown {
    if (!(err instanceof PartialWriteError)) return err;
    if (isNoSpace(err.error)) return new DiskFullError(`disk full while writing ${this.path}`, err.bytesWritten, err.error);
    return err.error;
  }

  truncate(length: number): Promise<void> {
    return this.handle.truncate(length);
  }

  sync(): Promise<void> {
    return this.handle.sync();
  }

  async close(): Promise<void> {
    await Promise.all(this.pending);
    await this.handle.close();
  }
}

export const nodeFileLayer: FileLayer = {
  async openWritable(path, options) {
    if (!options?.viaDigestThread && !options?.smallFile) void startWriteThread(); // boots while the first piece streams in
    // 'a' would ignore positions on Linux; 'r+' needs the file to exist.
    const handle = await open(path, 'r+').catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
      return open(path, 'w+');
    });
    return new NodeWritableFile(handle, path);
  },
  startWrites: startWriteThread,
  async openReadable(path) {
    const handle = await open(path, 'r');
    return {
      read: async (into, position) => (await handle.read(into, 0, into.length, position)).bytesRead,
      close: () => handle.close(),
      fd: handle.fd,
    };
  },
  async size(path) {
    try {
      return (await stat(path)).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  },
  rename: (from, to) => rename(from, to),
  async remove(path) {
    await unlink(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  },
  async freeBytes(dir) {
    try {
      const s = await statfs(dir);
      return Number(s.bavail) * Number(s.bsize);
    } catch {
      return undefined;
    }
  },
};
