/**
 * Large typed arrays in a task's answer reach the main thread by transfer (worker.ts,
 * moveLargeArrays): the answer is the same as a copied one, and the task's own buffers stay usable.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Piscina } from 'piscina';
import runTask, { MOVE_MIN_BYTES } from '../../src/workers/worker.js';
import { WorkerPool } from '../../src/workers/pool.js';

describe('answers with large arrays', () => {
  it('are handed to piscina with a transfer list of fresh copies, the task value untouched', async () => {
    const r = (await runTask({ task: 'ping', payload: { echoBytes: MOVE_MIN_BYTES } })) as unknown as Record<symbol, unknown>;
    const transfer = r[Piscina.transferableSymbol] as ArrayBuffer[];
    const outcome = r[Piscina.valueSymbol] as { ok: true; value: { bytes: Uint8Array } };
    assert.equal(transfer.length, 1);
    assert.equal(outcome.value.bytes.buffer, transfer[0]);
    assert.equal(outcome.value.bytes.byteLength, MOVE_MIN_BYTES);
    assert.equal(outcome.value.bytes[MOVE_MIN_BYTES - 1], (MOVE_MIN_BYTES - 1) & 255);
  });

  it('small answers are returned as they are', async () => {
    const r = await runTask({ task: 'ping', payload: { echoBytes: 16 } });
    assert.equal(r.ok, true);
    assert.equal((r as { value: { bytes: Uint8Array } }).value.bytes.byteLength, 16);
  });

  it('arrive whole through the pool', async () => {
    const pool = new WorkerPool({ threads: 1 });
    try {
      for (const n of [16, MOVE_MIN_BYTES, 3 * MOVE_MIN_BYTES + 5]) {
        const r = await pool.run<{ bytes: Uint8Array }>('ping', { echoBytes: n });
        assert.equal(r.bytes.byteLength, n);
        assert.ok(r.bytes.every((b, i) => b === (i & 255)));
      }
    } finally {
      await pool.close();
    }
  });
});
