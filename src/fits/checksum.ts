/**
 * The FITS checksum convention (FITS 4.0 standard, appendix J): DATASUM is the 32-bit ones'
 * complement sum of the data unit read as big-endian words; CHECKSUM is a 16-character ASCII
 * encoding of the complement of the whole HDU's sum, chosen so that the HDU then sums to -0
 * (0xFFFFFFFF). Sums are computed in bounded bands so a gigabyte HDU costs a few MiB.
 */
import { BLOCK_LENGTH } from './card.js';
import { wasmOnesSum } from './ones-sum.js';
import type { FitsFile, Hdu } from './file.js';
import type { Header } from './header.js';

const MOD = 4294967295; // 2^32 - 1: ones' complement addition is addition modulo this.

export interface OnesSumState {
  readonly acc: number;
  readonly nonzero: boolean;
  readonly pending: readonly number[];
}

/** Incremental ones' complement sum of big-endian 32-bit words (bytes may arrive in any chunking). */
export class OnesComplementSum {
  private acc = 0;
  private nonzero = false;
  private pending: number[] = [];

  /** Add bytes. (`_mutable` once let the sum byte-swap `buf` in place; `buf` is never changed now.) */
  add(buf: Uint8Array, _mutable = false): this {
    let start = 0;
    if (this.pending.length) {
      while (this.pending.length < 4 && start < buf.length) this.pending.push(buf[start++]!);
      if (this.pending.length < 4) return this;
      const [a, b, c, d] = this.pending as [number, number, number, number];
      this.addWord(((a << 24) | (b << 16) | (c << 8) | d) >>> 0);
      this.pending = [];
    }
    const whole = start + Math.floor((buf.length - start) / 4) * 4;
    if (whole > start) this.addAligned(buf.subarray(start, whole));
    for (let i = whole; i < buf.length; i++) this.pending.push(buf[i]!);
    return this;
  }

  private addWord(w: number): void {
    if (w !== 0) this.nonzero = true;
    this.acc = (this.acc + w) % MOD;
  }

  private addAligned(bytes: Uint8Array): void {
    // WebAssembly (SIMD, sum.c ones_sum via ones-sum.ts) adds the words: no copy into a swappable buffer, no byte swap
    const s = wasmOnesSum(bytes);
    if (s !== 0) this.nonzero = true;
    this.acc = (this.acc + (s % MOD)) % MOD;
  }

  /** The running state, to continue the sum in another process (a download resumed after a crash). */
  state(): OnesSumState {
    return { acc: this.acc, nonzero: this.nonzero, pending: [...this.pending] };
  }

  /** A sum continued from `state()`. */
  static fromState(state: OnesSumState): OnesComplementSum {
    const sum = new OnesComplementSum();
    const okByte = (b: unknown) => Number.isInteger(b) && (b as number) >= 0 && (b as number) <= 255;
    if (!Number.isInteger(state.acc) || state.acc < 0 || state.acc > MOD || typeof state.nonzero !== 'boolean' || !Array.isArray(state.pending) || state.pending.length > 3 || !state.pending.every(okByte)) {
      throw new TypeError('invalid ones\' complement sum state');
    }
    sum.acc = state.acc;
    sum.nonzero = state.nonzero;
    sum.pending = [...state.pending];
    return sum;
  }

  /** The sum as an unsigned 32-bit value (a trailing partial word is padded with zero bytes). */
  value(): number {
    let acc = this.acc;
    let nonzero = this.nonzero;
    if (this.pending.length) {
      const p = [...this.pending, 0, 0, 0].slice(0, 4) as [number, number, number, number];
      const w = ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
      if (w) nonzero = true;
      acc = (acc + w) % MOD;
    }
    return acc === 0 && nonzero ? MOD : acc;
  }
}

/** Ones' complement sum of a byte buffer (big-endian words, zero-padded to 4). */
export function onesComplementSum(buf: Uint8Array): number {
  return new OnesComplementSum().add(buf).value();
}

/** Ones' complement addition of two 32-bit sums. */
export function addSums(a: number, b: number): number {
  const s = (a + b) % MOD;
  return s === 0 && (a !== 0 || b !== 0) ? MOD : s;
}

// Characters the encoding avoids: the punctuation between the digits and the letters.
const EXCLUDED = [0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x40, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0x60];

