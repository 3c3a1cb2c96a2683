/**
 * iterateRowBlocks with reuseBuffer reads the next block while the caller decodes this one
 * (two buffers in turn): the blocks are the plain path's, no read is left running when the caller
 * stops early, and maxBytes refuses at the same block as without read-ahead.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FitsError } from '../../src/fits/errors.js';
import { FitsFile } from '../../src/fits/file.js';
import { describeTable, encodeBinTable, iterateRowBlocks, readNumericColumn, type TableSource } from '../../src/fits/table/index.js';
import { encodeFits } from '../../src/fits/writer.js';

const ROWS = 1000;

async function table(): Promise<FitsFile> {
  const a = new Float64Array(ROWS).map((_, i) => i * 1.5 - 7);
  const b = new Float32Array(ROWS).map((_, i) => (i % 7 === 0 ? Number.NaN : i / 3));
  const t = encodeBinTable([{ name: 'A', values: a }, { name: 'B', values: b }], { extname: 'T' });
  return FitsFile.fromBuffer(Buffer.from(await encodeFits([{ axes: [] }, { type: 'table', ...t }])));
}

/** The file as a TableSource that counts readInto calls still running. */
function counted(file: FitsFile): { source: TableSource; running: () => number; most: () => number } {
  let running = 0;
  let most = 0;
  const source: TableSource = {
    hdus: file.hdus,
    readBytes: (offset, length) => file.readBytes(offset, length),
    readInto: async (target, offset, parallel) => {
      running++;
      most = Math.max(most, running);
      try {
        await new Promise((r) => setTimeout(r, 1));
        await file.readInto(target, offset, parallel);
      } finally {
        running--;
      }
    },
  };
  return { source, running: () => running, most: () => most };
}

describe('table read-ahead', () => {
  it('yields the blocks the plain path yields, with the next read in flight meanwhile', async () => {
    const file = await table();
    const hdu = file.hdus[1]!;
    const d = describeTable(hdu);
    const chunkBytes = 12 * 97; // 97 rows of 12 bytes a block: 11 blocks, the last one short
    const plain: Array<[number, number, string]> = [];
    for await (const blk of iterateRowBlocks(file, hdu, d, d.columns, { chunkBytes, offset: 5, limit: 990 })) {
      plain.push([blk.start, blk.n, Buffer.from(blk.bytes).toString('hex')]);
    }
    const c = counted(file);
    const ahead: Array<[number, number, string]> = [];
    const inFlight: number[] = [];
    for await (const blk of iterateRowBlocks(c.source, hdu, d, d.columns, { chunkBytes, offset: 5, limit: 990, reuseBuffer: true })) {
      inFlight.push(c.running());
      ahead.push([blk.start, blk.n, Buffer.from(blk.bytes).toString('hex')]);
      await new Promise((r) => setTimeout(r, 2)); // the caller's decoding
    }
    assert.equal(plain.length, 11);
    assert.deepEqual(ahead, plain);
    assert.deepEqual(inFlight, [...Array<number>(10).fill(1), 0], 'each block handed over while the next one is being read');
    assert.equal(c.most(), 1, 'one read at a time');
    assert.equal(c.running(), 0);
    const col = await readNumericColumn(c.source, 1, 'A');
    assert.deepEqual(Array.from(col.values), Array.from({ length: ROWS }, (_, i) => i * 1.5 - 7));
    await file.close();
  });

  it('leaves no read running when the caller stops early', async () => {
    const file = await table();
    const hdu = file.hdus[1]!;
    const d = describeTable(hdu);
    const c = counted(file);
    let seen = 0;
    for await (const blk of iterateRowBlocks(c.source, hdu, d, d.columns, { chunkBytes: 1200, reuseBuffer: true })) {
      seen += blk.n;
      if (seen >= 200) break;
    }
    assert.equal(c.running(), 0);
    await file.close();
  });

  it('refuses past maxBytes at the same block as the plain path', async () => {
    const file = await table();
    const hdu = file.hdus[1]!;
    const d = describeTable(hdu);
    const blocksBefore = async (reuseBuffer: boolean) => {
      let n = 0;
      try {
        for await (const _ of iterateRowBlocks(file, hdu, d, d.columns, { chunkBytes: 1200, maxBytes: 3500, reuseBuffer })) n++;
      } catch (e) {
        assert.ok(e instanceof FitsError && e.code === 'FITS_TOO_LARGE');
        return n;
      }
      assert.fail('no FITS_TOO_LARGE');
    };
    assert.equal(await blocksBefore(false), 2);
    assert.equal(await blocksBefore(true), 2);
    await file.close();
  });

  it('reuses the previous scan\'s buffers and still yields each scan\'s own bytes (bigger, smaller, side by side)', async () => {
    const big = await table();
    const rows = 300;
    const c = encodeBinTable([{ name: 'C', values: new Float64Array(rows).map((_, i) => -i - 0.25) }], { extname: 'S' });
    const small = await FitsFile.fromBuffer(Buffer.from(await encodeFits([{ axes: [] }, { type: 'table', ...c }])));
    const blocks = async (file: FitsFile, chunkBytes: number, reuseBuffer: boolean) => {
      const hdu = file.hdus[1]!;
      const d = describeTable(hdu);
      const out: string[] = [];
      for await (const blk of iterateRowBlocks(file, hdu, d, d.columns, { chunkBytes, reuseBuffer })) out.push(`${blk.start}+${blk.n}:${Buffer.from(blk.bytes).toString('hex')}`);
      return out;
    };
    const plainBig = await blocks(big, 1200, false);
    const plainSmall = await blocks(small, 800, false);
    for (let round = 0; round < 2; round++) {
      assert.deepEqual(await blocks(big, 1200, true), plainBig);
      assert.deepEqual(await blocks(small, 800, true), plainSmall);
      assert.deepEqual(await blocks(big, 4000, true), await blocks(big, 4000, false));
    }
    const [a, b] = await Promise.all([blocks(big, 1200, true), blocks(small, 800, true)]);
    assert.deepEqual(a, plainBig);
    assert.deepEqual(b, plainSmall);
    // the column read's result is not cleared first: every value still comes from the table
    for (let round = 0; round < 3; round++) {
      assert.deepEqual(Array.from((await readNumericColumn(small, 1, 'C')).values), Array.from({ length: rows }, (_, i) => -i - 0.25));
      assert.deepEqual(Array.from((await readNumericColumn(big, 1, 'A', { offset: 10, limit: 500 })).values), Array.from({ length: 500 }, (_, i) => (i + 10) * 1.5 - 7));
    }
    await big.close();
    await small.close();
  });
});
