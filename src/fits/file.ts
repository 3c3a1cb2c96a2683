/**
 * Opening a FITS file: walk the headers only and build an index of HDUs (kind, name, BITPIX, axes,
 * where the data unit starts and how long it is). Pixel and table data are read later, on demand,
 * through `readBytes`, so a multi-gigabyte file costs only its headers to open.
 */
import { constants } from 'node:buffer';
import { BLOCK_LENGTH, CARD_LENGTH } from './card.js';
import { type ByteSource, type SourceOptions, type Wrapper, bufferSource, openSource } from './byte-source.js';
import { FitsError } from './errors.js';
import { resolveHdu } from './hdu-ref.js';
import { Header, isEndRecord } from './header.js';

export type HduKind =
  | 'image'
  | 'bintable'
  | 'ascii-table'
  | 'compressed-image'
  | 'compressed-table'
  | 'random-groups'
  /** A conforming extension of a type this library does not know (its data is skipped). */
  | 'unknown';

export interface Hdu {
  readonly index: number;
  readonly kind: HduKind;
  /** EXTNAME; 'PRIMARY' for HDU 0 without EXTNAME; '' for an unnamed extension. */
  readonly name: string;
  /** EXTVER, default 1. */
  readonly ver: number;
  readonly header: Header;
  /** BITPIX of the pixels; ZBITPIX for a compressed image. */
  readonly bitpix: number;
  /** NAXISn in FITS order (axes[0] = NAXIS1 = width); ZNAXISn for a compressed image. */
  readonly axes: readonly number[];
  /** BITPIX and NAXISn as stored (differ from bitpix/axes only for compressed images). */
  readonly storedBitpix: number;
  readonly storedAxes: readonly number[];
  readonly pcount: number;
  readonly gcount: number;
  readonly headerOffset: number;
  readonly dataOffset: number;
  /** Bytes of the data unit without padding (including the heap of tables). */
  readonly dataBytes: number;
  /** Bytes of the data unit padded to 2880 (astropy's data_span). */
  readonly dataSpan: number;
  /** Header records before END (n_raw_cards) and number of 2880-byte header blocks. */
  readonly rawCardCount: number;
  readonly headerBlocks: number;
  /** False for a primary HDU with SIMPLE = F (astropy's _NonstandardHDU). */
  readonly standard: boolean;
}

export interface OpenOptions extends SourceOptions {
  /** Largest header accepted (default 16 MiB); FITS_TOO_LARGE beyond. */
  maxHeaderBytes?: number;
  /** Most HDUs indexed (default 10000). */
  maxHdus?: number;
}

export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024 * 1024;
export const DEFAULT_MAX_HDUS = 10_000;
const VALID_BITPIX = new Set([8, 16, 32, 64, -32, -64]);
const MAX_BUFFER_LENGTH = constants.MAX_LENGTH;
const HEADER_READ_BLOCKS = 64;

export class FitsFile {
  /** Problems that did not stop reading (trailing bytes, missing padding, odd header text). */
  readonly warnings: string[];

  private constructor(
    readonly path: string,
    private readonly source: ByteSource,
    readonly hdus: readonly Hdu[],
    warnings: string[],
    /** The limit the file was opened with: also bounds what a tile-compressed HDU declares it decompresses to. */
    readonly maxFileBytes: number | undefined = undefined,
  ) {
    this.warnings = warnings;
  }

  /** Open a file (plain, gzip or .Z) and index its HDUs by reading the headers only. */
  static async open(path: string, options: OpenOptions = {}): Promise<FitsFile> {
    const source = await openSource(path, options);
    try {
      const warnings: string[] = [];
      const hdus = await scanHdus(source, options, warnings);
      return new FitsFile(path, source, hdus, warnings, options.maxFileBytes);
    } catch (err) {
      await source.close().catch(() => undefined);
      throw err;
    }
  }

  /** Index a FITS byte stream already in memory. */
  static async fromBuffer(buf: Buffer, options: OpenOptions = {}, name = '<memory>'): Promise<FitsFile> {
    const source = bufferSource(buf);
    const warnings: string[] = [];
    const hdus = await scanHdus(source, options, warnings);
    return new FitsFile(name, source, hdus, warnings, options.maxFileBytes);
  }

  /** Size of the (decompressed) FITS byte stream. */
  get size(): number {
    return this.source.size;
  }

