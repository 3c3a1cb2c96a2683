/**
 * Optional size bound of the download folder (MAST_CACHE_MAX_BYTES): when the observations on disk
 * exceed it, whole observation folders are removed, least recently used first (latest atime or
 * mtime of their files), skipping every observation a queued, running or paused job needs.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { STATE_DIR_NAME } from './legacy-state.js';

export interface CacheBoundReport {
  readonly totalBytesBefore: number;
  readonly totalBytesAfter: number;
  readonly evicted: string[];
}

interface ObsUsage {
  obsId: string;
  bytes: number;
  lastUsedMs: number;
}

async function usageOf(downloadDir: string): Promise<ObsUsage[]> {
  const out: ObsUsage[] = [];
  for (const d of await readdir(downloadDir, { withFileTypes: true }).catch(() => [])) {
    if (!d.isDirectory() || d.name === STATE_DIR_NAME) continue;
    const dir = join(downloadDir, d.name);
    let bytes = 0;
    let lastUsedMs = 0;
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const info = await stat(join(dir, name)).catch(() => undefined);
      if (!info?.isFile()) continue;
      bytes += info.size;
      lastUsedMs = Math.max(lastUsedMs, info.atimeMs, info.mtimeMs);
    }
    out.push({ obsId: d.name, bytes, lastUsedMs });
  }
  return out;
}

export async function enforceCacheBound(downloadDir: string, maxBytes: number, protectedObsIds: ReadonlySet<string>): Promise<CacheBoundReport> {
  const usage = await usageOf(downloadDir);
  const before = usage.reduce((s, u) => s + u.bytes, 0);
  let total = before;
  const evicted: string[] = [];
  for (const u of usage.sort((a, b) => a.lastUsedMs - b.lastUsedMs)) {
    if (total <= maxBytes) break;
    if (protectedObsIds.has(u.obsId)) continue;
    await rm(join(downloadDir, u.obsId), { recursive: true, force: true });
    total -= u.bytes;
    evicted.push(u.obsId);
  }
  return { totalBytesBefore: before, totalBytesAfter: total, evicted };
}
