/** Heap read planning: which merged reads cover a set of byte ranges, and finding each range again. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type ByteRange, HeapBytes, planHeapReads } from '../../src/fits/heap-ranges.js';

const r = (start: number, length: number): ByteRange => ({ start, length });

describe('planHeapReads', () => {
  it('reads nothing for no ranges or only empty ones', () => {
    assert.deepEqual(planHeapReads([], { maxGap: 10 }), []);
    assert.deepEqual(planHeapReads([r(5, 0), r(100, 0)], { maxGap: 10 }), []);
  });

  it('ignores zero-length ranges between others', () => {
    assert.deepEqual(planHeapReads([r(0, 4), r(1000, 0), r(2000, 4)], { maxGap: 10 }), [r(0, 4), r(2000, 4)]);
  });

  it('sorts, and merges neighbours within the gap (touching ones too)', () => {
    assert.deepEqual(planHeapReads([r(30, 5), r(0, 10), r(10, 5), r(20, 5)], { maxGap: 5 }), [r(0, 35)]);
  });

  it('keeps far-apart ranges as separate reads', () => {
    assert.deepEqual(planHeapReads([r(0, 10), r(21, 4), r(1_000_000, 8)], { maxGap: 10 }), [r(0, 10), r(21, 4), r(1_000_000, 8)]);
    assert.deepEqual(planHeapReads([r(0, 10), r(20, 4)], { maxGap: 10 }), [r(0, 24)]);
  });

  it('merges overlapping and duplicate ranges into one read', () => {
    assert.deepEqual(planHeapReads([r(0, 10), r(5, 10), r(5, 10), r(2, 3), r(0, 10)], { maxGap: 0 }), [r(0, 15)]);
  });

  it('stops a read growing past maxReadBytes, but reads a larger single range whole', () => {
    assert.deepEqual(planHeapReads([r(0, 40), r(40, 40), r(80, 40)], { maxGap: 100, maxReadBytes: 100 }), [r(0, 80), r(80, 40)]);
    assert.deepEqual(planHeapReads([r(0, 500), r(500, 10)], { maxGap: 100, maxReadBytes: 100 }), [r(0, 500), r(500, 10)]);
    // a range inside the current read always joins it, whatever the cap
    assert.deepEqual(planHeapReads([r(0, 500), r(10, 10)], { maxGap: 100, maxReadBytes: 100 }), [r(0, 500)]);
  });

  it('lets the cap leave overlapping reads, whose ends still increase', () => {
    assert.deepEqual(planHeapReads([r(0, 60), r(50, 60)], { maxGap: 0, maxReadBytes: 100 }), [r(0, 60), r(50, 60)]);
  });

  it('spends at most maxWasteBytes on gaps', () => {
    const ranges = [r(0, 10), r(15, 10), r(30, 10), r(45, 10)];
    assert.deepEqual(planHeapReads(ranges, { maxGap: 5, maxWasteBytes: 10 }), [r(0, 40), r(45, 10)]);
    assert.deepEqual(planHeapReads(ranges, { maxGap: 5, maxWasteBytes: 0 }), ranges);
    // overlaps cost nothing
    assert.deepEqual(planHeapReads([r(0, 10), r(5, 10)], { maxGap: 5, maxWasteBytes: 0 }), [r(0, 15)]);
  });

  it('covers every range with one read, reads sorted with increasing ends, within the limits (property)', () => {
    const range = fc.record({ start: fc.nat(2000), length: fc.nat(300) });
    const limits = fc.record({ maxGap: fc.nat(200), maxReadBytes: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }) });
    fc.assert(
      fc.property(fc.array(range, { maxLength: 40 }), limits, (ranges, lim) => {
        const reads = planHeapReads(ranges, lim);
        for (let i = 1; i < reads.length; i++) {
          const a = reads[i - 1]!;
          const b = reads[i]!;
          assert.ok(b.start >= a.start && b.start + b.length > a.start + a.length);
        }
        for (const x of ranges) {
          if (x.length === 0) continue;
          assert.ok(reads.some((b) => b.start <= x.start && x.start + x.length <= b.start + b.length));
        }
        // a read is no longer than the cap, unless a single range starting it is
        for (const b of reads) {
          if (lim.maxReadBytes === undefined) continue;
          assert.ok(b.length <= Math.max(lim.maxReadBytes, ...ranges.filter((x) => x.start === b.start).map((x) => x.length)));
        }
      }),
    );
  });
});

describe('HeapBytes', () => {
  const heap = Uint8Array.from({ length: 4096 }, (_, i) => (i * 31) & 0xff);

  async function load(ranges: readonly ByteRange[], maxReadBytes?: number) {
    const reads: ByteRange[] = [];
    const bytes = await HeapBytes.load(ranges, { maxGap: 16, maxReadBytes }, async (start, length) => {
      reads.push(r(start, length));
      return heap.slice(start, start + length);
    });
    return { bytes, reads };
  }

  it('reads as planned and gives every range its own bytes', async () => {
    const ranges = [r(100, 10), r(0, 20), r(105, 3), r(3000, 50), r(20, 0), r(0, 20)];
    const { bytes, reads } = await load(ranges);
    assert.deepEqual(reads, [r(0, 20), r(100, 10), r(3000, 50)]);
    for (const x of ranges) {
      assert.deepEqual(bytes.view(x.start, x.length), heap.subarray(x.start, x.start + x.length));
      const { bytes: chunk, pos } = bytes.locate(x.start, x.length);
      assert.deepEqual(chunk.subarray(pos, pos + x.length), heap.subarray(x.start, x.start + x.length));
    }
  });

  it('finds a range in the right one of two overlapping reads', async () => {
    const { bytes, reads } = await load([r(0, 60), r(50, 60), r(55, 50)], 100);
    assert.deepEqual(reads, [r(0, 60), r(50, 60)]);
    assert.deepEqual(bytes.view(55, 50), heap.subarray(55, 105));
    assert.deepEqual(bytes.view(0, 60), heap.subarray(0, 60));
  });

  it('returns a plain Uint8Array view, not a copy', async () => {
    const buf = Buffer.from(heap);
    const hb = await HeapBytes.load([r(10, 5)], { maxGap: 0 }, async (start, length) => buf.subarray(start, start + length));
    const v = hb.view(10, 5);
    assert.equal(Object.getPrototypeOf(v), Uint8Array.prototype);
    assert.equal(v.buffer, buf.buffer);
  });

  it('refuses a range it did not load', async () => {
    const { bytes } = await load([r(0, 10)]);
    assert.throws(() => bytes.locate(5, 10), { code: 'FITS_BAD_DATA' });
    assert.throws(() => bytes.locate(500, 1), { code: 'FITS_BAD_DATA' });
    assert.deepEqual(bytes.view(500, 0), new Uint8Array(0));
  });
});
