/**
 * Decompression bombs made in the test, never committed: a FITS header for a BITPIX x width x
 * height image followed by zeros, as a gzip file of many concatenated members (each 1 MiB of zeros
 * deflates to about 1 kB, so a 648 MB image costs about 680 kB and a few milliseconds to make).
 */
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';

const MIB = 1024 * 1024;

export function fitsHeader(bitpix: number, width: number, height: number): Buffer {
  const cards = [`SIMPLE  = ${'T'.padStart(20)}`, `BITPIX  = ${String(bitpix).padStart(20)}`, `NAXIS   = ${'2'.padStart(20)}`,
    `NAXIS1  = ${String(width).padStart(20)}`, `NAXIS2  = ${String(height).padStart(20)}`, 'END'];
  const text = cards.map((c) => c.padEnd(80)).join('');
  return Buffer.from(text.padEnd(Math.ceil(text.length / 2880) * 2880), 'latin1');
}

/** Bytes of the image data (padded to 2880) of such a file. */
export function dataBytes(bitpix: number, width: number, height: number): number {
  return Math.ceil((width * height * Math.abs(bitpix)) / 8 / 2880) * 2880;
}

/** Writes the gzip bomb; returns its compressed size. */
export async function writeGzipBomb(path: string, bitpix: number, width: number, height: number): Promise<number> {
  let left = dataBytes(bitpix, width, height);
  const member = gzipSync(Buffer.alloc(MIB), { level: 9 });
  const parts: Buffer[] = [gzipSync(fitsHeader(bitpix, width, height))];
  for (; left >= MIB; left -= MIB) parts.push(member);
  if (left > 0) parts.push(gzipSync(Buffer.alloc(left), { level: 9 }));
  const bytes = Buffer.concat(parts);
  await writeFile(path, bytes);
  return bytes.length;
}

/** The same as a bzip2 file, made by the bzip2 tool; false when the tool is not installed. */
export async function writeBzip2Bomb(path: string, bitpix: number, width: number, height: number): Promise<boolean> {
  const input = Buffer.concat([fitsHeader(bitpix, width, height), Buffer.alloc(dataBytes(bitpix, width, height))]);
  const r = spawnSync('bzip2', ['-c', '-9'], { input, maxBuffer: 64 * MIB });
  if (r.error || r.status !== 0) return false;
  await writeFile(path, r.stdout);
  return true;
}
