/**
 * HCOMPRESS_1: the WebAssembly decoder (codecs.c hc_decode, behind decodeHcompress) against the
 * TypeScript one (decodeHcompressReference) and against astropy. Files written by astropy cover
 * the quadtree coding, odd and edge tiles, smoothing, 32-bit and quantized float images; streams
 * made here cover what astropy will not write (tiles 1 pixel wide, any bit-plane count up to 52,
 * sums beyond 2^30, coefficients beyond 2^44) and cut or corrupted streams, whose error must be the
 * same FitsError with the same message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FitsFile } from '../../src/fits/file.js';
import { readPlane } from '../../src/fits/image.js';
import { FitsError } from '../../src/fits/errors.js';
import { describeCompressedImage } from '../../src/fits/compression/index.js';
import { decodeHcompress, decodeHcompressReference } from '../../src/fits/compression/hcompress.js';
import { readDescriptor } from '../../src/fits/compression/tile-table.js';
import { corpusPath } from './corpus.js';
import { FIXTURES_DIR } from '../helpers/paths.js';

const FIXTURES = join(FIXTURES_DIR, 'fits-compression');

type Outcome = { type: string; nx: number; ny: number; values: number[] } | { error: string; code: string };

function outcome(fn: () => { nx: number; ny: number; data: Int32Array | Float64Array }): Outcome {
  try {
    const t = fn();
    return { type: t.data.constructor.name, nx: t.nx, ny: t.ny, values: Array.from(t.data) };
  } catch (e) {
    if (!(e instanceof FitsError)) throw e;
    return { error: e.message, code: e.code };
  }
}

function sameOutcome(input: Uint8Array, smooth: boolean, maxPixels: number, what: string): Outcome {
  const ours = outcome(() => decodeHcompress(input, smooth, maxPixels));
  const ref = outcome(() => decodeHcompressReference(input, smooth, maxPixels));
  assert.deepEqual(ours, ref, what);
  return ours;
}

/** Every HCOMPRESS_1 tile stream of every compressed-image HDU of a file, with its smoothing flag. */
async function tilesOf(path: string): Promise<{ hdu: number; tile: number; bytes: Uint8Array; smooth: boolean; pixels: number }[]> {
  const file = await FitsFile.open(path);
  const out: { hdu: number; tile: number; bytes: Uint8Array; smooth: boolean; pixels: number }[] = [];
  try {
    for (const hdu of file.hdus) {
      if (hdu.kind !== 'compressed-image') continue;
      const info = describeCompressedImage(hdu);
      if (info.compression !== 'HCOMPRESS_1') continue;
      const { table } = info;
      const col = table.columns.get('COMPRESSED_DATA')!;
      const rows = await file.readBytes(hdu.dataOffset, table.rowBytes * table.rows);
      const pixels = info.tile.reduce((a, b) => a * b, 1);
      for (let t = 0; t < table.rows; t++) {
        const { count, offset } = readDescriptor(rows, t, table.rowBytes, col);
        if (count === 0) continue;
        const bytes = await file.readBytes(hdu.dataOffset + table.heapOffset + offset, count * col.elemBytes);
        out.push({ hdu: hdu.index, tile: t, bytes: new Uint8Array(bytes), smooth: info.hcompressSmooth, pixels });
      }
    }
  } finally {
    await file.close();
  }
  return out;
}

const FILES = [
  join(FIXTURES, 'hcomp_edges.fits'),
  join(FIXTURES, 'hcomp_int16_lossless.fits'),
  join(FIXTURES, 'hcomp_int16_scale.fits'),
  join(FIXTURES, 'hcomp_int16_smooth.fits'),
  join(FIXTURES, 'hcomp_float32.fits'),
  join(FIXTURES, 'hcomp_int32.fits'),
  corpusPath('astropy-m13_hcomp.fits'),
];

test('HCOMPRESS_1: every tile of the fixtures decodes in WebAssembly exactly as in TypeScript, and cut tiles fail alike', async () => {
  let tiles = 0;
  const types = new Set<string>();
  for (const path of FILES) {
    for (const t of await tilesOf(path)) {
      const what = `${path.split('/').pop()} HDU ${t.hdu} tile ${t.tile}`;
      const got = sameOutcome(t.bytes, t.smooth, t.pixels, what);
      assert.ok('values' in got, `${what}: ${JSON.stringify(got)}`);
      types.add(got.type);
      tiles++;
      // the same stream cut short, and with a byte changed: the same error (or the same pixels)
      for (const cut of [25, 26, t.bytes.length >> 1, t.bytes.length - 1]) {
        if (cut < t.bytes.length) sameOutcome(t.bytes.subarray(0, cut), t.smooth, t.pixels, `${what} cut at ${cut}`);
      }
      const at = 25 + ((t.tile * 7919) % (t.bytes.length - 25));
      const changed = Uint8Array.from(t.bytes);
      changed[at] = changed[at]! ^ 0x5a;
      sameOutcome(changed, t.smooth, t.pixels, `${what} byte ${at} changed`);
    }
  }
  assert.ok(tiles > 80, `${tiles} tiles`);
  // both arithmetic widths ran: 16-bit images in 32-bit integers, 32-bit images in 64-bit ones
  assert.deepEqual([...types].sort(), ['Float64Array', 'Int32Array']);
});

