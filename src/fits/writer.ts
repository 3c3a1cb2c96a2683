/**
 * Writing FITS files: a primary HDU and image extensions (BITPIX 8/16/32/64/-32/-64 with optional
 * BSCALE/BZERO), binary tables encoded by src/fits/table (header cards + data bytes), CHECKSUM and
 * DATASUM on every HDU, 2880-byte padding. Images can be streamed band by band: the header is
 * written with placeholder checksums, the data follows, and the header is rewritten in place
 * (same size) once the data sum is known, so a gigabyte image never sits in memory.
 */
import { rename, rm } from 'node:fs/promises';
import { closeFd, openFd, writeAllFd } from '../core/file-descriptor.js';
import { BLOCK_LENGTH, COMMENTARY_KEYWORDS, type CardValue, type NewCard } from './card.js';
import { OnesComplementSum, applyChecksum } from './checksum.js';
import { FitsError } from './errors.js';
import { Header } from './header.js';
import type { NumericArray } from './table/types.js';

/** Any numeric typed array (the same set a table cell can hold). */
export type ImageData = NumericArray;

export interface ImageSpec {
  /** NAXISn in FITS order (axes[0] = width). Empty for a data-less HDU. */
  readonly axes: readonly number[];
  /**
   * Stored BITPIX. Default from the array type: Float32 -> -32, Float64 -> -64, Uint8 -> 8,
   * Int16 -> 16, Int32 -> 32, BigInt64 -> 64, and the unsigned conventions through BZERO
   * (Int8 -> 8 with BZERO -128, Uint16 -> 16 with BZERO 32768, Uint32 -> 32 with BZERO 2^31,
   * BigUint64 -> 64 with BZERO 2^63).
   */
  readonly bitpix?: 8 | 16 | 32 | 64 | -32 | -64;
  /**
   * Scaling: the array holds physical values, stored = round((value - bzero) / bscale) for integer
   * BITPIX (NaN -> BLANK). Not allowed together with an unsigned-convention array type.
   */
  readonly bscale?: number;
  readonly bzero?: number;
  /** BLANK for integer BITPIX (NaN values are written as it); default the type's minimum when NaN occurs. */
  readonly blank?: number;
  readonly extname?: string;
  readonly extver?: number;
  /** Extra cards (structural keywords among them are ignored). */
  readonly cards?: readonly NewCard[];
  /** Copy the non-structural cards of an existing header (WCS, metadata). */
  readonly header?: Header;
}

export interface ImageHdu extends ImageSpec {
  readonly data?: ImageData;
}

/** A table HDU as the table encoder produces it: cards from XTENSION on, and unpadded data bytes. */
export interface TableHduSpec {
  readonly cards: readonly NewCard[];
  readonly data: Uint8Array;
}

export type HduSpec = ({ readonly type?: 'image' } & ImageHdu) | ({ readonly type: 'table' } & TableHduSpec);

const STRUCTURAL = new Set([
  'SIMPLE', 'XTENSION', 'BITPIX', 'NAXIS', 'EXTEND', 'PCOUNT', 'GCOUNT', 'GROUPS', 'BSCALE', 'BZERO', 'BLANK',
  'CHECKSUM', 'DATASUM', 'END', 'EXTNAME', 'EXTVER', 'TFIELDS', 'THEAP', 'ZIMAGE', 'ZTABLE',
]);

function isStructural(keyword: string): boolean {
  const k = keyword.toUpperCase();
  return STRUCTURAL.has(k) || /^NAXIS\d+$/.test(k) || /^(TTYPE|TFORM|TUNIT|TNULL|TSCAL|TZERO|TDISP|TDIM|TBCOL)\d+$/.test(k) || /^Z/.test(k) && /^(ZNAXIS\d*|ZBITPIX|ZCMPTYPE|ZTILE\d+|ZNAME\d+|ZVAL\d+|ZQUANTIZ|ZDITHER0|ZSIMPLE|ZTENSION|ZEXTEND|ZBLOCKED|ZPCOUNT|ZGCOUNT|ZHECKSUM|ZDATASUM)$/.test(k);
}

interface StoredType {
  bitpix: 8 | 16 | 32 | 64 | -32 | -64;
  bscale: number;
  bzero: number;
  /** The array holds the unsigned-convention values directly (no rounding). */
  unsignedConvention: boolean;
}

