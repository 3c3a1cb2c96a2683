/**
 * The FITS files on disk under DATA_DIR, grouped by observation (`mast/{obs_id}/...`) or by folder.
 * Paths are given relative to DATA_DIR (what every `file_path` parameter takes), never absolute.
 */
import { opendir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

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
}

const FITS_NAME = /\.(fits|fit|fts)(\.gz|\.bz2|\.fz)?$|\.fz$/i;

export async function listLibrary(dataDir: string, options: ListLibraryOptions = {}): Promise<{ groups: LibraryGroup[]; truncated: boolean }> {
  const maxFiles = options.maxFiles ?? 5000;
  const maxDepth = options.maxDepth ?? 6;
  const mastDir = options.mastDir ?? join(dataDir, 'mast');
  const groups = new Map<string, { kind: LibraryGroup['kind']; files: LibraryFile[] }>();
  let count = 0;
  let truncated = false;

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
        if (count >= maxFiles) {
          truncated = true;
          return;
        }
        const info = await stat(full).catch(() => undefined);
        if (!info) continue;
        count++;
        const inMast = full.startsWith(mastDir + sep);
        const key = inMast ? relative(mastDir, full).split(sep)[0] ?? '' : relative(dataDir, dir);
        const group = groups.get(`${inMast ? 'o' : 'f'}:${key}`) ?? { kind: inMast ? 'observation' : 'folder', files: [] };
        group.files.push({
          filePath: relative(dataDir, full).split(sep).join('/'),
          name: entry.name,
          sizeBytes: info.size,
          modifiedAt: info.mtime.toISOString(),
        });
        groups.set(`${inMast ? 'o' : 'f'}:${key}`, group);
      }
    }
  }

  await walk(dataDir, 0);
  const out: LibraryGroup[] = [...groups.entries()].map(([k, g]) => ({
    key: k.slice(2),
    kind: g.kind,
    files: g.files.sort((a, b) => a.name.localeCompare(b.name)),
  }));
  out.sort((a, b) => (a.kind === b.kind ? a.key.localeCompare(b.key) : a.kind === 'observation' ? -1 : 1));
  return { groups: out, truncated };
}
