/**
 * Client-safe error text. What a client reads (an HTTP `detail`, a job's or a download's `error`)
 * never holds an absolute server path or a raw system message: paths under DATA_DIR become
 * DATA_DIR-relative names, other server paths their last component, and `ENOENT: no such file or
 * directory, open '/x'` a plain sentence. System errors become EngineErrors with a catalogued
 * code (IO_NOT_FOUND, IO_DENIED, IO_NO_SPACE, IO_FAILED, IO_BUSY); anything else unexpected is
 * INTERNAL with a fixed text (the details belong in the log, not in the answer).
 */
import { homedir, tmpdir } from 'node:os';
import { catalogueMessage, type ErrorCode } from './error-catalogue.js';
import { EngineError } from './errors.js';

export interface ClientTextOptions {
  /** DATA_DIR: paths under it are shown relative to it. */
  readonly dataDir?: string;
  /** The text of an unexpected (non-engine, non-system) error. */
  readonly internalMessage?: string;
}

/** System error codes (errno names) and the catalogued code each becomes. */
const SYSTEM_CODES: Readonly<Record<string, ErrorCode>> = {
  ENOENT: 'IO_NOT_FOUND',
  ENOTDIR: 'IO_NOT_FOUND',
  EACCES: 'IO_DENIED',
  EPERM: 'IO_DENIED',
  EROFS: 'IO_DENIED',
  ENOSPC: 'IO_NO_SPACE',
  EDQUOT: 'IO_NO_SPACE',
  EFBIG: 'IO_NO_SPACE',
  EIO: 'IO_FAILED',
  EISDIR: 'IO_FAILED',
  EEXIST: 'IO_FAILED',
  ENAMETOOLONG: 'IO_FAILED',
  ELOOP: 'IO_FAILED',
  EXDEV: 'IO_FAILED',
  ENOTEMPTY: 'IO_FAILED',
  EBADF: 'IO_FAILED',
  EMFILE: 'IO_BUSY',
  ENFILE: 'IO_BUSY',
  EBUSY: 'IO_BUSY',
  EAGAIN: 'IO_BUSY',
  ENOMEM: 'IO_BUSY',
};

/** Short words for an errno name met inside a message ("cannot open x: ENOENT"). */
const SYSTEM_WORDS: Readonly<Record<string, string>> = {
  ENOENT: 'not found',
  ENOTDIR: 'not a folder',
  EACCES: 'permission denied',
  EPERM: 'not permitted',
  EROFS: 'read-only storage',
  ENOSPC: 'disk full',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large',
  EIO: 'disk read or write failed',
  EISDIR: 'is a folder',
  EEXIST: 'already exists',
  ENAMETOOLONG: 'name too long',
  ELOOP: 'too many symbolic links',
  EXDEV: 'cross-device move',
  ENOTEMPTY: 'folder not empty',
  EBADF: 'file closed',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files',
  EBUSY: 'resource busy',
  EAGAIN: 'resource temporarily unavailable',
  ENOMEM: 'out of memory',
};

/** Network errno names: in a message they read as a failed connection. */
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN']);

/** Top-level folders of a server's file system: an absolute path starting with one is a server path. */
const SERVER_ROOTS = new Set([
  'app', 'bin', 'boot', 'data', 'dev', 'etc', 'home', 'lib', 'lib64', 'media', 'mnt', 'nix', 'opt', 'private', 'proc',
  'root', 'run', 'sbin', 'srv', 'sys', 'tmp', 'Users', 'usr', 'var', 'Volumes', 'work', 'workspace',
]);

function firstSegment(path: string): string | undefined {
  return path.split('/').filter(Boolean)[0];
}

const localRoots = (): string[] => [process.cwd(), tmpdir(), homedir()].map(firstSegment).filter((s): s is string => s !== undefined);