function defaultBitpix(data: ImageData | undefined): StoredType {
  if (data === undefined || data instanceof Float32Array) return { bitpix: -32, bscale: 1, bzero: 0, unsignedConvention: false };
  if (data instanceof Float64Array) return { bitpix: -64, bscale: 1, bzero: 0, unsignedConvention: false };
  if (data instanceof Uint8Array) return { bitpix: 8, bscale: 1, bzero: 0, unsignedConvention: false };
  if (data instanceof Int8Array) return { bitpix: 8, bscale: 1, bzero: -128, unsignedConvention: true };
  if (data instanceof Int16Array) return { bitpix: 16, bscale: 1, bzero: 0, unsignedConvention: false };
  if (data instanceof Uint16Array) return { bitpix: 16, bscale: 1, bzero: 32768, unsignedConvention: true };
  if (data instanceof Int32Array) return { bitpix: 32, bscale: 1, bzero: 0, unsignedConvention: false };
  if (data instanceof Uint32Array) return { bitpix: 32, bscale: 1, bzero: 2147483648, unsignedConvention: true };
  if (data instanceof BigInt64Array) return { bitpix: 64, bscale: 1, bzero: 0, unsignedConvention: false };
  return { bitpix: 64, bscale: 1, bzero: 9223372036854775808, unsignedConvention: true };
}

function storedType(spec: ImageSpec, sample: ImageData | undefined): StoredType {
  const def = defaultBitpix(sample);
  if (def.unsignedConvention) {
    if (spec.bscale !== undefined || spec.bzero !== undefined || (spec.bitpix !== undefined && spec.bitpix !== def.bitpix)) {
      throw new FitsError('FITS_BAD_ARGUMENT', 'unsigned arrays are written with their BZERO convention; give signed or float data to choose BITPIX/BSCALE/BZERO');
    }
    return def;
  }
  const bitpix = spec.bitpix ?? def.bitpix;
  const bscale = spec.bscale ?? 1;
  const bzero = spec.bzero ?? 0;
  if (!Number.isFinite(bscale) || bscale === 0 || !Number.isFinite(bzero)) throw new FitsError('FITS_BAD_ARGUMENT', 'BSCALE must be finite and non-zero, BZERO finite');
  return { bitpix, bscale, bzero, unsignedConvention: false };
}

const INT_RANGE: Record<number, [number, number]> = { 8: [0, 255], 16: [-32768, 32767], 32: [-2147483648, 2147483647] };

/** Big-endian stored bytes for a band of values. */
function encodeValues(values: ImageData, t: StoredType, blank: number | undefined): Buffer {
  const n = values.length;
  const bytesPer = Math.abs(t.bitpix) / 8;
  const out = Buffer.allocUnsafe(n * bytesPer);
  const ab = out.buffer;
  const off = out.byteOffset;
  if (t.unsignedConvention) {
    // Stored = value - BZERO, i.e. the same bits with the sign bit flipped.
    if (values instanceof Int8Array) for (let i = 0; i < n; i++) out[i] = (values[i]! + 128) & 0xff;
    else if (values instanceof Uint16Array) {
      const v = new Uint16Array(ab, off, n);
      for (let i = 0; i < n; i++) v[i] = values[i]! ^ 0x8000;
      out.swap16();
    } else if (values instanceof Uint32Array) {
      const v = new Uint32Array(ab, off, n);
      for (let i = 0; i < n; i++) v[i] = (values[i]! ^ 0x80000000) >>> 0;
      out.swap32();
    } else {
      const v = new BigUint64Array(ab, off, n);
      const src = values as BigUint64Array;
      for (let i = 0; i < n; i++) v[i] = src[i]! ^ 0x8000000000000000n;
      out.swap64();
    }
    return out;
  }
  const identity = t.bscale === 1 && t.bzero === 0;
  if (t.bitpix === -32 || t.bitpix === -64) {
    const v = t.bitpix === -32 ? new Float32Array(ab, off, n) : new Float64Array(ab, off, n);
    if (identity && !(values instanceof BigInt64Array) && !(values instanceof BigUint64Array)) v.set(values);
    else for (let i = 0; i < n; i++) v[i] = (Number(values[i]!) - t.bzero) / t.bscale;
    if (t.bitpix === -32) out.swap32();
    else out.swap64();
    return out;
  }
  if (t.bitpix === 64) {
    const v = new BigInt64Array(ab, off, n);
    if (values instanceof BigInt64Array && identity) v.set(values);
    else {
      for (let i = 0; i < n; i++) {
        const x = Number(values[i]!);
        if (Number.isNaN(x)) {
          if (blank === undefined) throw new FitsError('FITS_BAD_ARGUMENT', 'NaN in integer image data needs a BLANK value');
          v[i] = BigInt(blank);
        } else {
          const s = Math.round((x - t.bzero) / t.bscale);
          v[i] = BigInt(Math.max(-9223372036854775808, Math.min(9223372036854775807, s)));
        }
      }
    }
    out.swap64();
    return out;
  }
  const [lo, hi] = INT_RANGE[t.bitpix]!;
  const v = t.bitpix === 8 ? new Uint8Array(ab, off, n) : t.bitpix === 16 ? new Int16Array(ab, off, n) : new Int32Array(ab, off, n);
  for (let i = 0; i < n; i++) {
    const x = Number(values[i]!);
    if (Number.isNaN(x)) {
      if (blank === undefined) throw new FitsError('FITS_BAD_ARGUMENT', 'NaN in integer image data needs a BLANK value');
      v[i] = blank;
      continue;
    }
    const s = identity ? Math.round(x) : Math.round((x - t.bzero) / t.bscale);
    v[i] = s < lo ? lo : s > hi ? hi : s;
  }
  if (t.bitpix === 16) out.swap16();
  else if (t.bitpix === 32) out.swap32();
  return out;
}

