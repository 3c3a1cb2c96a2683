/**
 * The FITS ones' complement sum taken in place over the download buffers' shared wasm memory
 * (SharedBufferPool slots, src/fits/ones-sum.ts) gives what the copying path and a plain
 * JavaScript sum give, and a digest thread fed pool buffers verifies a FITS file as this thread
 * does (and notices a flipped data byte).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ContentDigest } from '../../src/downloads/content-digest.js';
import { DigestService, feedFile, sharedBuffers, type StreamDigest } from '../../src/downloads/digest-service.js';
import { nodeFileLayer } from '../../src/downloads/file-layer.js';
import { inPlaceSumBuffer, sharedWasmMemory, sumHeapStart, sumInPlaceOver, wasmOnesSum } from '../../src/fits/ones-sum.js';
import { seededBytes, tempDir } from './helpers.js';

/** Big-endian 32-bit words added and folded with end-around carries, as sum.c does. */
function referenceSum(bytes: Uint8Array): number {
  let s = 0;
  for (let i = 0; i + 4 <= bytes.length; i += 4) s += ((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0;
  while (s > 0xffffffff) s = (s % 2 ** 32) + Math.floor(s / 2 ** 32);
  return s;
}

/** A FITS file with valid sums, and the same with one data byte flipped. */
function goodAndBad(): Array<readonly [Uint8Array, boolean]> {
  const good = new Uint8Array(readFileSync(new URL('../fixtures/fits-corpus/astropy-checksum.fits', import.meta.url)));
  const bad = Uint8Array.from(good);
  bad[bad.length - 100]! ^= 0x40;
  return [[good, true], [bad, false]];
}

/** The digest's result is this thread's for `bytes`, and its DATASUMs verify iff `valid`. */
async function sameAsHere(digest: StreamDigest, bytes: Uint8Array, valid: boolean): Promise<void> {
  const got = await digest.finish();
  const here = new ContentDigest();
  here.update(bytes);
  assert.deepEqual(got, here.finish());
  assert.ok(got.fits.isFits && got.fits.hdus.length > 0);
  assert.equal(got.fits.hdus.every((h) => h.datasum !== 'invalid'), valid);
}

describe('ones complement sums over the pool memory', () => {
  const services: DigestService[] = [];
  after(async () => {
    for (const s of services) await s.close();
  });

  it('in place, at any offset and length, equals the copying path and the reference', () => {
    const memory = sharedWasmMemory(4);
    sumInPlaceOver(memory);
    const data = seededBytes(150_000, 3);
    for (const [offset, length] of [[0, 0], [1, 4], [3, 36], [7, 1000], [0, 131_072], [13, 149_984]] as const) {
      const at = sumHeapStart() + offset;
      const inPlace = new Uint8Array(memory.buffer, at, length);
      inPlace.set(data.subarray(0, length));
      const copy = Uint8Array.from(inPlace);
      const want = referenceSum(copy);
      assert.equal(wasmOnesSum(inPlace), want, `in place, offset ${offset}, ${length} bytes`);
      assert.equal(wasmOnesSum(copy), want, `copied, ${length} bytes`);
    }
    // all ones: a nonzero sum that is 0 modulo 2^32 - 1 stays 0xFFFFFFFF
    const ones = new Uint8Array(memory.buffer, sumHeapStart(), 64).fill(0xff);
    assert.equal(wasmOnesSum(ones), 0xffffffff);
    // a read buffer of its own (the digest thread's read-back)
    const own = inPlaceSumBuffer(4096);
    own.set(data.subarray(0, 4096));
    assert.equal(wasmOnesSum(own.subarray(2, 4094)), referenceSum(data.subarray(2, 4094)));
  });

  it('pool buffers are slots of one shared wasm memory', () => {
    const a = sharedBuffers.take();
    const b = sharedBuffers.take();
    try {
      assert.equal(a.buffer, b.buffer);
      assert.equal(sharedBuffers.where(a.subarray(5, 9)).inPool, true);
      assert.equal(sharedBuffers.where(a.subarray(5, 9)).offset, a.byteOffset + 5);
      assert.equal(sharedBuffers.where(new Uint8Array(new SharedArrayBuffer(8))).inPool, undefined);
    } finally {
      sharedBuffers.give(a);
      sharedBuffers.give(b);
    }
  });

  it('a digest thread fed pool buffers verifies a FITS file as this thread does, and notices a flipped byte', async () => {
    const service = new DigestService();
    services.push(service);
    for (const [bytes, valid] of goodAndBad()) {
      const digest = service.create();
      const buf = sharedBuffers.take();
      try {
        // odd piece sizes: words straddle the updates
        for (let pos = 0; pos < bytes.length; pos += 4093) {
          const n = Math.min(4093, bytes.length - pos);
          buf.set(bytes.subarray(pos, pos + n), 1);
          await digest.update(buf.subarray(1, 1 + n));
        }
      } finally {
        sharedBuffers.give(buf);
      }
      await sameAsHere(digest, bytes, valid);
    }
  });

  it('a digest thread reading a FITS file back (its own wasm read buffer) verifies it as this thread does', async () => {
    const service = new DigestService();
    services.push(service);
    const tmp = await tempDir();
    try {
      for (const [bytes, valid] of goodAndBad()) {
        const path = join(tmp.dir, valid ? 'good.fits' : 'bad.fits');
        await writeFile(path, bytes);
        const digest = service.create();
        assert.ok(digest.updateFromFile, 'hashed on a digest thread');
        await feedFile(digest, nodeFileLayer, path, bytes.length);
        await sameAsHere(digest, bytes, valid);
      }
    } finally {
      await tmp.remove();
    }
  });
});
