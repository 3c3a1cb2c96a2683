/**
 * `npm run bench -- storage`: a large FITS file (BENCH_STORAGE_MB, default 1024; the figure
 * is 2048) on local disk and in an S3-compatible server (@20minutes/s3rver, files on disk, started
 * here on a free port). Measures, local vs S3:
 *  - opening the file (all headers) and reading a 512x512 cutout from the middle of the image:
 *    requests and bytes moved (goal: under 1 % of the file), and time;
 *  - writing the whole file into the store as a stream (the path a download into S3 takes: parts
 *    of 8 MiB) vs copying it on local disk: throughput.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { FitsFile } from '../../src/fits/file.js';
import { readPlane } from '../../src/fits/image.js';
import { encodeFits } from '../../src/fits/writer.js';
import { S3Storage } from '../../src/storage/index.js';
import { configureStorage, readCache, registerObjectStore } from '../../src/storage/registry.js';
import { loadStorageSettings } from '../../src/config.js';
import { startTestS3 } from '../../test/helpers/s3.js';

const MB = 1024 * 1024;
const sizeMb = Number(process.env.BENCH_STORAGE_MB ?? 1024);
const W = 8192;
const H = Math.floor((sizeMb * MB) / (W * 4));

function card(keyword: string, value: string): string {
  return `${keyword.padEnd(8)}= ${value.padStart(20)}`.padEnd(80);
}

async function makeFile(path: string): Promise<number> {
  const primary = await encodeFits([{ axes: [], cards: [{ keyword: 'TELESCOP', value: 'JWST' }] }]);
  let header = [card('XTENSION', "'IMAGE   '"), card('BITPIX', '-32'), card('NAXIS', '2'), card('NAXIS1', String(W)), card('NAXIS2', String(H)),
    card('PCOUNT', '0'), card('GCOUNT', '1'), card('EXTNAME', "'SCI     '"), 'END'.padEnd(80)].join('');
  header = header.padEnd(Math.ceil(header.length / 2880) * 2880, ' ');
  const fh = await open(path, 'w');
  await fh.write(primary);
  await fh.write(Buffer.from(header, 'latin1'));
  const rows = 256;
  const band = Buffer.alloc(W * 4 * rows);
  for (let i = 0; i < W * rows; i++) band.writeFloatBE((i % W) * 0.01 + 1, i * 4);
  for (let y = 0; y < H; y += rows) await fh.write(band, 0, Math.min(rows, H - y) * W * 4);
  const data = W * H * 4;
  const pad = (2880 - (data % 2880)) % 2880;
  if (pad) await fh.write(Buffer.alloc(pad));
  await fh.close();
  return (await stat(path)).size;
}

function ms(t0: bigint): string {
  return (Number(process.hrtime.bigint() - t0) / 1e6).toFixed(1);
}

async function headerAndCutout(path: string): Promise<{ openMs: string; cutoutMs: string; hdus: number }> {
  const t0 = process.hrtime.bigint();
  const f = await FitsFile.open(path);
  const openMs = ms(t0);
  const t1 = process.hrtime.bigint();
  const x0 = Math.floor(W / 2) - 256;
  const y0 = Math.floor(H / 2) - 256;
  const cut = await readPlane(f, 'SCI', { rows: [y0, y0 + 512], cols: [x0, x0 + 512] });
  const cutoutMs = ms(t1);
  if (cut.width !== 512 || cut.height !== 512 || Math.abs(cut.data[0]! - (x0 * 0.01 + 1)) > 1e-3) throw new Error('wrong cutout');
  const hdus = f.hdus.length;
  await f.close();
  return { openMs, cutoutMs, hdus };
}

const dir = await mkdtemp(join(tmpdir(), 'bench-storage-'));
const serverKind = process.env.BENCH_S3_SERVER === 'fauxqs' ? 'fauxqs' : 's3rver';
const server = await startTestS3(serverKind, ['bench']);
const store = new S3Storage(server.settings('bench'));
registerObjectStore(store);
configureStorage(loadStorageSettings({}));
try {
  const local = join(dir, 'big_i2d.fits');
  const size = await makeFile(local);
  console.log(`file: ${(size / MB).toFixed(0)} MiB, image ${W}x${H} float32; S3 server: ${serverKind} on 127.0.0.1`);

  // Writes: local copy vs streamed into S3 (multipart, 8 MiB parts, 4 in flight).
  let t0 = process.hrtime.bigint();
  await pipeline(createReadStream(local), createWriteStream(join(dir, 'copy.fits')));
  const localMs = Number(process.hrtime.bigint() - t0) / 1e6;
  t0 = process.hrtime.bigint();
  await store.write('mast/jw1/big_i2d.fits', createReadStream(local));
  const s3Ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(`write ${(size / MB).toFixed(0)} MiB: local disk ${(size / MB / (localMs / 1000)).toFixed(0)} MiB/s, S3 multipart ${(size / MB / (s3Ms / 1000)).toFixed(0)} MiB/s`);

  // Reads: header + 512x512 cutout.
  const l = await headerAndCutout(local);
  readCache().clear();
  const before = { ...store.traffic };
  const r = await headerAndCutout('s3://bench/mast/jw1/big_i2d.fits');
  const requests = store.traffic.requests - before.requests;
  const bytes = store.traffic.bytesRead - before.bytesRead;
  console.log('| where | open (headers) ms | 512² cutout ms | requests | bytes moved | of the file |');
  console.log('|---|---|---|---|---|---|');
  console.log(`| local | ${l.openMs} | ${l.cutoutMs} | - | - | - |`);
  console.log(`| S3 | ${r.openMs} | ${r.cutoutMs} | ${requests} | ${(bytes / MB).toFixed(2)} MiB | ${((100 * bytes) / size).toFixed(3)} % |`);
  const before2 = { ...store.traffic };
  await headerAndCutout('s3://bench/mast/jw1/big_i2d.fits');
  console.log(`again (read cache warm): ${store.traffic.requests - before2.requests} requests, ${((store.traffic.bytesRead - before2.bytesRead) / MB).toFixed(2)} MiB`);
} finally {
  await store.close();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}
