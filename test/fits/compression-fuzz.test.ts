/**
 * Corrupt compressed data gives FitsError and nothing else: no other exception, no hang, no huge
 * allocation. Mutates the data units (tile table and heap) of real compressed files and feeds
 * random bytes straight to each codec.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { FitsFile } from '../../src/fits/file.js';
import { readPlane } from '../../src/fits/image.js';
import { FitsError } from '../../src/fits/errors.js';
import { decodeGzipTile, decodeHcompress, decodePlio, decodeRice, decompressLzw, decompressTable } from '../../src/fits/compression/index.js';
import { corpusPath } from './corpus.js';
import { REPO_ROOT } from '../helpers/paths.js';

function onlyFitsErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof FitsError)) throw e;
  }
}

const FILES = [
  corpusPath('astropy-m13_rice.fits'),
  corpusPath('astropy-m13_gzip.fits'),
  corpusPath('astropy-m13_hcomp.fits'),
  corpusPath('astropy-m13_plio.fits'),
  corpusPath('astropy-compressed_with_nan.fits'),
  join(REPO_ROOT, 'test/fixtures/fits-compression/gzip2_int16.fits'),
  join(REPO_ROOT, 'test/fixtures/fits-compression/hcomp_int16_smooth.fits'),
  // HCOMPRESS in WebAssembly: odd tiles (the first image of hcomp_edges), 64-bit arithmetic (int32)
  join(REPO_ROOT, 'test/fixtures/fits-compression/hcomp_edges.fits'),
  join(REPO_ROOT, 'test/fixtures/fits-compression/hcomp_int32.fits'),
  join(REPO_ROOT, 'test/fixtures/fits-compression/rice_float64_dither2.fits'),
  join(REPO_ROOT, 'test/fixtures/fits-compression/cube_rice_int16.fits'),
];

for (const path of FILES) {
  test(`fuzz: mutated data of ${path.split('/').pop()} decodes or fails with FitsError`, async () => {
    const original = readFileSync(path);
    const probe = await FitsFile.fromBuffer(original);
    const hdu = probe.hdus[1]!;
    const start = hdu.dataOffset;
    const end = hdu.dataOffset + hdu.dataBytes;
    await probe.close();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ at: fc.nat(), value: fc.nat(255), mode: fc.constantFrom('set', 'flip') }), { minLength: 1, maxLength: 12 }),
        fc.boolean(),
        async (mutations, tableOnly) => {
          const buf = Buffer.from(original);
          // half of the runs hit the tile table (descriptors, ZSCALE, ZZERO), half anywhere
          const span = tableOnly ? Math.min(end - start, hdu.storedAxes[0]! * hdu.storedAxes[1]!) : end - start;
          for (const m of mutations) {
            const i = start + (m.at % span);
            buf[i] = m.mode === 'set' ? m.value : buf[i]! ^ (1 << (m.value & 7));
          }
          const file = await FitsFile.fromBuffer(buf);
          try {
            const plane = await readPlane(file, 1, { maxElements: 1 << 20 });
            assert.ok(plane.data.length <= 1 << 20);
          } catch (e) {
            if (!(e instanceof FitsError)) throw e;
          } finally {
            await file.close();
          }
        },
      ),
      { numRuns: 40, seed: 20241128 },
    );
  });
}

test('fuzz: random bytes into each codec give only FitsError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 600 }), fc.integer({ min: 1, max: 4000 }), fc.constantFrom(1, 2, 4), (bytes, count, bytepix) => {
      onlyFitsErrors(() => decodeRice(bytes, count, 32, bytepix));
      onlyFitsErrors(() => decodeGzipTile(bytes, count, bytepix === 2));
      onlyFitsErrors(() => decodePlio(new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length >> 1), count));
      const hc = Uint8Array.from([0xdd, 0x99, ...bytes]);
      onlyFitsErrors(() => decodeHcompress(hc, bytepix === 4, 4096));
      onlyFitsErrors(() => decompressLzw(Uint8Array.from([0x1f, 0x9d, 0x80 | (9 + (count % 8)), ...bytes]), { maxOutputBytes: 1 << 20 }));
    }),
    { numRuns: 400, seed: 7 },
  );
});

test('fuzz: plausible HCOMPRESS headers with random bodies give only FitsError', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 64 }), fc.uint8Array({ minLength: 3, maxLength: 400 }), (nx, ny, body) => {
      const head = Buffer.alloc(22);
      head[0] = 0xdd;
      head[1] = 0x99;
      head.writeInt32BE(nx, 2);
      head.writeInt32BE(ny, 6);
      head.writeInt32BE(body[0]! % 4, 10);
      const planes = [body[0]! % 20, body[1]! % 20, body[2]! % 20];
      onlyFitsErrors(() => decodeHcompress(Uint8Array.from([...head, ...planes, ...body]), true, nx * ny));
    }),
    { numRuns: 400, seed: 11 },
  );
});

test('fuzz: mutated data of the compressed table nomtam-bt12.fits.fz decompresses or fails with FitsError', async () => {
  const original = readFileSync(corpusPath('nomtam-bt12.fits.fz'));
  const probe = await FitsFile.fromBuffer(original);
  const { dataOffset, dataBytes } = probe.hdus[1]!;
  await probe.close();
  await fc.assert(
    fc.asyncProperty(fc.array(fc.record({ at: fc.nat(), value: fc.nat(255) }), { minLength: 1, maxLength: 8 }), async (mutations) => {
      const buf = Buffer.from(original);
      for (const m of mutations) buf[dataOffset + (m.at % dataBytes)] = m.value;
      const file = await FitsFile.fromBuffer(buf);
      try {
        await decompressTable(file, file.hdus[1]!);
      } catch (e) {
        if (!(e instanceof FitsError)) throw e;
      } finally {
        await file.close();
      }
    }),
    { numRuns: 100, seed: 3 },
  );
});