function hasNaN(values: ImageData): boolean {
  if (values instanceof Float32Array || values instanceof Float64Array) {
    for (let i = 0; i < values.length; i++) if (values[i] !== values[i]) return true;
  }
  return false;
}

function imageHeader(spec: ImageSpec, t: StoredType, blank: number | undefined, primary: boolean): Header {
  const h = new Header();
  if (primary) h.set('SIMPLE', true, 'conforms to FITS standard');
  else h.set('XTENSION', 'IMAGE', 'image extension');
  h.set('BITPIX', t.bitpix, 'array data type');
  h.set('NAXIS', spec.axes.length, 'number of array dimensions');
  spec.axes.forEach((n, i) => h.set(`NAXIS${i + 1}`, n));
  if (primary) h.set('EXTEND', true, 'FITS extensions may follow');
  else {
    h.set('PCOUNT', 0, 'number of parameters');
    h.set('GCOUNT', 1, 'number of groups');
  }
  if (t.bitpix > 0 && blank !== undefined) h.set('BLANK', blank, 'stored value of undefined pixels');
  if (t.bscale !== 1 || t.bzero !== 0) {
    h.set('BSCALE', t.bscale, 'physical = BZERO + BSCALE * stored', { float: true });
    h.set('BZERO', t.bzero, undefined, { float: !Number.isInteger(t.bzero) || !t.unsignedConvention });
  }
  if (spec.extname !== undefined) h.set('EXTNAME', spec.extname, 'extension name');
  if (spec.extver !== undefined) h.set('EXTVER', spec.extver, 'extension version');
  addExtraCards(h, spec);
  return h;
}

function addExtraCards(h: Header, spec: { header?: Header; cards?: readonly NewCard[] }): void {
  for (const c of spec.header?.cards ?? []) {
    if (c.kind === 'value' && isStructural(c.keyword)) continue;
    if (c.kind === 'value') h.set(c.keyword, c.value ?? null, c.comment);
    else h.add({ keyword: c.keyword, value: typeof c.value === 'string' ? c.value : '' });
  }
  for (const c of spec.cards ?? []) {
    if (COMMENTARY_KEYWORDS.has(c.keyword.toUpperCase())) h.add(c);
    else if (!isStructural(c.keyword)) h.set(c.keyword, (c.value ?? null) as CardValue, c.comment, { float: c.float });
  }
}

function tableHeader(spec: TableHduSpec): Header {
  const h = new Header();
  for (const c of spec.cards) {
    if (c.keyword.toUpperCase() === 'CHECKSUM' || c.keyword.toUpperCase() === 'DATASUM') continue;
    h.add(c);
  }
  const first = h.cards[0];
  if (first?.keyword !== 'XTENSION') throw new FitsError('FITS_BAD_ARGUMENT', 'a table HDU must start with XTENSION');
  return h;
}

/** Conventions fitsverify asks for: LONGSTRN declares the CONTINUE long-string convention. */
function finalizeHeader(h: Header): void {
  const usesContinue = h.cards.some((c) => (c.records?.length ?? 1) > 1 && c.kind === 'value' && typeof c.value === 'string');
  if (usesContinue && !h.has('LONGSTRN')) h.set('LONGSTRN', 'OGIP 1.0', 'The HEASARC Long String Convention may be used');
}

function padding(n: number, byte: number): Buffer {
  const rem = n % BLOCK_LENGTH;
  return Buffer.alloc(rem === 0 ? 0 : BLOCK_LENGTH - rem, byte);
}

