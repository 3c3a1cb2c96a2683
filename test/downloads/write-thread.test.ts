import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { nodeFileLayer } from '../../src/downloads/file-layer.js';
import { WRITE_PIECE } from '../../src/downloads/write-thread.js';
import { seededBytes, tempDir } from './helpers.js';

describe('file writes in pieces on the write thread', () => {
  it('writes shared and ordinary buffers at their positions, whatever their size and alignment to the pieces', async () => {
    const tmp = await tempDir();
    const path = join(tmp.dir, 'out.part');
    const data = seededBytes(3 * WRITE_PIECE * 11 + 777, 5);
    const file = await nodeFileLayer.openWritable(path);
    // The second half (shared memory: the write thread) before the first (ordinary memory: libuv), and a
    // shared view that does not start at its buffer's start.
    const half = Math.floor(data.length / 2) + 3;
    const shared = Buffer.from(new SharedArrayBuffer(data.length - half + 10));
    data.copy(shared, 10, half);
    const writes = [file.write(shared.subarray(10), half), file.write(Buffer.from(data.subarray(0, half)), 0)];
    // close() waits for writes still under way before the descriptor goes.
    await file.close();
    await Promise.all(writes);
    assert.ok((await readFile(path)).equals(data));
    await tmp.remove();
  });
});
