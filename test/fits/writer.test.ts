/**
 * Writer round trips: every BITPIX, BSCALE/BZERO, unsigned conventions, NaN -> BLANK, cubes,
 * streamed bands, tables from the table encoder, carried-over headers. Each file is read back
 * with our reader (values equal, checksums valid) and checked by fitsverify (0 warnings, 0 errors).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FitsError, FitsFile, FitsWriter, Header, type HduSpec, encodeFits, readPlane, readRawPlane, verifyChecksums, writeFits } from '../../src/fits/index.js';
import { encodeBinTable, readTableRows } from '../../src/fits/table/index.js';

const FITSVERIFY = spawnSync('fitsverify', [], { encoding: 'utf8' }).error ? undefined : 'fitsverify';

function fitsverify(path: string): { ok: boolean; output: string } {
  const r = spawnSync(FITSVERIFY!, [path], { encoding: 'utf8' });
  const output = `${r.stdout}${r.stderr}`;
  return { ok: /Verification found 0 warning\(s\) and 0 error\(s\)/.test(output), output };
}

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fits-writer-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const W = 37;
const H = 23;
const N = W * H;
const ramp = <T>(make: (n: number) => T, f: (i: number) => number | bigint): T => {
  const a = make(N) as unknown as { [i: number]: number | bigint };
  for (let i = 0; i < N; i++) a[i] = f(i);
  return a as unknown as T;
};

async function checkFile(path: string, t: { skip: (msg: string) => void }): Promise<void> {
  const f = await FitsFile.open(path);
  try {
    for (const r of await verifyChecksums(f)) {
      assert.equal(r.checksum, 'valid', `HDU ${r.hdu} CHECKSUM`);
      assert.equal(r.datasum, 'valid', `HDU ${r.hdu} DATASUM`);
    }
    assert.equal(f.size % 2880, 0);
  } finally {
    await f.close();
  }
  if (!FITSVERIFY) {
    t.skip('fitsverify is not installed: structural verification skipped (CI installs it)');
    return;
  }
  const v = fitsverify(path);
  assert.ok(v.ok, v.output);
}

describe('writer round trips', () => {
  it('every BITPIX and array type reads back equal', async (t) => {
    const f32 = ramp((n) => new Float32Array(n), (i) => (i % 7 === 0 ? NaN : i * 0.5 - 100));
    const hdus: HduSpec[] = [
      { data: f32, axes: [W, H], extname: 'F32' },
      { data: ramp((n) => new Float64Array(n), (i) => (i - 5) * 1.25e10), axes: [W, H], extname: 'F64' },
      { data: ramp((n) => new Uint8Array(n), (i) => i & 0xff), axes: [W, H], extname: 'U8' },
      { data: ramp((n) => new Int8Array(n), (i) => (i % 256) - 128), axes: [W, H], extname: 'I8' },
      { data: ramp((n) => new Int16Array(n), (i) => i - 400), axes: [W, H], extname: 'I16' },
      { data: ramp((n) => new Uint16Array(n), (i) => i * 70), axes: [W, H], extname: 'U16' },
      { data: ramp((n) => new Int32Array(n), (i) => i * 100000 - 5), axes: [W, H], extname: 'I32' },
      { data: ramp((n) => new Uint32Array(n), (i) => i * 4000000), axes: [W, H], extname: 'U32' },
      { data: ramp((n) => new BigInt64Array(n), (i) => BigInt(i) * 10000000000n - 7n), axes: [W, H], extname: 'I64' },
    ];
    const path = join(dir, 'types.fits');
    await writeFits(path, hdus);
    await checkFile(path, t);
    const f = await FitsFile.open(path);
    try {
      assert.deepEqual(f.hdus.map((h) => h.name), ['F32', 'F64', 'U8', 'I8', 'I16', 'U16', 'I32', 'U32', 'I64']);
      assert.deepEqual(f.hdus.map((h) => h.storedBitpix), [-32, -64, 8, 8, 16, 16, 32, 32, 64]);
      for (const [i, spec] of hdus.entries()) {
        const plane = await readPlane(f, i);
        const src = (spec as { data: ArrayLike<number | bigint> }).data;
        for (let k = 0; k < N; k++) {
          const expected = Number(src[k]!);
          const got = plane.data[k]!;
          assert.ok(Object.is(got, expected) || got === expected, `HDU ${i} pixel ${k}: ${got} vs ${expected}`);
        }
      }
      const raw = await readRawPlane(f, 5);
      assert.ok(raw.data instanceof Int16Array);
      assert.equal(raw.data[1], 70 - 32768);
    } finally {
      await f.close();
    }
  });

  it('BSCALE/BZERO quantisation with NaN -> BLANK', async (t) => {
    const values = ramp((n) => new Float32Array(n), (i) => (i % 11 === 0 ? NaN : i * 0.5 - 100));
    const path = join(dir, 'scaled.fits');
    await writeFits(path, [{ data: values, axes: [W, H], bitpix: 16, bscale: 0.5, bzero: 100 }]);
    await checkFile(path, t);
    const f = await FitsFile.open(path);
    const h = f.hdus[0]!.header;
    assert.equal(h.get('BSCALE'), 0.5);
    assert.equal(h.get('BZERO'), 100);
    assert.equal(h.get('BLANK'), -32768);
    const plane = await readPlane(f, 0);
    for (let k = 0; k < N; k++) assert.ok(Object.is(plane.data[k], values[k]), `pixel ${k}`);
    await f.close();
  });

  it('NaN in 64-bit integer data -> BLANK = -2^63 (outside what 32-bit data could hold)', async () => {
    const values = Float64Array.from([1, NaN, -2147483648, 3e12]);
    const f = await FitsFile.fromBuffer(await encodeFits([{ data: values, axes: [4, 1], bitpix: 64 }]));
    assert.equal(f.hdus[0]!.header.get('BLANK'), -9223372036854775808n);
    const plane = await readPlane(f, 0);
    assert.deepEqual([...plane.data], [1, NaN, -2147483648, 3e12]);
    await f.close();
  });

  it('cubes streamed in bands, tables, carried-over cards and long strings', async (t) => {
    const path = join(dir, 'mixed.fits');
    const carried = new Header();
    carried.set('OBJECT', 'NGC 3132', 'target').set('NOTE', 'a long note '.repeat(12)).set('ESO DET CHIP NAME', 'CCD-1').add({ keyword: 'HISTORY', value: 'made by a test' });
    const w = await FitsWriter.create(path);
    await w.writeTable(encodeBinTable([{ name: 'ID', values: new Int32Array([1, 2, 3]) }, { name: 'NAME', values: ['a', 'bb', 'ccc'] }], { extname: 'CAT' }));
    const sink = await w.beginImage({ axes: [W, H, 3], extname: 'CUBE', header: carried }, new Float64Array(0));
    for (let p = 0; p < 3; p++) for (let y = 0; y < H; y += 5) {
      const rows = Math.min(5, H - y);
      await sink.write(Float64Array.from({ length: rows * W }, (_, i) => p * 1000 + y * W + i));
    }
    await sink.end();
    await w.close();
    await checkFile(path, t);
    const f = await FitsFile.open(path);
    assert.deepEqual(f.hdus.map((h) => h.kind), ['image', 'bintable', 'image']);
    assert.equal(f.hdus[0]!.axes.length, 0);
    const cube = f.hdus[2]!;
    assert.equal(cube.header.get('OBJECT'), 'NGC 3132');
    assert.equal(cube.header.get('NOTE'), 'a long note '.repeat(12).trimEnd());
    assert.equal(cube.header.get('ESO DET CHIP NAME'), 'CCD-1');
    const plane = await readPlane(f, cube, { plane: [2], rows: [4, 6] });
    assert.equal(plane.height, 2);
    assert.equal(plane.data[0], 2000 + 4 * W);
    const rows = await readTableRows(f, 1);
    assert.equal(rows.rows.length, 3);
    await f.close();
  });

  it('encodeFits in memory equals the file writer output', async () => {
    const spec: HduSpec[] = [{ data: new Float32Array([1, 2, 3, 4]), axes: [2, 2] }];
    const bytes = await encodeFits(spec);
    const path = join(dir, 'mem.fits');
    await writeFits(path, spec);
    const { readFile } = await import('node:fs/promises');
    assert.ok(bytes.equals(await readFile(path)));
  });

  it('refuses inconsistent input with FitsError and leaves no partial file', async () => {
    const path = join(dir, 'bad.fits');
    await assert.rejects(writeFits(path, [{ data: new Float32Array(3), axes: [2, 2] }]), FitsError);
    await assert.rejects(writeFits(path, [{ data: new Int16Array([1]), axes: [1], bitpix: 16, bscale: 0 }]), FitsError);
    await assert.rejects(writeFits(path, [{ data: new Uint16Array([1]), axes: [1], bitpix: 32 }]), FitsError);
    const { readdir } = await import('node:fs/promises');
    assert.deepEqual((await readdir(dir)).filter((n) => n.startsWith('bad.fits')), []);
  });

  it('repeated EXTNAMEs get distinct EXTVERs; variable-length tables pass fitsverify', async (t) => {
    const path = join(dir, 'repeat.fits');
    const table = encodeBinTable([{ name: 'VLA', values: [[1, 2, 3], [4], [5, 6]], format: '1PJ' }, { name: 'S', values: ['x', 'yy', 'zzz'] }], { extname: 'T' });
    await writeFits(path, [
      { axes: [] },
      { data: new Float32Array(4), axes: [2, 2], extname: 'SCI' },
      { data: new Float32Array(4), axes: [2, 2], extname: 'SCI' },
      { data: new Float32Array(4), axes: [2, 2], extname: 'SCI', extver: 7 },
      { type: 'table', ...table },
      { type: 'table', ...table },
    ]);
    await checkFile(path, t);
    const f = await FitsFile.open(path);
    assert.deepEqual(f.hdus.map((h) => `${h.name}/${h.ver}`), ['PRIMARY/1', 'SCI/1', 'SCI/2', 'SCI/7', 'T/1', 'T/2']);
    await f.close();
  });
});
