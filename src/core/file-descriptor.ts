/**
 * Files by descriptor number, through Node's callback API, for code that may run on a pool thread
 * (FITS reading and writing, storage reads).
 *
 * Why not `fs/promises` and its FileHandle: `FileHandle.close()` makes its promise in C++ under
 * `CHECK(!maybe_resolver.IsEmpty())` (node_file.cc, `FileHandle::ClosePromise`, still there in
 * Node 20-24). When V8 refuses to make that promise because the thread is being terminated, the
 * CHECK aborts the whole process, main thread and all. The pool terminates a thread whose task
 * ignored its stop (src/workers/pool.ts), so a task closing a file in a `finally` at that moment
 * took the engine down: CI saw it once, in test/workers/pool-stop.test.ts (session 14). The
 * callback API makes no promise in C++ and checks nothing of the kind. A descriptor a terminated
 * thread leaves open is closed with the thread (worker_threads' trackUnmanagedFds, on by default).
 */
import { close, fstat, open, read, type Stats, write } from 'node:fs';

/** Opens `path` with `flags` ('r', 'wx', 'w+', ...); the descriptor number. */
export function openFd(path: string, flags: string, mode = 0o666): Promise<number> {
  return new Promise((resolve, reject) => {
    open(path, flags, mode, (err, fd) => (err ? reject(err) : resolve(fd)));
  });
}

/** Closes `fd`. */
export function closeFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    close(fd, (err) => (err ? reject(err) : resolve()));
  });
}

/** The file's status. */
export function fstatFd(fd: number): Promise<Stats> {
  return new Promise((resolve, reject) => {
    fstat(fd, (err, st) => (err ? reject(err) : resolve(st)));
  });
}

/** One read of up to `length` bytes at `position` into `target` from `offset`; the bytes read (0 at the end). */
export function readFd(fd: number, target: Uint8Array, offset: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    read(fd, target, offset, length, position, (err, bytesRead) => (err ? reject(err) : resolve(bytesRead)));
  });
}

/** Fills `target` from `offset` with bytes from `position` on; fewer only at the end of the file. */
export async function readFullyFd(fd: number, target: Uint8Array, offset: number, length: number, position: number): Promise<number> {
  let done = 0;
  while (done < length) {
    const n = await readFd(fd, target, offset + done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/** Writes all of `data` at `position` (several calls if the kernel takes less at a time). */
export async function writeAllFd(fd: number, data: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    done += await new Promise<number>((resolve, reject) => {
      write(fd, data, done, data.length - done, position + done, (err, written) => (err ? reject(err) : resolve(written)));
    });
  }
}