  /** How the file was wrapped on disk. */
  get wrapper(): Wrapper {
    return this.source.wrapper;
  }

  /** Exactly `length` bytes at `offset` of the (decompressed) stream, or FITS_TRUNCATED. */
  async readBytes(offset: number, length: number): Promise<Buffer> {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      throw new FitsError('FITS_BAD_ARGUMENT', `invalid byte range ${offset}+${length}`);
    }
    if (length > MAX_BUFFER_LENGTH) throw new FitsError('FITS_TOO_LARGE', `cannot read ${length} bytes into one buffer (limit ${MAX_BUFFER_LENGTH})`);
    const buf = await this.source.read(offset, length);
    if (buf.length < length) {
      throw new FitsError('FITS_TRUNCATED', `file ends at byte ${this.source.size}, ${length - buf.length} bytes short of the ${length} bytes needed at offset ${offset}`);
    }
    return buf;
  }

  /**
   * Fill `target` with the bytes at `offset` of the (decompressed) stream, or FITS_TRUNCATED.
   * `parallel`: one of several reads kept in flight (see ByteSource.readInto).
   */
  async readInto(target: Uint8Array, offset: number, parallel = false): Promise<void> {
    if (!Number.isSafeInteger(offset) || offset < 0) throw new FitsError('FITS_BAD_ARGUMENT', `invalid offset ${offset}`);
    const n = await this.source.readInto(target, offset, parallel);
    if (n < target.length) {
      throw new FitsError('FITS_TRUNCATED', `file ends at byte ${this.source.size}, ${target.length - n} bytes short of the ${target.length} bytes needed at offset ${offset}`);
    }
  }

  /** Find an HDU by index, or by EXTNAME (case-insensitive) and optional EXTVER. */
  hdu(which: number | string, ver?: number): Hdu {
    if (typeof which === 'number') return resolveHdu(this, which);
    const name = which.trim().toUpperCase();
    const h = this.hdus.find((x) => x.name.toUpperCase() === name && (ver === undefined || x.ver === ver));
    if (!h) throw new FitsError('FITS_BAD_ARGUMENT', `no HDU named ${JSON.stringify(which)}${ver === undefined ? '' : ` with EXTVER ${ver}`}`);
    return h;
  }

  async close(): Promise<void> {
    await this.source.close();
  }
}

/** The upstream rule: the first HDU that has pixel data with at least two axes (compressed images count). */
export function firstImageHdu(file: FitsFile): Hdu | undefined {
  return file.hdus.find((h) => (h.kind === 'image' || h.kind === 'compressed-image') && h.axes.length >= 2 && h.axes.every((n) => n > 0));
}

function padded(n: number): number {
  return Math.ceil(n / BLOCK_LENGTH) * BLOCK_LENGTH;
}

function bad(message: string): FitsError {
  return new FitsError('FITS_BAD_HEADER', message);
}

async function scanHdus(source: ByteSource, options: OpenOptions, warnings: string[]): Promise<Hdu[]> {
  const maxHeader = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  const maxHdus = options.maxHdus ?? DEFAULT_MAX_HDUS;
  const size = source.size;
  if (size === 0) throw new FitsError('FITS_NOT_FITS', 'empty file: a FITS file starts with a 2880-byte header');
  const hdus: Hdu[] = [];
  let offset = 0;
  while (offset < size) {
    const index = hdus.length;
    if (index >= maxHdus) throw new FitsError('FITS_TOO_LARGE', `more than ${maxHdus} HDUs`);
    const read = await readHeaderRecords(source, offset, maxHeader, index, warnings);
    if ('trailing' in read) {
      warnings.push(`${size - offset} bytes after HDU ${index - 1} ignored (${read.trailing})`);
      break;
    }
    const { records, blocks } = read;
    const header = Header.fromRecords(records);
    const hdu = describeHdu(header, index, offset, offset + blocks * BLOCK_LENGTH, records.length, blocks);
    const dataEnd = hdu.dataOffset + hdu.dataBytes;
    if (dataEnd > size) {
      throw new FitsError('FITS_TRUNCATED', `HDU ${index}: the data unit needs ${hdu.dataBytes} bytes from offset ${hdu.dataOffset} but the file ends at ${size}`);
    }
    hdus.push(hdu);
    const next = hdu.dataOffset + hdu.dataSpan;
    if (next > size && hdu.dataBytes > 0) warnings.push(`HDU ${index}: the last data block is not padded to 2880 bytes`);
    offset = next;
  }
  return hdus;
}

