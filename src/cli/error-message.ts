/**
 * One sentence for an error the CLI reports: file-system errors name the file and say what is
 * wrong in words (never a raw `ENOENT: no such file or directory, stat '...'`).
 */
import { relative, isAbsolute } from 'node:path';

const FILE_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'does not exist',
  EACCES: 'cannot be read (permission denied)',
  EPERM: 'cannot be accessed (operation not permitted)',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'has a path through something that is not a directory',
  ELOOP: 'is a loop of symbolic links',
  ENAMETOOLONG: 'has a name too long for the file system',
  EMFILE: 'could not be opened: too many open files',
  ENOSPC: 'could not be written: the disk is full',
  EROFS: 'could not be written: the file system is read-only',
};

interface SystemError {
  readonly code?: unknown;
  readonly path?: unknown;
}

/** The path as the user would write it: relative to the working directory when inside it. */
function shown(path: string): string {
  if (!isAbsolute(path)) return path;
  const rel = relative(process.cwd(), path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

export function cliErrorMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // The system error may be the cause of a library error (e.g. FITS_IO "cannot open ...: ENOENT").
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const { code, path } = e as SystemError;
    if (typeof code === 'string' && typeof path === 'string') {
      const what = FILE_ERRORS[code];
      return what ? `${shown(path)} ${what}.` : `${shown(path)} could not be used (${code}).`;
    }
  }
  return err.message;
}