/** Where the writer's bytes go: a file (with in-place header rewrite) or memory. */
interface Target {
  readonly position: number;
  write(buf: Uint8Array): Promise<void>;
  writeAt(buf: Uint8Array, position: number): Promise<void>;
}

class MemoryTarget implements Target {
  readonly chunks: Buffer[] = [];
  position = 0;
  async write(buf: Uint8Array): Promise<void> {
    this.chunks.push(Buffer.from(buf));
    this.position += buf.length;
  }
  async writeAt(buf: Uint8Array, position: number): Promise<void> {
    // Header rewrites only: find the chunk that starts at `position` (headers are written as one chunk).
    let at = 0;
    for (let i = 0; i < this.chunks.length; i++) {
      if (at === position && this.chunks[i]!.length === buf.length) {
        this.chunks[i] = Buffer.from(buf);
        return;
      }
      at += this.chunks[i]!.length;
    }
    throw new FitsError('FITS_IO', 'internal: header rewrite position not found');
  }
}

/** A file written by descriptor number (no FileHandle on a pool thread: src/core/file-descriptor.ts). */
class FileTarget implements Target {
  position = 0;
  constructor(private readonly fd: number) {}
  async write(buf: Uint8Array): Promise<void> {
    await this.writeAt(buf, this.position);
    this.position += buf.length;
  }
  writeAt(buf: Uint8Array, position: number): Promise<void> {
    return writeAllFd(this.fd, buf, position);
  }
}

/** Streams the data of one image HDU; values must arrive in FITS order (x fastest), in any band sizes. */
export interface ImageSink {
  write(values: ImageData): Promise<void>;
  /** Pads the data unit and writes the final header with CHECKSUM/DATASUM. */
  end(): Promise<void>;
}

export class FitsWriter {
  private hduCount = 0;
  /** (XTENSION, EXTNAME) -> EXTVERs used, to keep every extension's identity unique (fitsverify warns otherwise). */
  private readonly identities = new Map<string, Set<number>>();
  private busy = false;
  private closed = false;

  private constructor(
    private readonly target: Target,
    private readonly finish: (ok: boolean) => Promise<void>,
  ) {}