async function readHeaderRecords(
  source: ByteSource,
  start: number,
  maxHeader: number,
  index: number,
  warnings: string[],
): Promise<{ records: string[]; blocks: number } | { trailing: 'padding' | 'not an extension header' }> {
  const records: string[] = [];
  let pos = start;
  let nonAscii = 0;
  // Most headers are a few blocks: start small, then read more at a time.
  let blocksPerRead = 4;
  for (;;) {
    if (pos - start >= maxHeader) throw new FitsError('FITS_TOO_LARGE', `HDU ${index}: no END card within ${maxHeader} header bytes`);
    const want = Math.min(blocksPerRead * BLOCK_LENGTH, maxHeader - (pos - start));
    blocksPerRead = Math.min(blocksPerRead * 2, HEADER_READ_BLOCKS);
    const chunk = await source.read(pos, want);
    if (index > 0 && pos === start) {
      // What follows an HDU is an extension only if a whole block starting with XTENSION is there
      // (the first read of the header tells; no separate peek).
      const first = chunk.toString('latin1', 0, Math.min(chunk.length, BLOCK_LENGTH));
      if (chunk.length < BLOCK_LENGTH || !first.startsWith('XTENSION')) return { trailing: /^[\0 ]*$/.test(first) ? 'padding' : 'not an extension header' };
    }
    const whole = Math.floor(chunk.length / BLOCK_LENGTH) * BLOCK_LENGTH;
    if (whole === 0) {
      if (index === 0 && start === 0 && records.length === 0) {
        throw new FitsError('FITS_NOT_FITS', `file of ${source.size} bytes is too short to hold a FITS header`);
      }
      throw new FitsError('FITS_TRUNCATED', `HDU ${index}: the file ends inside the header (no END card)`);
    }
    for (let off = 0; off < whole; off += CARD_LENGTH) {
      let rec = chunk.toString('latin1', off, off + CARD_LENGTH);
      if (/[^\x20-\x7e]/.test(rec)) {
        nonAscii += rec.match(/[^\x20-\x7e]/g)?.length ?? 0;
        rec = rec.replace(/[^\x20-\x7e]/g, '?');
      }
      if (records.length === 0 && off === 0 && pos === start) checkFirstRecord(rec, index);
      if (isEndRecord(rec)) {
        const blocks = Math.floor((pos - start + off) / BLOCK_LENGTH) + 1;
        if (nonAscii > 0) warnings.push(`HDU ${index}: ${nonAscii} non-ASCII characters in the header were replaced by '?'`);
        return { records, blocks };
      }
      records.push(rec);
    }
    pos += whole;
  }
}

function checkFirstRecord(rec: string, index: number): void {
  const key = rec.slice(0, 8).trimEnd();
  if (index === 0 && key !== 'SIMPLE') {
    throw new FitsError('FITS_NOT_FITS', `not a FITS file: the first card is ${JSON.stringify(key)}, not SIMPLE`);
  }
  if (index > 0 && key !== 'XTENSION') throw bad(`HDU ${index}: the first card is ${JSON.stringify(key)}, not XTENSION`);
}

function intKeyword(header: Header, keyword: string, index: number, fallback?: number): number {
  const v = header.get(keyword);
  if (v === undefined) {
    if (fallback !== undefined) return fallback;
    throw bad(`HDU ${index}: mandatory keyword ${keyword} is missing`);
  }
  if (typeof v === 'bigint') throw new FitsError('FITS_TOO_LARGE', `HDU ${index}: ${keyword} = ${v} is too large`);
  if (typeof v !== 'number' || !Number.isInteger(v)) throw bad(`HDU ${index}: ${keyword} must be an integer, got ${JSON.stringify(String(v))}`);
  return v;
}

function readAxes(header: Header, index: number, prefix: 'NAXIS' | 'ZNAXIS'): number[] {
  const n = intKeyword(header, prefix, index);
  if (n < 0 || n > 999) throw bad(`HDU ${index}: ${prefix} = ${n} is outside 0..999`);
  const axes: number[] = [];
  for (let i = 1; i <= n; i++) {
    const len = intKeyword(header, `${prefix}${i}`, index);
    if (len < 0) throw bad(`HDU ${index}: ${prefix}${i} = ${len} is negative`);
    axes.push(len);
  }
  return axes;
}

