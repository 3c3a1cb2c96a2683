/**
 * A plane read in a worker thread (an engine pool thread) equals the same read on the main thread.
 * Plain reads in a worker are synchronous; a plane over one pipeline chunk (4 MiB) is read with
 * several asynchronous reads in flight instead (src/fits/image.ts readNative): both paths here.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { encodeFits, FitsFile, readPlane } from '../../src/fits/index.js';

function readInWorker(path: string, hdu: number): Promise<{ width: number; height: number; data: Float32Array | Float64Array }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(fileURLToPath(new URL('../fixtures/fits/read-plane-worker.cjs', import.meta.url)), { workerData: { path, hdu } });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`worker exited with ${code}`))));
  });
}

test('planes read in a worker thread equal the main thread’s (pipelined float32 over 4 MiB, float64, int16 scaled)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fits-worker-read-'));
  try {
    const wide = 1100;
    const tall = 1031; // 4.3 MiB of float32: two pipeline chunks, the second one short
    const f32 = Float32Array.from({ length: wide * tall }, (_, i) => (i % 977 === 0 ? NaN : Math.sin(i) * 1e3 + i / 7));
    const f64 = Float64Array.from({ length: 300 * 200 }, (_, i) => Math.cos(i) * 1e-3);
    const scaled = Float32Array.from({ length: 64 * 50 }, (_, i) => 10 + 0.5 * ((i * 37) % 2000 - 1000));
    const path = join(dir, 'planes.fits');
    await writeFile(path, await encodeFits([
      { data: f32, axes: [wide, tall], bitpix: -32 },
      { data: f64, axes: [300, 200], bitpix: -64 },
      { data: scaled, axes: [64, 50], bitpix: 16, bscale: 0.5, bzero: 10 },
    ]));
    const file = await FitsFile.open(path);
    try {
      for (const hdu of [0, 1, 2]) {
        const main = await readPlane(file, hdu);
        const other = await readInWorker(path, hdu);
        assert.equal(other.width, main.width);
        assert.equal(other.height, main.height);
        assert.equal(other.data.constructor, main.data.constructor);
        assert.deepEqual(new Uint8Array(other.data.buffer, other.data.byteOffset, other.data.byteLength), new Uint8Array(main.data.buffer, main.data.byteOffset, main.data.byteLength), `HDU ${hdu}`);
      }
      assert.deepEqual(Array.from((await readPlane(file, 0)).data.subarray(0, 5)), Array.from(f32.subarray(0, 5)));
    } finally {
      await file.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
