/** Shared pieces of the download tests: seeded data, a fake server and observations on it, a file entry, an injectable disk. */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChunkFetcher, createDownloadAgent } from '../../src/downloads/chunk-fetcher.js';
import { DiskFullError } from '../../src/downloads/errors.js';
import { nodeFileLayer, type FileLayer } from '../../src/downloads/file-layer.js';
import { newFileEntry, type FileEntry } from '../../src/downloads/job.js';
import type { StaticProductSource, RemoteProduct } from '../../src/downloads/product-source.js';
import { FakeDownloadEndpoint, startDownloadServer, type DownloadFaults } from '../fake-mast/download-endpoint.js';

export function seededBytes(length: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(length);
  let a = seed >>> 0;
  for (let i = 0; i < length; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (t ^ (t >>> 14)) & 0xff;
  }
  return out;
}

export const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

export async function tempDir(prefix = 'jwst-dl-'): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Runs `fn` with a fresh temporary directory, removed afterwards whatever `fn` does. */
export async function inTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const tmp = await tempDir();
  try {
    return await fn(tmp.dir);
  } finally {
    await tmp.remove();
  }
}

export async function fakeServer() {
  const endpoint = new FakeDownloadEndpoint();
  const server = await startDownloadServer(endpoint);
  return { endpoint, server, url: (uri: string) => FakeDownloadEndpoint.urlFor(server.url, uri) };
}

/**
 * Observation number `n` (jw0{n}-o001_t001_nircam) on the fake server: one file of seeded bytes
 * per size (seed 100 n + i), each with its faults, listed in `products`. Returns its id, each
 * file's contents by name and the files' data URIs.
 */
export function serveObservation(
  fake: Awaited<ReturnType<typeof fakeServer>>, products: StaticProductSource, n: number, sizes: number[], faults: Array<DownloadFaults | undefined> = [],
) {
  const obsId = `jw0${n}-o001_t001_nircam`;
  const list: RemoteProduct[] = [];
  const data = new Map<string, Buffer>();
  sizes.forEach((size, i) => {
    const filename = `${obsId}_${i}_cal.fits`;
    const uri = `mast:JWST/product/${filename}`;
    const bytes = seededBytes(size, n * 100 + i);
    fake.endpoint.addFile(uri, bytes, faults[i] ?? {});
    data.set(filename, bytes);
    list.push({ filename, url: fake.url(uri), dataUri: uri, size });
  });
  products.set(obsId, list);
  return { obsId, data, uris: list.map((p) => p.dataUri!) };
}

export function testFetcher(stallTimeoutMs = 2000, extra: { token?: string; tokenOrigin?: string } = {}): ChunkFetcher {
  return new ChunkFetcher({ dispatcher: createDownloadAgent(8), stallTimeoutMs, ...extra });
}

export function entryFor(dir: string, filename: string, url: string): FileEntry {
  return newFileEntry({ filename, url, dataUri: null, localPath: join(dir, filename), relativePath: filename, totalBytes: undefined });
}

/** The real file system, except that writes fail with ENOSPC once `capacity` bytes are written. */
export function diskThatFillsUp(capacity: number): FileLayer & { written: number; capacity: number } {
  const layer = {
    ...nodeFileLayer,
    written: 0,
    capacity,
    async openWritable(path: string) {
      const inner = await nodeFileLayer.openWritable(path);
      return {
        ...inner,
        write: async (data: Uint8Array, position: number) => {
          const room = Math.max(0, layer.capacity - layer.written);
          if (data.length <= room) {
            await inner.write(data, position);
            layer.written += data.length;
            return;
          }
          if (room > 0) await inner.write(data.subarray(0, room), position);
          layer.written += room;
          throw new DiskFullError(`disk full while writing ${path}`, room, Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }));
        },
        truncate: (n: number) => inner.truncate(n),
        sync: () => inner.sync(),
        close: () => inner.close(),
      };
    },
  };
  return layer;
}