interface EdgeCase {
  name: string;
  hdu: number;
  shape_numpy: number[];
  values_f8_b64: string;
}

const edges = JSON.parse(readFileSync(join(FIXTURES, 'hcomp_edges.json'), 'utf8')) as { cases: EdgeCase[] };

for (const c of edges.cases) {
  test(`HCOMPRESS_1 hcomp_edges.fits ${c.name}: astropy's pixels`, async () => {
    const buf = Buffer.from(c.values_f8_b64, 'base64');
    const expected = new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8);
    const file = await FitsFile.open(join(FIXTURES, 'hcomp_edges.fits'));
    try {
      const plane = await readPlane(file, c.hdu);
      assert.equal(plane.width, c.shape_numpy[1]);
      assert.equal(plane.height, c.shape_numpy[0]);
      assert.deepEqual(Array.from(plane.data), Array.from(expected));
    } finally {
      await file.close();
    }
  });
}

// ---- hand-made streams ----

/** The quadtree code of each 4-bit value: [code, length]. */
const HUFFMAN: readonly (readonly [number, number])[] = [
  [0x3e, 6], [0x00, 3], [0x01, 3], [0x08, 4], [0x02, 3], [0x09, 4], [0x1a, 5], [0x1b, 5],
  [0x03, 3], [0x1c, 5], [0x0a, 4], [0x1d, 5], [0x0b, 4], [0x1e, 5], [0x3f, 6], [0x0c, 4],
];

class BitWriter {
  readonly bytes: number[] = [];
  private acc = 0;
  private n = 0;
  put(v: number, bits: number): void {
    for (let k = bits - 1; k >= 0; k--) {
      this.acc = (this.acc << 1) | ((v >> k) & 1);
      if (++this.n === 8) {
        this.bytes.push(this.acc);
        this.acc = 0;
        this.n = 0;
      }
    }
  }
  flush(): void {
    if (this.n > 0) this.put(0, 8 - this.n);
  }
}

/** Deterministic pseudo-random numbers in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/**
 * A valid HCOMPRESS_1 stream of random coefficients: each bit plane written directly (format 0,
 * any nybbles) or as a quadtree (format 0xF) whose upper levels are all 15, so every position of
 * the last level is read and may take any value; `density` is the chance of a non-zero code.
 */
function makeStream(nx: number, ny: number, scale: number, sum: bigint, planes: [number, number, number], rand: () => number, density: number): Uint8Array {
  const w = new BitWriter();
  const head = Buffer.alloc(25);
  head[0] = 0xdd;
  head[1] = 0x99;
  head.writeInt32BE(nx, 2);
  head.writeInt32BE(ny, 6);
  head.writeInt32BE(scale, 10);
  head.writeBigInt64BE(sum, 14);
  head[22] = planes[0];
  head[23] = planes[1];
  head[24] = planes[2];
  const code = () => (rand() < density ? 1 + Math.floor(rand() * 15) : 0);
  const nx2 = (nx + 1) >> 1;
  const ny2 = (ny + 1) >> 1;
  const quadrants: [number, number, number][] = [
    [nx2, ny2, planes[0]],
    [nx2, ny >> 1, planes[1]],
    [nx >> 1, ny2, planes[1]],
    [nx >> 1, ny >> 1, planes[2]],
  ];
  for (const [nqx, nqy, np] of quadrants) {
    if (nqx <= 0 || nqy <= 0) continue;
    const size = ((nqx + 1) >> 1) * ((nqy + 1) >> 1);
    let log2n = 0;
    while (1 << log2n < Math.max(nqx, nqy)) log2n++;
    for (let bit = np - 1; bit >= 0; bit--) {
      if (rand() < 0.5) {
        w.put(0, 4);
        for (let i = 0; i < size; i++) w.put(code(), 4);
        continue;
      }
      w.put(0xf, 4);
      const huff = (v: number) => w.put(HUFFMAN[v]![0], HUFFMAN[v]![1]);
      if (log2n <= 1) {
        huff(code());
        continue;
      }
      huff(15);
      let gx = 1;
      let gy = 1;
      let fx = nqx;
      let fy = nqy;
      let c = 1 << log2n;
      for (let k = 1; k < log2n; k++) {
        c >>= 1;
        gx <<= 1;
        gy <<= 1;
        if (fx <= c) gx -= 1;
        else fx -= c;
        if (fy <= c) gy -= 1;
        else fy -= c;
        for (let i = 0; i < gx * gy; i++) huff(k === log2n - 1 ? code() : 15);
      }
    }
  }
  w.put(0, 4);
  w.flush();
  // sign bits: one per non-zero coefficient at most
  for (let i = 0; i < (nx * ny + 7) >> 3; i++) w.put(Math.floor(rand() * 256), 8);
  return Uint8Array.from([...head, ...w.bytes]);
}

