/**
 * WORKER_PLANE_BUFFER_MB (the pool's `residentPlaneBytes`): a pool thread faults in one plane buffer
 * at its start and pools it, so its first plane read copies into resident memory (docs/fits.md,
 * session 20). This process's main thread has not pre-warmed before the first test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prewarmFitsReader, pooledBufferSizes, releaseBuffer, takeBuffer } from '../../src/fits/index.js';
import { WorkerPool } from '../../src/workers/pool.js';

const MiB = 1024 * 1024;
const PAGE = 4096;

test('prewarmFitsReader({ residentPlaneBytes }): the pooled buffer is already backed (writing it faults no page)', async () => {
  await prewarmFitsReader({ residentPlaneBytes: 64 * MiB });
  assert.deepEqual(pooledBufferSizes(), [64 * MiB]);
  const plane = takeBuffer(64 * MiB);
  const before = process.resourceUsage().minorPageFault;
  for (let at = 0; at < plane.length; at += PAGE) plane[at] = 1;
  const faults = process.resourceUsage().minorPageFault - before;
  // A fresh 64 MiB faults 16,384 times in 4 KiB pages (~660 with glibc.malloc.hugetlb=1); already backed: none
  // of its own (the bound leaves room for the process's other threads).
  assert.ok(faults < 256, `${faults} page faults writing the pre-warmed buffer`);
  releaseBuffer(plane);
});

test('a WorkerPool hands residentPlaneBytes to its threads; without it a thread pools its untouched 64 MiB', async () => {
  for (const [resident, expected] of [[96 * MiB, [96 * MiB]], [16 * MiB, [64 * MiB, 16 * MiB]], [0, [64 * MiB]]] as const) {
    const pool = new WorkerPool({ threads: 1, residentPlaneBytes: resident });
    try {
      const answer = (await pool.run('ping', { pooled: true })) as { pooled?: number[] };
      assert.deepEqual(answer.pooled, expected, `residentPlaneBytes ${resident}`);
    } finally {
      await pool.close();
    }
  }
});
