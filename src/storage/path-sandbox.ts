/**
 * The one path sandbox every `file_path` parameter goes through: paths are relative to DATA_DIR,
 * and whatever they name (after symlinks are followed) must stay inside it.
 * Messages are the upstream engine's, so clients that show them keep working.
 */
import type { Stats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, sep } from 'node:path';
import { AccessDeniedError, BadRequestError, NotFoundError } from '../errors.js';
import type { StorageProvider } from './provider.js';

export interface ResolveOptions {
  /** Accept directories instead of requiring a regular file. */
  readonly allowDirectory?: boolean;
  /** Only check the path's form and containment; it may not exist yet (for outputs). */
  readonly mayNotExist?: boolean;
}

/** Rejects paths that can never be valid, before touching the file system. */
export function checkRelativePath(relPath: string): void {
  if (relPath.length === 0 || relPath.includes('\0')) throw new AccessDeniedError('Access denied: invalid path');
  if (isAbsolute(relPath) || /^[a-zA-Z]:[\\/]/.test(relPath)) throw new AccessDeniedError('Access denied: invalid path');
  const parts = relPath.split(/[\\/]+/);
  if (parts.includes('..')) throw new AccessDeniedError('Access denied: invalid path');
}

/**
 * Resolves `relPath` inside `root` and returns the real absolute path.
 * Throws 403 for escapes, 404 for a missing file, 400 for a non-file.
 */
export async function resolveInside(root: string, relPath: string, options: ResolveOptions = {}): Promise<string> {
  return (await resolveInsideStat(root, relPath, options)).real;
}

/**
 * The real path of each root (DATA_DIR) met so far. `realpath` of `root/relPath` resolves the root's
 * own symlinks too, so the root's real path is only needed for the containment check: a path found
 * outside the remembered one is checked again against the root resolved afresh (the root may have
 * been moved or re-pointed), so a request costs one `realpath` and one `stat`, not two and two.
 */
const realRoots = new Map<string, string>();

async function realRootOf(root: string, fresh: boolean): Promise<string> {
  let real = fresh ? undefined : realRoots.get(root);
  if (real === undefined) {
    real = await realpath(root).catch(() => root);
    realRoots.set(root, real);
  }
  return real;
}

function isInside(real: string, realRoot: string): boolean {
  return real === realRoot || real.startsWith(realRoot + sep);
}

/** resolveInside, with the `stat` of what it found (none for a path that may not exist and does not). */
async function resolveInsideStat(root: string, relPath: string, options: ResolveOptions = {}): Promise<{ real: string; info?: Stats }> {
  checkRelativePath(relPath);
  let real: string;
  try {
    real = await realpath(join(root, relPath));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      if (options.mayNotExist) {
        // The nearest existing ancestor must still be inside the root once its symlinks are followed.
        const realRoot = await realRootOf(root, true);
        const candidate = join(realRoot, relPath);
        await assertAncestorInside(realRoot, candidate);
        return { real: candidate };
      }
      throw new NotFoundError(`File not found: ${basename(relPath)}`);
    }
    throw new BadRequestError('Invalid file path');
  }
  if (!isInside(real, await realRootOf(root, false)) && !isInside(real, await realRootOf(root, true))) {
    throw new AccessDeniedError('Access denied: path outside allowed directory');
  }
  const info = await stat(real);
  if (!info.isFile() && !(options.allowDirectory && info.isDirectory())) {
    throw new BadRequestError('Path is not a file');
  }
  return { real, info };
}

async function assertAncestorInside(realRoot: string, candidate: string): Promise<void> {
  let dir = dirname(candidate);
  for (;;) {
    try {
      const real = await realpath(dir);
      if (!isInside(real, realRoot)) {
        throw new AccessDeniedError('Access denied: path outside allowed directory');
      }
      return;
    } catch (err) {
      if (err instanceof AccessDeniedError) throw err;
      const parent = dirname(dir);
      if (parent === dir) return;
      dir = parent;
    }
  }
}

/** An input file as the readers take it: a local path or an `s3://bucket/key` location. */
export interface ResolvedInput {
  readonly path: string;
  readonly size: number;
  /** Changes when the file changes (ETags of answers include it). */
  readonly version: string;
}

/**
 * A sandbox bound to one root directory and, with STORAGE_PROVIDER=s3, the object store: inputs are
 * looked up as objects first (key = the relative path, checked by the key rules), then as files
 * under the root (job outputs and saved files are still written locally).
 */
export class PathSandbox {
  constructor(readonly root: string, readonly objects?: StorageProvider) {}

  resolve(relPath: string, options?: ResolveOptions): Promise<string> {
    return resolveInside(this.root, relPath, options);
  }

  /** An existing input file: the object when there is one, else the local file (403/404/400 as resolve). */
  async resolveInput(relPath: string): Promise<ResolvedInput> {
    checkRelativePath(relPath);
    if (this.objects) {
      const key = relPath.split(/[\\/]+/).filter((p) => p !== '' && p !== '.').join('/');
      const found = await this.objects.stat(key);
      if (found) return { path: this.objects.location(key), size: found.size, version: `${found.etag}-${found.size}` };
    }
    const { real, info } = await resolveInsideStat(this.root, relPath);
    return { path: real, size: info!.size, version: `${info!.ino}-${info!.size}-${info!.mtimeMs}` };
  }
}