/** An absolute path not preceded by a word, a colon, a slash or a dot (so URLs and ratios stay). */
const ABSOLUTE_PATH = /(?<![\w:/.~\-])\/[^\s'"`,;()<>[\]{}|]+/g;
/** Node's system messages: `ENOENT: no such file or directory, open '/x'` (optionally `-> '/y'`, optionally after its code). */
const ERRNO = `(?:${[...Object.keys(SYSTEM_WORDS), ...NETWORK_CODES].join('|')})`;
const SYSTEM_MESSAGE = new RegExp(`(?:\\b${ERRNO} (?=${ERRNO}: ))?\\b(${ERRNO}): [a-z][^,\\n']*(?:, [a-z]+(?: '([^']*)')?(?: -> '[^']*')?)?`, 'g');
const SYSTEM_WORD = new RegExp(`\\b(${Object.keys(SYSTEM_WORDS).join('|')})\\b`, 'g');

function stripPath(path: string, dataDir: string | undefined, roots: Set<string>): string {
  let tail = '';
  while (/[.:]$/.test(path)) {
    tail = path.slice(-1) + tail;
    path = path.slice(0, -1);
  }
  if (dataDir) {
    const root = dataDir.replace(/\/+$/, '');
    if (path === root) return `DATA_DIR${tail}`;
    if (path.startsWith(`${root}/`)) return path.slice(root.length + 1) + tail;
  }
  const first = firstSegment(path);
  if (first === undefined || !roots.has(first)) return path + tail;
  const name = path.split('/').filter(Boolean).pop() ?? '';
  return name + tail;
}

/** `text` with absolute server paths replaced and raw system messages turned into sentences. */
export function scrubText(text: string, options: ClientTextOptions = {}): string {
  const roots = new Set([...SERVER_ROOTS, ...localRoots()]);
  const dataRoot = options.dataDir ? firstSegment(options.dataDir) : undefined;
  if (dataRoot) roots.add(dataRoot);
  return text
    .replace(SYSTEM_MESSAGE, (_m, code: string, path: string | undefined) => {
      const sentence = systemSentence(code);
      const lowered = sentence.charAt(0).toLowerCase() + sentence.slice(1);
      return path?.startsWith('/') ? `${lowered} (${stripPath(path, options.dataDir, new Set([firstSegment(path) ?? '']))})` : lowered;
    })
    .replace(SYSTEM_WORD, (code: string) => SYSTEM_WORDS[code] ?? code)
    .replace(ABSOLUTE_PATH, (p) => stripPath(p, options.dataDir, roots));
}

function systemSentence(errno: string): string {
  if (NETWORK_CODES.has(errno)) return 'A network connection failed';
  const code = Object.hasOwn(SYSTEM_CODES, errno) ? SYSTEM_CODES[errno]! : 'IO_FAILED';
  return catalogueMessage(code);
}

/** The errno name of a Node system error (`ENOENT`, ...), if `err` is one. */
export function systemErrorCode(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const code = (err as NodeJS.ErrnoException).code;
  return typeof code === 'string' && /^E[A-Z0-9]{2,}$/.test(code) ? code : undefined;
}

/** The system error `err` as the EngineError a client may see (IO_*), or undefined. */
function fromSystemError(err: unknown): EngineError | undefined {
  const errno = systemErrorCode(err);
  if (!errno || NETWORK_CODES.has(errno)) return undefined;
  const code = Object.hasOwn(SYSTEM_CODES, errno) ? SYSTEM_CODES[errno]! : 'IO_FAILED';
  switch (code) {
    case 'IO_NOT_FOUND':
      return new EngineError('IO_NOT_FOUND', catalogueMessage('IO_NOT_FOUND'), 404, { cause: err });
    case 'IO_DENIED':
      return new EngineError('IO_DENIED', catalogueMessage('IO_DENIED'), 500, { cause: err });
    case 'IO_NO_SPACE':
      return new EngineError('IO_NO_SPACE', catalogueMessage('IO_NO_SPACE'), 507, { cause: err });
    case 'IO_BUSY':
      return new EngineError('IO_BUSY', catalogueMessage('IO_BUSY'), 503, { cause: err });
    default:
      return new EngineError('IO_FAILED', catalogueMessage('IO_FAILED'), 500, { cause: err });
  }
}

/**
 * `err` as an EngineError fit for a client: an EngineError keeps its code, status and headers
 * with its message scrubbed (the same object when nothing needed scrubbing); a system error
 * becomes IO_*; anything else INTERNAL.
 */
export function toClientError(err: unknown, options: ClientTextOptions = {}): EngineError {
  if (err instanceof EngineError) {
    const message = scrubText(err.message, options);
    if (message === err.message) return err;
    return new EngineError(err.code, message, err.httpStatus, { cause: err, headers: { ...err.headers } });
  }
  return fromSystemError(err)
    ?? new EngineError('INTERNAL', options.internalMessage ?? catalogueMessage('INTERNAL'), 500, { cause: err });
}

/** The client-safe text of any error (for a job's or a file's `error` field). */
export function clientText(err: unknown, options: ClientTextOptions = {}): string {
  return toClientError(err, options).message;
}
