/** processFile: the DQ extension's DO_NOT_USE bit masks pixels, whatever the DQ integer type. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FitsWriter } from '../../src/fits/index.js';
import { processFile } from '../../src/analysis/process-file.js';

describe('processFile DQ mask', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'process-file-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('masks pixels whose DQ has bit 0 set, negative int32 values included', async () => {
    const path = join(dir, 'dq.fits');
    const w = await FitsWriter.create(path);
    await w.writeImage({ axes: [] });
    await w.writeImage({ axes: [3, 2], data: Float32Array.of(1, 2, 3, 4, 5, 6), extname: 'SCI' });
    // -1: every bit (DO_NOT_USE included); 4: another flag only; 1: DO_NOT_USE
    await w.writeImage({ axes: [3, 2], data: Int32Array.of(0, -1, 4, 1, 0, 0), extname: 'DQ' });
    await w.close();
    const r = await processFile({ algorithm: 'statistics', parameters: {}, filePath: path });
    assert.equal(r.results.n_pixels, 4);
    assert.equal(r.results.sum, 1 + 3 + 5 + 6);
  });
});