  /** Write to a file (through a temporary name, renamed on close so a failed write leaves nothing half-done). */
  static async create(path: string): Promise<FitsWriter> {
    const tmp = `${path}.partial-${process.pid}-${Date.now()}`;
    let fd: number;
    try {
      fd = await openFd(tmp, 'wx');
    } catch (err) {
      throw new FitsError('FITS_IO', `cannot create ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { cause: err });
    }
    return new FitsWriter(new FileTarget(fd), async (ok) => {
      await closeFd(fd);
      if (ok) await rename(tmp, path);
      else await rm(tmp, { force: true });
    });
  }

  /** Number of HDUs written so far. */
  get count(): number {
    return this.hduCount;
  }

  private checkIdle(): void {
    if (this.closed) throw new FitsError('FITS_BAD_ARGUMENT', 'the writer is closed');
    if (this.busy) throw new FitsError('FITS_BAD_ARGUMENT', 'an image stream is still open; call end() first');
  }

  /**
   * Two extensions with the same type, EXTNAME and EXTVER are ambiguous: when EXTVER was not given,
   * the next free version is written instead.
   */
  private claimIdentity(header: Header, type: string): void {
    const name = header.getString('EXTNAME')?.trim().toUpperCase();
    if (!name) return;
    const key = `${type}\u0000${name}`;
    const used = this.identities.get(key) ?? new Set<number>();
    this.identities.set(key, used);
    const explicit = header.getNumber('EXTVER');
    let ver = explicit ?? 1;
    if (explicit === undefined && used.has(ver)) {
      while (used.has(ver)) ver++;
      header.set('EXTVER', ver, 'extension version', { after: 'EXTNAME' });
    }
    used.add(ver);
  }

  /** An empty primary HDU is written first when the first HDU added is not an image. */
  private async ensurePrimary(): Promise<void> {
    if (this.hduCount === 0) await this.writeImage({ axes: [] });
  }

  /** Write an image HDU (the primary if it is the first HDU) whose data is in memory. */
  async writeImage(spec: ImageHdu): Promise<void> {
    const sink = await this.beginImage(spec, spec.data);
    if (spec.data) await sink.write(spec.data);
    await sink.end();
  }

  /**
   * Start an image HDU whose data will be streamed. `sample` (any array of the data's type) decides
   * the default BITPIX when `spec.bitpix` is not given; `spec.blank` must be set if integer data may hold NaN.
   */
  async beginImage(spec: ImageSpec, sample?: ImageData): Promise<ImageSink> {
    this.checkIdle();
    const expected = spec.axes.length === 0 ? 0 : spec.axes.reduce((p, n) => p * n, 1);
    for (const n of spec.axes) if (!Number.isSafeInteger(n) || n < 0) throw new FitsError('FITS_BAD_ARGUMENT', `invalid axis length ${n}`);
    if (spec.axes.length > 999) throw new FitsError('FITS_BAD_ARGUMENT', 'NAXIS must be at most 999');
    const t = storedType(spec, sample);
    let blank = spec.blank;
    if (blank === undefined && t.bitpix > 0 && sample && sample.length === expected && hasNaN(sample)) {
      // The type's minimum (BITPIX 8 is unsigned: its maximum); -2^63 is exact as a double.
      blank = t.bitpix === 8 ? 255 : t.bitpix === 16 ? -32768 : t.bitpix === 32 ? -2147483648 : -9223372036854775808;
    }
    const header = imageHeader(spec, t, blank, this.hduCount === 0);
    if (this.hduCount > 0) this.claimIdentity(header, 'IMAGE');
    finalizeHeader(header);
    applyChecksum(header, 0);
    const headerBytes = header.toBuffer();
    const headerPos = this.target.position;
    await this.target.write(headerBytes);
    this.busy = true;
    let written = 0;
    const sum = new OnesComplementSum();
    const bytesPer = Math.abs(t.bitpix) / 8;
    return {
      write: async (values: ImageData) => {
        if (written + values.length > expected) throw new FitsError('FITS_BAD_ARGUMENT', `more than the ${expected} pixels the axes declare`);
        if (values.length === 0) return;
        const bytes = encodeValues(values, t, blank);
        sum.add(bytes);
        await this.target.write(bytes);
        written += values.length;
      },
      end: async () => {
        if (written !== expected) throw new FitsError('FITS_BAD_ARGUMENT', `wrote ${written} of the ${expected} pixels the axes declare`);
        await this.target.write(padding(written * bytesPer, 0));
        applyChecksum(header, sum.value());
        const final = header.toBuffer();
        if (final.length !== headerBytes.length) throw new FitsError('FITS_IO', 'internal: header size changed');
        await this.target.writeAt(final, headerPos);
        this.busy = false;
        this.hduCount++;
      },
    };
  }

  /** Append a binary table HDU from the table encoder's output (`encodeBinTable`). */
  async writeTable(spec: TableHduSpec): Promise<void> {
    this.checkIdle();
    await this.ensurePrimary();
    const header = tableHeader(spec);
    this.claimIdentity(header, String(header.get('XTENSION') ?? '').trim());
    finalizeHeader(header);
    const sum = new OnesComplementSum().add(spec.data).value();
    applyChecksum(header, sum);
    await this.target.write(header.toBuffer());
    await this.target.write(spec.data);
    await this.target.write(padding(spec.data.length, 0));
    this.hduCount++;
  }

  /** Write one HDU of either kind. */
  async write(hdu: HduSpec): Promise<void> {
    if (hdu.type === 'table') await this.writeTable(hdu);
    else await this.writeImage(hdu);
  }

  /** Finish the file (an empty primary HDU if nothing was written). */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      this.checkIdle();
      await this.ensurePrimary();
    } catch (err) {
      this.closed = true;
      await this.finish(false);
      throw err;
    }
    this.closed = true;
    await this.finish(true);
  }

  /** Give up: remove the partial output. */
  async abort(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.finish(false);
  }

  /** A writer that collects the file in memory; `bytes()` after close. */
  static memory(): FitsWriter & { bytes(): Buffer } {
    const target = new MemoryTarget();
    const w = new FitsWriter(target, async () => undefined) as FitsWriter & { bytes(): Buffer };
    w.bytes = () => Buffer.concat(target.chunks);
    return w;
  }
}

/** Write a whole FITS file from HDU specs. */
export async function writeFits(path: string, hdus: readonly HduSpec[]): Promise<void> {
  const w = await FitsWriter.create(path);
  try {
    for (const h of hdus) await w.write(h);
    await w.close();
  } catch (err) {
    await w.abort();
    throw err;
  }
}

/** The bytes of a FITS file made of these HDUs. */
export async function encodeFits(hdus: readonly HduSpec[]): Promise<Buffer> {
  const w = FitsWriter.memory();
  for (const h of hdus) await w.write(h);
  await w.close();
  return w.bytes();
}
