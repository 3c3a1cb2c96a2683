/**
 * Streaming FITS CHECKSUM/DATASUM verification (FITS 4.0 Appendix J): the 32-bit ones'-complement
 * sum of every HDU (header + data) must be -0 when CHECKSUM is present, and the sum of the data
 * must equal DATASUM. Fed the file's bytes in order, in pieces of any size, so a download can be
 * verified in the same pass that writes it; memory stays at one header block.
 */

export type SumVerdict = 'valid' | 'invalid' | 'absent';

export interface HduChecksum {
  readonly index: number;
  readonly checksum: SumVerdict;
  readonly datasum: SumVerdict;
}

export interface FitsChecksumReport {
  /** The bytes start like a FITS file (`SIMPLE  =`). */
  readonly isFits: boolean;
  /** Every HDU announced by its header was read to its end. */
  readonly complete: boolean;
  readonly hdus: readonly HduChecksum[];
}

const BLOCK = 2880;
const MAX_HEADER_BLOCKS = 10_000;

/** Folds separate high/low 16-bit sums into one 32-bit ones'-complement sum. */
export function foldOnesComplement(hi: number, lo: number): number {
  let h = hi;
  let l = lo;
  while (h > 0xffff || l > 0xffff) {
    const hc = Math.floor(h / 65536);
    const lc = Math.floor(l / 65536);
    h = (h % 65536) + lc;
    l = (l % 65536) + hc;
  }
  return h * 65536 + l;
}

interface HduKeys {
  bitpix: number;
  naxis: number[];
  pcount: number;
  gcount: number;
  groups: boolean;
  checksum: string | undefined;
  datasum: string | undefined;
}

function cardValue(card: string): string {
  const raw = card.slice(10);
  const trimmed = raw.trimStart();
  if (trimmed.startsWith("'")) {
    // A string: '' is an escaped quote; the value ends at the first lone quote.
    let out = '';
    for (let i = 1; i < trimmed.length; i++) {
      if (trimmed[i] === "'") {
        if (trimmed[i + 1] === "'") {
          out += "'";
          i++;
        } else break;
      } else out += trimmed[i];
    }
    return out.trimEnd();
  }
  const slash = trimmed.indexOf('/');
  return (slash >= 0 ? trimmed.slice(0, slash) : trimmed).trim();
}

function dataBytes(keys: HduKeys): number {
  if (keys.naxis.length === 0) return 0;
  const axes = keys.groups && keys.naxis[0] === 0 ? keys.naxis.slice(1) : keys.naxis;
  const elements = axes.reduce((a, b) => a * b, 1);
  return (Math.abs(keys.bitpix) / 8) * keys.gcount * (keys.pcount + elements);
}

export class FitsChecksumAccumulator {
  private phase: 'header' | 'data' | 'stopped' = 'header';
  private isFits = false;
  private sawFirstBlock = false;
  private readonly block = new Uint8Array(BLOCK);
  private blockFill = 0;
  private headerBlocks = 0;
  private keys: HduKeys = FitsChecksumAccumulator.freshKeys();
  private headerHi = 0;
  private headerLo = 0;
  private dataHi = 0;
  private dataLo = 0;
  private dataRemaining = 0;
  private readonly carry = new Uint8Array(4);
  private carryLen = 0;
  private readonly hdus: HduChecksum[] = [];
  private midHdu = false;

  private static freshKeys(): HduKeys {
    return { bitpix: 8, naxis: [], pcount: 0, gcount: 1, groups: false, checksum: undefined, datasum: undefined };
  }

  update(buf: Uint8Array): void {
    let pos = 0;
    while (pos < buf.length && this.phase !== 'stopped') {
      if (this.phase === 'header') {
        const take = Math.min(BLOCK - this.blockFill, buf.length - pos);
        this.block.set(buf.subarray(pos, pos + take), this.blockFill);
        this.blockFill += take;
        pos += take;
        if (this.blockFill === BLOCK) {
          this.blockFill = 0;
          this.headerBlock();
        }
      } else {
        const take = Math.min(this.dataRemaining, buf.length - pos);
        this.sumData(buf, pos, pos + take);
        pos += take;
        this.dataRemaining -= take;
        if (this.dataRemaining === 0) this.finishHdu();
      }
    }
  }

  finish(): FitsChecksumReport {
    return { isFits: this.isFits, complete: this.isFits && !this.midHdu && this.phase !== 'data', hdus: [...this.hdus] };
  }

