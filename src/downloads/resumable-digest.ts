/**
 * SHA-256 and FITS checksums whose running state can be saved and continued in another process.
 *
 * A download into object storage cannot read back the bytes of a multipart upload that is not
 * complete (S3 serves no part of an unfinished upload), and must verify before completing it (the
 * object would otherwise be visible unverified). So after a crash the digest of the parts already
 * uploaded has to come from the job's checkpoint: node:crypto cannot export a hash's state, hence
 * this SHA-256 (FIPS 180-4) in plain TypeScript, saved at part boundaries beside the FITS sums.
 * It is slower than node:crypto (~200 MB/s against ~1 GB/s), which only the S3 sink pays.
 */
import type { DigestResult } from './content-digest.js';
import { FitsChecksumAccumulator, type FitsChecksumState } from './fits-checksum.js';

/** The first `count` primes. */
function primes(count: number): bigint[] {
  const out: bigint[] = [];
  for (let n = 2n; out.length < count; n++) if (out.every((p) => n % p !== 0n)) out.push(n);
  return out;
}

/** floor(x) for the largest x with x^power <= value (exact, in integers). */
function integerRoot(value: bigint, power: bigint): bigint {
  let lo = 0n;
  let hi = 1n << 64n;
  while (lo < hi) {
    const mid = (lo + hi + 1n) >> 1n;
    if (mid ** power <= value) lo = mid;
    else hi = mid - 1n;
  }
  return lo;
}

// The standard's constants are the first 32 bits of the fractional parts of the square roots of
// the first 8 primes (initial hash) and of the cube roots of the first 64 primes (round
// constants): computed here exactly, in integers, rather than typed in.
const PRIMES = primes(64);
const H0 = Int32Array.from(PRIMES.slice(0, 8), (p) => Number(BigInt.asIntN(32, integerRoot(p << 64n, 2n))));
const K = Int32Array.from(PRIMES, (p) => Number(BigInt.asIntN(32, integerRoot(p << 96n, 3n))));

export interface Sha256State {
  /** The eight working hash words, as signed 32-bit integers. */
  readonly h: readonly number[];
  /** Bytes hashed so far. */
  readonly bytes: number;
  /** Bytes of the unfinished 64-byte block, base64. */
  readonly tail: string;
}

export class Sha256 {
  private readonly h = Int32Array.from(H0);
  private readonly w = new Int32Array(64);
  private readonly buf = new Uint8Array(64);
  private bufLen = 0;
  private total = 0;

  get bytes(): number {
    return this.total;
  }

  update(data: Uint8Array): this {
    let i = 0;
    const n = data.length;
    this.total += n;
    if (this.bufLen > 0) {
      const take = Math.min(64 - this.bufLen, n);
      this.buf.set(data.subarray(0, take), this.bufLen);
      this.bufLen += take;
      i = take;
      if (this.bufLen < 64) return this;
      this.block(this.buf, 0);
      this.bufLen = 0;
    }
    for (; i + 64 <= n; i += 64) this.block(data, i);
    if (i < n) {
      this.buf.set(data.subarray(i), 0);
      this.bufLen = n - i;
    }
    return this;
  }

  /** The digest in hex. The hash is finished: no more updates. */
  digestHex(): string {
    const bits = BigInt(this.total) * 8n;
    const pad = new Uint8Array(((this.bufLen < 56 ? 56 : 120) - this.bufLen) + 8);
    pad[0] = 0x80;
    new DataView(pad.buffer).setBigUint64(pad.length - 8, bits);
    const total = this.total;
    this.update(pad);
    this.total = total;
    const out = Buffer.alloc(32);
    for (let j = 0; j < 8; j++) out.writeInt32BE(this.h[j]!, j * 4);
    return out.toString('hex');
  }

  state(): Sha256State {
    return { h: [...this.h], bytes: this.total, tail: Buffer.from(this.buf.subarray(0, this.bufLen)).toString('base64') };
  }

  static fromState(state: Sha256State): Sha256 {
    const tail = Buffer.from(typeof state?.tail === 'string' ? state.tail : '', 'base64');
    if (!Array.isArray(state?.h) || state.h.length !== 8 || !state.h.every((v) => Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31) ||
      !Number.isSafeInteger(state.bytes) || state.bytes < 0 || tail.length >= 64 || state.bytes % 64 !== tail.length) {
      throw new TypeError('invalid SHA-256 state');
    }
    const s = new Sha256();
    s.h.set(state.h);
    s.buf.set(tail);
    s.bufLen = tail.length;
    s.total = state.bytes;
    return s;
  }

  private block(d: Uint8Array, off: number): void {
    const w = this.w;
    for (let t = 0; t < 16; t++) {
      const o = off + t * 4;
      w[t] = (d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!;
    }
    for (let t = 16; t < 64; t++) {
      const a = w[t - 15]!;
      const b = w[t - 2]!;
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      w[t] = (w[t - 16]! + s0 + w[t - 7]! + s1) | 0;
    }
    const h = this.h;
    let a = h[0]!, b = h[1]!, c = h[2]!, e = h[4]!, f = h[5]!, g = h[6]!, dd = h[3]!, hh = h[7]!;
    for (let t = 0; t < 64; t++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (hh + S1 + ch + K[t]! + w[t]!) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) | 0;
      hh = g;
      g = f;
      f = e;
      e = (dd + t1) | 0;
      dd = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h[0] = (h[0]! + a) | 0;
    h[1] = (h[1]! + b) | 0;
    h[2] = (h[2]! + c) | 0;
    h[3] = (h[3]! + dd) | 0;
    h[4] = (h[4]! + e) | 0;
    h[5] = (h[5]! + f) | 0;
    h[6] = (h[6]! + g) | 0;
    h[7] = (h[7]! + hh) | 0;
  }
}

/** A digest's saved state (in a download's checkpoint). */
export interface DigestState {
  readonly sha256: Sha256State;
  readonly fits: FitsChecksumState;
}

/** SHA-256 + FITS CHECKSUM/DATASUM in one ordered pass, resumable from `state()`. */
export class ResumableDigest {
  private constructor(private readonly sha: Sha256, private readonly fits: FitsChecksumAccumulator) {}

  static create(): ResumableDigest {
    return new ResumableDigest(new Sha256(), new FitsChecksumAccumulator());
  }

  /** Continues a saved digest; TypeError when `state` is not one. */
  static fromState(state: DigestState): ResumableDigest {
    if (typeof state !== 'object' || state === null) throw new TypeError('invalid digest state');
    return new ResumableDigest(Sha256.fromState(state.sha256), FitsChecksumAccumulator.restore(state.fits));
  }

  get bytes(): number {
    return this.sha.bytes;
  }

  update(data: Uint8Array): void {
    this.sha.update(data);
    this.fits.update(data);
  }

  state(): DigestState {
    return { sha256: this.sha.state(), fits: this.fits.snapshot() };
  }

  finish(): DigestResult {
    const bytes = this.sha.bytes;
    return { sha256: this.sha.digestHex(), bytes, fits: this.fits.finish() };
  }
}