test('HCOMPRESS_1: hand-made streams (1-pixel sides, odd sizes, 0..52 bit planes, smoothing) decode alike, whole, cut and changed', () => {
  const rand = rng(20261207);
  const sizes: [number, number][] = [[1, 1], [1, 2], [2, 1], [1, 37], [40, 1], [2, 2], [3, 3], [5, 4], [4, 7], [9, 16], [16, 9], [17, 33], [31, 2], [64, 64], [7, 130]];
  const seen = new Map<string, number>();
  for (let round = 0; round < 6; round++) {
    for (const [nx, ny] of sizes) {
      const thin = nx === 1 || ny === 1;
      // bit-plane counts for the 32-bit path, the 64-bit path and the TypeScript fallback
      for (const top of [4, 12, 24, 31, 40, 52]) {
        const p0 = Math.max(0, top - Math.floor(rand() * 3));
        const planes: [number, number, number] = thin ? [p0, 0, 0] : [p0, Math.max(0, p0 - 1 - Math.floor(rand() * 3)), Math.max(0, p0 - 2 - Math.floor(rand() * 3))];
        const scale = [0, 1, 2, 3, 8, 100][Math.floor(rand() * 6)]!;
        const sumSpan = top <= 24 ? 2 ** 20 : 2 ** 40;
        const sum = BigInt(Math.floor((rand() - 0.5) * sumSpan));
        const smooth = rand() < 0.5;
        const stream = makeStream(nx, ny, scale, sum, planes, rand, rand() < 0.3 ? 0.15 : 0.8);
        const what = `${nx}x${ny} planes ${planes} scale ${scale} smooth ${smooth}`;
        const got = sameOutcome(stream, smooth, nx * ny, what);
        const key = 'values' in got ? got.type : 'error';
        seen.set(key, (seen.get(key) ?? 0) + 1);
        sameOutcome(stream.subarray(0, 25 + Math.floor(rand() * (stream.length - 25))), smooth, nx * ny, `${what}, cut`);
        const changed = Uint8Array.from(stream);
        const at = 25 + Math.floor(rand() * (changed.length - 25));
        changed[at] = Math.floor(rand() * 256);
        sameOutcome(changed, smooth, nx * ny, `${what}, byte ${at} changed`);
      }
    }
  }
  // the valid streams decode (none fails), through both widths and the fallback's doubles
  assert.equal(seen.get('error'), undefined);
  assert.ok((seen.get('Int32Array') ?? 0) > 50 && (seen.get('Float64Array') ?? 0) > 50, JSON.stringify([...seen]));
});

test('HCOMPRESS_1: bit planes for a quadrant a 1-pixel tile lacks, and random bodies, fail alike', () => {
  const head = (nx: number, ny: number, planes: number[]) => {
    const h = Buffer.alloc(25);
    h[0] = 0xdd;
    h[1] = 0x99;
    h.writeInt32BE(nx, 2);
    h.writeInt32BE(ny, 6);
    h.writeInt32BE(0, 10);
    planes.forEach((p, k) => (h[22 + k] = p));
    return h;
  };
  for (const [nx, ny] of [[1, 8], [8, 1], [1, 1]] as const) {
    const o = sameOutcome(Uint8Array.from([...head(nx, ny, [2, 1, 0]), 0xff, 0xff, 0xff]), false, 64, `${nx}x${ny}`);
    assert.deepEqual(o, { error: 'HCOMPRESS_1: bit planes given for an empty quadrant', code: 'FITS_BAD_DATA' });
  }
  const rand = rng(99);
  for (let k = 0; k < 400; k++) {
    const nx = 1 + Math.floor(rand() * 20);
    const ny = 1 + Math.floor(rand() * 20);
    const thin = nx === 1 || ny === 1;
    const planes = [Math.floor(rand() * 40), thin ? 0 : Math.floor(rand() * 40), thin ? 0 : Math.floor(rand() * 40)];
    const body = Array.from({ length: Math.floor(rand() * 300) }, () => (rand() < 0.5 ? 0 : Math.floor(rand() * 256)));
    sameOutcome(Uint8Array.from([...head(nx, ny, planes), ...body]), rand() < 0.5, nx * ny, `random body ${k}`);
  }
});
