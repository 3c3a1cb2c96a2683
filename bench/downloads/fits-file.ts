/**
 * Test data of the download benchmarks: FITS files (one header block with valid CHECKSUM and
 * DATASUM, then random bytes as the data unit), so a download verifies what it verifies on MAST's.
 */
import { randomFillSync } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Header } from '../../src/fits/header.js';
import { OnesComplementSum, applyChecksum } from '../../src/fits/checksum.js';

const MiB = 1024 * 1024;
export const FITS_BLOCK = 2880;

/** A FITS file of `size` bytes (a multiple of 2880): a header block with valid CHECKSUM and DATASUM, then random data. */
export async function writeFitsFile(path: string, size: number): Promise<void> {
  const dataBytes = size - FITS_BLOCK;
  const block = Buffer.alloc(8 * MiB);
  randomFillSync(block);
  const sum = new OnesComplementSum();
  const out = await open(path, 'w');
  try {
    for (let done = 0, i = 0; done < dataBytes; i++) {
      const n = Math.min(block.length, dataBytes - done);
      block.writeUInt32LE(i, 0);
      const piece = block.subarray(0, n);
      sum.add(piece);
      await out.write(piece, 0, n, FITS_BLOCK + done);
      done += n;
    }
    const header = new Header();
    header.set('SIMPLE', true).set('BITPIX', 8).set('NAXIS', 1).set('NAXIS1', dataBytes);
    applyChecksum(header, sum.value());
    const head = header.toBuffer();
    if (head.length !== FITS_BLOCK) throw new Error(`header of ${head.length} bytes`);
    await out.write(head, 0, FITS_BLOCK, 0);
  } finally {
    await out.close();
  }
}