/** The 16-character ASCII encoding of a 32-bit sum (of its complement by default), as in the standard. */
export function encodeChecksum(sum: number, complement = true): string {
  const value = complement ? ~sum >>> 0 : sum >>> 0;
  const out = new Array<number>(16).fill(0);
  for (let i = 0; i < 4; i++) {
    const byte = (value >>> (24 - 8 * i)) & 0xff;
    const q = (byte >> 2) + 0x30;
    const r = byte & 3;
    const ch = [q + r, q, q, q];
    // Move pairs of characters apart (keeping their sum) until none is excluded.
    for (let changed = true; changed; ) {
      changed = false;
      for (let j = 0; j < 4; j += 2) {
        if (EXCLUDED.includes(ch[j]!) || EXCLUDED.includes(ch[j + 1]!)) {
          ch[j]!++;
          ch[j + 1]!--;
          changed = true;
        }
      }
    }
    for (let j = 0; j < 4; j++) out[4 * j + i] = ch[j]!;
  }
  // Rotate right by one character so the encoding starts on a word boundary of the card.
  const rotated = [out[15]!, ...out.slice(0, 15)];
  return String.fromCharCode(...rotated);
}

const BAND = 8 * 1024 * 1024;

/** DATASUM of an HDU's data unit (padding is zero and does not change the sum). */
export async function computeDataSum(file: FitsFile, hdu: Hdu): Promise<number> {
  const sum = new OnesComplementSum();
  for (let off = 0; off < hdu.dataBytes; off += BAND) {
    const n = Math.min(BAND, hdu.dataBytes - off);
    sum.add(await file.readBytes(hdu.dataOffset + off, n), true);
  }
  return sum.value();
}

export type ChecksumState = 'valid' | 'invalid' | 'missing';

export interface ChecksumResult {
  readonly hdu: number;
  readonly checksum: ChecksumState;
  readonly datasum: ChecksumState;
  /** Stored keyword values (null when absent). */
  readonly storedChecksum: string | null;
  readonly storedDatasum: string | null;
  /** The data sum computed from the bytes. */
  readonly computedDatasum: number;
}

/** Verify CHECKSUM (whole HDU sums to -0) and DATASUM (equals the data sum) of one HDU. */
export async function verifyChecksum(file: FitsFile, hdu: Hdu): Promise<ChecksumResult> {
  const storedChecksum = hdu.header.get('CHECKSUM');
  const storedDatasum = hdu.header.get('DATASUM');
  const datasum = await computeDataSum(file, hdu);
  let datasumState: ChecksumState = 'missing';
  if (storedDatasum !== undefined) {
    const text = typeof storedDatasum === 'string' ? storedDatasum.trim() : String(storedDatasum);
    datasumState = /^\d+$/.test(text) && Number(text) === datasum ? 'valid' : 'invalid';
  }
  let checksumState: ChecksumState = 'missing';
  if (storedChecksum !== undefined) {
    const headerBytes = await file.readBytes(hdu.headerOffset, hdu.headerBlocks * BLOCK_LENGTH);
    const total = addSums(onesComplementSum(headerBytes), datasum);
    checksumState = total === MOD ? 'valid' : 'invalid';
  }
  return {
    hdu: hdu.index,
    checksum: checksumState,
    datasum: datasumState,
    storedChecksum: typeof storedChecksum === 'string' ? storedChecksum : storedChecksum === undefined ? null : String(storedChecksum),
    storedDatasum: typeof storedDatasum === 'string' ? storedDatasum : storedDatasum === undefined ? null : String(storedDatasum),
    computedDatasum: datasum,
  };
}

/** Verify every HDU that carries CHECKSUM or DATASUM. */
export async function verifyChecksums(file: FitsFile): Promise<ChecksumResult[]> {
  const out: ChecksumResult[] = [];
  for (const hdu of file.hdus) {
    if (hdu.header.has('CHECKSUM') || hdu.header.has('DATASUM')) out.push(await verifyChecksum(file, hdu));
  }
  return out;
}

/**
 * Write DATASUM and CHECKSUM into a header whose data unit sums to `datasum`, so that the HDU
 * (this header serialised with `toBuffer()`, then the data) verifies.
 */
export function applyChecksum(header: Header, datasum: number): void {
  header.set('CHECKSUM', '0000000000000000', header.card('CHECKSUM')?.comment || 'HDU checksum');
  header.set('DATASUM', String(datasum), header.card('DATASUM')?.comment || 'data unit checksum');
  const total = addSums(onesComplementSum(header.toBuffer()), datasum);
  header.set('CHECKSUM', encodeChecksum(total));
}
