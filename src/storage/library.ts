/**
 * The FITS files on disk under DATA_DIR and, with STORAGE_PROVIDER=s3, the objects of the bucket,
 * grouped by observation (`mast/{obs_id}/...`) or by folder. Paths are given relative to DATA_DIR
 * (= object keys; what every `file_path` parameter takes), never absolute.
 */
import { opendir, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import type { StorageProvider } from './provider.js';

export interface LibraryFile {
  readonly filePath: string;
  readonly name: string;
  readonly sizeBytes: number;
  readonly modifiedAt: string;
}

export interface LibraryGroup {
  /** `obs_id` for files under mast/{obs_id}/, otherwise the folder relative to DATA_DIR ('' = top). */
  readonly key: string;
  readonly kind: 'observation' | 'folder';
  readonly files: LibraryFile[];
}

export interface ListLibraryOptions {
  readonly mastDir?: string;
  /** Stop after this many files (a bound for huge trees). */
  readonly maxFiles?: number;
  readonly maxDepth?: number;
  /** The object store: its objects are listed first (an object and a local file of one path: the object). */
  readonly objects?: StorageProvider;
}

const FITS_NAME = /\.(fits|fit|fts)(\.gz|\.bz2|\.fz)?$|\.fz$/i;

export async function listLibrary(dataDir: string, options: ListLibraryOptions = {}): Promise<{ groups: LibraryGroup[]; truncated: boolean }> {
  const maxFiles = options.maxFiles ?? 5000;
  const maxDepth = options.maxDepth ?? 6;
  const mastDir = options.mastDir ?? join(dataDir, 'mast');
  const groups = new Map<string, { kind: LibraryGroup['kind']; files: LibraryFile[] }>();
  let count = 0;
  let truncated = false;
  const seen = new Set<string>();
  const mastRel = relative(dataDir, mastDir).split(sep).join('/');
  const mastPrefix = mastRel === '' ? '' : `${mastRel}/`;
  const mastInside = !mastRel.startsWith('..') && !isAbsolute(mastRel);

  const add = (filePath: string, sizeBytes: number, modifiedAt: Date): boolean => {
    if (seen.has(filePath)) return true;
    if (count >= maxFiles) {
      truncated = true;
      return false;
    }
    seen.add(filePath);
    count++;
    const parts = filePath.split('/');
    const name = parts.pop() ?? filePath;
    const inMast = mastInside && filePath.startsWith(mastPrefix);
    const key = inMast ? filePath.slice(mastPrefix.length).split('/')[0] ?? '' : parts.join('/');
    const id = `${inMast ? 'o' : 'f'}:${key}`;
    const group = groups.get(id) ?? { kind: inMast ? 'observation' : 'folder', files: [] };
    group.files.push({ filePath, name, sizeBytes, modifiedAt: modifiedAt.toISOString() });
    groups.set(id, group);
    return true;
  };

  if (options.objects) {
    for await (const o of options.objects.list('')) {
      const parts = o.key.split('/');
      if (parts.length - 1 > maxDepth || parts.some((p) => p.startsWith('.')) || !FITS_NAME.test(parts.at(-1) ?? '')) continue;
      if (!add(o.key, o.size, o.modifiedAt)) break;
    }
  }

  async function walk(dir: string, depth: number): Promise<void> {
    if (depth > maxDepth || truncated) return;
    let handle;
    try {
      handle = await opendir(dir);
    } catch {
      return;
    }
    for await (const entry of handle) {
      if (entry.name.startsWith('.')) continue; // state folders, temporary files
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        await walk(full, depth + 1);
      } else if (entry.isFile() && FITS_NAME.test(entry.name)) {
        if (truncated) return;
        const info = await stat(full).catch(() => undefined);
        if (!info) continue;
        if (!add(relative(dataDir, full).split(sep).join('/'), info.size, info.mtime)) return;
      }
    }
  }

  if (!truncated) await walk(dataDir, 0);
  const out: LibraryGroup[] = [...groups.entries()].map(([k, g]) => ({
    key: k.slice(2),
    kind: g.kind,
    files: g.files.sort((a, b) => a.name.localeCompare(b.name)),
  }));
  out.sort((a, b) => (a.kind === b.kind ? a.key.localeCompare(b.key) : a.kind === 'observation' ? -1 : 1));
  return { groups: out, truncated };
}