  private headerBlock(): void {
    const text = Buffer.from(this.block.buffer, this.block.byteOffset, BLOCK).toString('latin1');
    if (this.headerBlocks === 0) {
      const first = !this.sawFirstBlock;
      this.sawFirstBlock = true;
      if (first) {
        if (!text.startsWith('SIMPLE  =')) {
          this.phase = 'stopped';
          return;
        }
        this.isFits = true;
      } else if (!text.startsWith('XTENSION=')) {
        // Trailing bytes after the last HDU are not ours to judge.
        this.phase = 'stopped';
        return;
      }
      this.midHdu = true;
    }
    this.headerBlocks++;
    const [hi, lo] = sumWords(this.block, 0, BLOCK);
    this.headerHi += hi;
    this.headerLo += lo;
    for (let c = 0; c < BLOCK; c += 80) {
      const card = text.slice(c, c + 80);
      const key = card.slice(0, 8).trimEnd();
      if (key === 'END') {
        const size = dataBytes(this.keys);
        this.dataRemaining = Math.ceil(size / BLOCK) * BLOCK;
        if (this.dataRemaining === 0) this.finishHdu();
        else this.phase = 'data';
        return;
      }
      if (card[8] !== '=') continue;
      const value = cardValue(card);
      if (key === 'BITPIX') this.keys.bitpix = Number(value);
      else if (key === 'NAXIS') this.keys.naxis = new Array<number>(Number(value) || 0).fill(0);
      else if (/^NAXIS\d+$/.test(key)) {
        const i = Number(key.slice(5)) - 1;
        if (i >= 0 && i < this.keys.naxis.length) this.keys.naxis[i] = Number(value) || 0;
      } else if (key === 'PCOUNT') this.keys.pcount = Number(value) || 0;
      else if (key === 'GCOUNT') this.keys.gcount = Number(value) || 1;
      else if (key === 'GROUPS') this.keys.groups = value === 'T';
      else if (key === 'CHECKSUM') this.keys.checksum = value;
      else if (key === 'DATASUM') this.keys.datasum = value;
    }
    if (this.headerBlocks > MAX_HEADER_BLOCKS) this.phase = 'stopped';
  }

  private sumData(buf: Uint8Array, start: number, end: number): void {
    let s = start;
    if (this.carryLen > 0) {
      while (this.carryLen < 4 && s < end) this.carry[this.carryLen++] = buf[s++]!;
      if (this.carryLen < 4) return;
      this.dataHi += (this.carry[0]! << 8) | this.carry[1]!;
      this.dataLo += (this.carry[2]! << 8) | this.carry[3]!;
      this.carryLen = 0;
    }
    const whole = s + Math.floor((end - s) / 4) * 4;
    const [hi, lo] = sumWords(buf, s, whole);
    this.dataHi += hi;
    this.dataLo += lo;
    for (let i = whole; i < end; i++) this.carry[this.carryLen++] = buf[i]!;
  }

  private finishHdu(): void {
    const dataSum = foldOnesComplement(this.dataHi, this.dataLo);
    const hduSum = foldOnesComplement(this.headerHi + this.dataHi, this.headerLo + this.dataLo);
    const { checksum, datasum } = this.keys;
    this.hdus.push({
      index: this.hdus.length,
      checksum: checksum === undefined || checksum.trim() === '' ? 'absent' : hduSum === 0xffffffff || hduSum === 0 ? 'valid' : 'invalid',
      datasum: datasum === undefined || datasum.trim() === '' ? 'absent' : /^\d+$/.test(datasum.trim()) && Number(datasum.trim()) === dataSum ? 'valid' : 'invalid',
    });
    this.keys = FitsChecksumAccumulator.freshKeys();
    this.headerHi = this.headerLo = this.dataHi = this.dataLo = 0;
    this.headerBlocks = 0;
    this.carryLen = 0;
    this.midHdu = false;
    this.phase = 'header';
  }
}

/** High and low 16-bit halves of the big-endian 32-bit words in buf[start, end), summed. */
function sumWords(buf: Uint8Array, start: number, end: number): [number, number] {
  let hiTotal = 0;
  let loTotal = 0;
  // Inner sums stay small integers (fast in V8); they are flushed into doubles every 16 Ki words.
  for (let blockStart = start; blockStart < end; blockStart += 65536) {
    const blockEnd = Math.min(end, blockStart + 65536);
    let hi = 0;
    let lo = 0;
    for (let i = blockStart; i < blockEnd; i += 4) {
      hi += (buf[i]! << 8) | buf[i + 1]!;
      lo += (buf[i + 2]! << 8) | buf[i + 3]!;
    }
    hiTotal += hi;
    loTotal += lo;
  }
  return [hiTotal, loTotal];
}

/** True when a report shows a CHECKSUM or DATASUM that does not verify. */
export function hasChecksumFailure(report: FitsChecksumReport): boolean {
  return report.hdus.some((h) => h.checksum === 'invalid' || h.datasum === 'invalid');
}