function extensionKind(header: Header, xtension: string): HduKind {
  if (xtension === 'IMAGE' || xtension === 'IUEIMAGE') return 'image';
  if (xtension === 'TABLE') return 'ascii-table';
  if (xtension === 'BINTABLE' || xtension === 'A3DTABLE') {
    if (header.get('ZIMAGE') === true) return 'compressed-image';
    if (header.get('ZTABLE') === true) return 'compressed-table';
    return 'bintable';
  }
  return 'unknown';
}

function describeHdu(header: Header, index: number, headerOffset: number, dataOffset: number, rawCardCount: number, headerBlocks: number): Hdu {
  const storedBitpix = intKeyword(header, 'BITPIX', index);
  if (!VALID_BITPIX.has(storedBitpix)) throw bad(`HDU ${index}: BITPIX = ${storedBitpix} is not one of 8, 16, 32, 64, -32, -64`);
  const storedAxes = readAxes(header, index, 'NAXIS');
  let kind: HduKind;
  let standard = true;
  let pcount = 0;
  let gcount = 1;
  if (index === 0) {
    standard = header.get('SIMPLE') === true;
    // astropy also treats GROUPS = T with NAXIS = 0 as (empty) random groups.
    const groups = header.get('GROUPS') === true && (storedAxes.length === 0 || storedAxes[0] === 0);
    kind = groups ? 'random-groups' : 'image';
    if (groups) {
      pcount = intKeyword(header, 'PCOUNT', index, 0);
      gcount = intKeyword(header, 'GCOUNT', index, 1);
    }
  } else {
    const xt = header.get('XTENSION');
    kind = extensionKind(header, typeof xt === 'string' ? xt.trim().toUpperCase() : '');
    pcount = intKeyword(header, 'PCOUNT', index, 0);
    gcount = intKeyword(header, 'GCOUNT', index, 1);
  }
  if (pcount < 0 || gcount < 0) throw bad(`HDU ${index}: PCOUNT and GCOUNT must not be negative`);

  // Data size, in bigint so that absurd NAXIS products cannot overflow silently.
  const bytesPer = BigInt(Math.abs(storedBitpix) / 8);
  let count: bigint;
  if (kind === 'random-groups') {
    count = storedAxes.length < 2 ? 0n : BigInt(gcount) * (BigInt(pcount) + storedAxes.slice(1).reduce((p, n) => p * BigInt(n), 1n));
  } else if (storedAxes.length === 0) {
    count = 0n;
  } else {
    const product = storedAxes.reduce((p, n) => p * BigInt(n), 1n);
    count = index === 0 ? product : BigInt(gcount) * (BigInt(pcount) + product);
  }
  const total = count * bytesPer;
  if (total > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new FitsError('FITS_TOO_LARGE', `HDU ${index}: the header declares a data unit of ${total} bytes`);
  }
  const dataBytes = Number(total);

  let bitpix = storedBitpix;
  let axes: readonly number[] = storedAxes;
  if (kind === 'compressed-image') {
    try {
      const zb = intKeyword(header, 'ZBITPIX', index);
      if (!VALID_BITPIX.has(zb)) throw bad(`HDU ${index}: ZBITPIX = ${zb} is not valid`);
      axes = readAxes(header, index, 'ZNAXIS');
      bitpix = zb;
    } catch (err) {
      if (!(err instanceof FitsError)) throw err;
      kind = 'bintable'; // as astropy does: a ZIMAGE table without a usable image description stays a table
    }
  }

  const extname = header.get('EXTNAME');
  const name = typeof extname === 'string' ? extname.trim() : !standard ? '' : index === 0 ? 'PRIMARY' : kind === 'compressed-image' ? 'COMPRESSED_IMAGE' : '';
  const extver = header.get('EXTVER');
  const ver = typeof extver === 'number' && Number.isInteger(extver) ? extver : 1;
  return {
    index,
    kind,
    name,
    ver,
    header,
    bitpix,
    axes,
    storedBitpix,
    storedAxes,
    pcount,
    gcount,
    headerOffset,
    dataOffset,
    dataBytes,
    dataSpan: padded(dataBytes),
    rawCardCount,
    headerBlocks,
    standard,
  };
}
