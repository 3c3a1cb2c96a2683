/**
 * Streaming FITS CHECKSUM/DATASUM verification (FITS 4.0 Appendix J): the 32-bit ones'-complement
 * sum of every HDU (header + data) must be -0 when CHECKSUM is present, and the sum of the data
 * must equal DATASUM. Fed the file's bytes in order, in pieces of any size, so a download can be
 * verified in the same pass that writes it; memory stays at one header block. The sums
 * themselves are src/fits/checksum.ts's (`OnesComplementSum`, `addSums`).
 */
import { addSums, OnesComplementSum, type OnesSumState } from '../fits/checksum.js';

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

/** FitsChecksumAccumulator.snapshot(): plain JSON (saved in a download's checkpoint). */
export interface FitsChecksumState {
  readonly phase: 'header' | 'data' | 'stopped';
  readonly isFits: boolean;
  readonly sawFirstBlock: boolean;
  /** The bytes of the header block being filled, base64. */
  readonly block: string;
  readonly headerBlocks: number;
  readonly keys: {
    readonly bitpix: number; readonly naxis: readonly number[]; readonly pcount: number; readonly gcount: number;
    readonly groups: boolean; readonly checksum?: string | undefined; readonly datasum?: string | undefined;
  };
  readonly headerSum: OnesSumState;
  readonly dataSum: OnesSumState;
  readonly dataRemaining: number;
  readonly hdus: readonly HduChecksum[];
  readonly midHdu: boolean;
}
const MAX_HEADER_BLOCKS = 10_000;

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
  private headerSum = new OnesComplementSum();
  private dataSum = new OnesComplementSum();
  private dataRemaining = 0;
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
        this.dataSum.add(buf.subarray(pos, pos + take));
        pos += take;
        this.dataRemaining -= take;
        if (this.dataRemaining === 0) this.finishHdu();
      }
    }
  }

  /**
   * The accumulator's whole state as plain JSON (the partial header block as base64), so a
   * download resumed in another process continues the verification where it stopped.
   */
  snapshot(): FitsChecksumState {
    return {
      phase: this.phase, isFits: this.isFits, sawFirstBlock: this.sawFirstBlock,
      block: Buffer.from(this.block.buffer, this.block.byteOffset, this.blockFill).toString('base64'),
      headerBlocks: this.headerBlocks, keys: { ...this.keys, naxis: [...this.keys.naxis] },
      headerSum: this.headerSum.state(), dataSum: this.dataSum.state(), dataRemaining: this.dataRemaining,
      hdus: this.hdus.map((h) => ({ ...h })), midHdu: this.midHdu,
    };
  }

  /** An accumulator continued from `snapshot()`; TypeError when the state is not one. */
  static restore(state: FitsChecksumState): FitsChecksumAccumulator {
    const bad = (why: string): never => {
      throw new TypeError(`invalid FITS checksum state: ${why}`);
    };
    if (typeof state !== 'object' || state === null) bad('not an object');
    const a = new FitsChecksumAccumulator();
    if (!['header', 'data', 'stopped'].includes(state.phase)) bad('phase');
    const block = Buffer.from(typeof state.block === 'string' ? state.block : '', 'base64');
    if (block.length >= BLOCK) bad('block');
    const nonNeg = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
    if (!nonNeg(state.headerBlocks) || !nonNeg(state.dataRemaining)) bad('counts');
    const k = state.keys;
    if (typeof k !== 'object' || k === null || !Array.isArray(k.naxis) || k.naxis.length > 999 || !k.naxis.every((n) => typeof n === 'number')) bad('keys');
    if (!Array.isArray(state.hdus) || state.hdus.length > 100_000) bad('hdus');
    a.phase = state.phase;
    a.isFits = state.isFits === true;
    a.sawFirstBlock = state.sawFirstBlock === true;
    a.block.set(block);
    a.blockFill = block.length;
    a.headerBlocks = state.headerBlocks;
    a.keys = {
      bitpix: Number(k.bitpix), naxis: [...k.naxis], pcount: Number(k.pcount), gcount: Number(k.gcount), groups: k.groups === true,
      checksum: typeof k.checksum === 'string' ? k.checksum : undefined, datasum: typeof k.datasum === 'string' ? k.datasum : undefined,
    };
    a.headerSum = OnesComplementSum.fromState(state.headerSum);
    a.dataSum = OnesComplementSum.fromState(state.dataSum);
    a.dataRemaining = state.dataRemaining;
    const verdicts: readonly string[] = ['valid', 'invalid', 'absent'];
    for (const h of state.hdus) {
      if (!Number.isInteger(h.index) || !verdicts.includes(h.checksum) || !verdicts.includes(h.datasum)) bad('hdu');
      a.hdus.push({ index: h.index, checksum: h.checksum, datasum: h.datasum });
    }
    a.midHdu = state.midHdu === true;
    return a;
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
    this.headerSum.add(this.block);
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

  private finishHdu(): void {
    const dataSum = this.dataSum.value();
    const hduSum = addSums(this.headerSum.value(), dataSum);
    const { checksum, datasum } = this.keys;
    this.hdus.push({
      index: this.hdus.length,
      checksum: checksum === undefined || checksum.trim() === '' ? 'absent' : hduSum === 0xffffffff || hduSum === 0 ? 'valid' : 'invalid',
      datasum: datasum === undefined || datasum.trim() === '' ? 'absent' : /^\d+$/.test(datasum.trim()) && Number(datasum.trim()) === dataSum ? 'valid' : 'invalid',
    });
    this.keys = FitsChecksumAccumulator.freshKeys();
    this.headerSum = new OnesComplementSum();
    this.dataSum = new OnesComplementSum();
    this.headerBlocks = 0;
    this.midHdu = false;
    this.phase = 'header';
  }
}

/** True when a report shows a CHECKSUM or DATASUM that does not verify. */
export function hasChecksumFailure(report: FitsChecksumReport): boolean {
  return report.hdus.some((h) => h.checksum === 'invalid' || h.datasum === 'invalid');
}
