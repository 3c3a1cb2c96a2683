/** Builders for synthetic table files used by the table tests (not a test file itself). */
import { BLOCK_LENGTH, formatCard, type NewCard } from '../../src/fits/card.js';
import type { BinTableColumnSpec } from '../../src/fits/table/index.js';

export function padBlock(buf: Buffer, fill: number): Buffer {
  const extra = (BLOCK_LENGTH - (buf.length % BLOCK_LENGTH)) % BLOCK_LENGTH;
  return Buffer.concat([buf, Buffer.alloc(extra, fill)]);
}

export function headerBytes(cards: readonly NewCard[]): Buffer {
  const text = cards.flatMap((c) => formatCard(c)).join('') + 'END'.padEnd(80, ' ');
  return padBlock(Buffer.from(text, 'latin1'), 0x20);
}

export const PRIMARY_CARDS: readonly NewCard[] = [
  { keyword: 'SIMPLE', value: true },
  { keyword: 'BITPIX', value: 8 },
  { keyword: 'NAXIS', value: 0 },
  { keyword: 'EXTEND', value: true },
];

/** Empty primary HDU + one extension with these cards and data bytes (zero-padded). */
export function fitsWithExtension(cards: readonly NewCard[], data: Uint8Array): Buffer {
  return Buffer.concat([headerBytes(PRIMARY_CARDS), headerBytes(cards), padBlock(Buffer.from(data), 0)]);
}

/** Cards of an ASCII TABLE with the given columns ({form, start, ...extra keywords}). */
export function asciiTableCards(
  rowBytes: number,
  nRows: number,
  columns: readonly { name: string; form: string; start: number; extra?: readonly NewCard[] }[],
): NewCard[] {
  const cards: NewCard[] = [
    { keyword: 'XTENSION', value: 'TABLE' },
    { keyword: 'BITPIX', value: 8 },
    { keyword: 'NAXIS', value: 2 },
    { keyword: 'NAXIS1', value: rowBytes },
    { keyword: 'NAXIS2', value: nRows },
    { keyword: 'PCOUNT', value: 0 },
    { keyword: 'GCOUNT', value: 1 },
    { keyword: 'TFIELDS', value: columns.length },
  ];
  columns.forEach((c, i) => {
    const n = i + 1;
    cards.push({ keyword: `TTYPE${n}`, value: c.name }, { keyword: `TBCOL${n}`, value: c.start }, { keyword: `TFORM${n}`, value: c.form });
    for (const e of c.extra ?? []) cards.push({ ...e, keyword: `${e.keyword}${n}` });
  });
  return cards;
}

/** One column of every kind the encoder writes (used by the encoder tests and the astropy fixture). */
export const EVERY_TYPE: BinTableColumnSpec[] = [
  { name: 'L', values: [true, false, null] },
  { name: 'X', format: '12X', values: [[true, false, true], [], [true, true, true, true, true, true, true, true, true, true, true, true]] },
  { name: 'B', values: new Uint8Array([0, 128, 255]) },
  { name: 'SB', values: new Int8Array([-128, 0, 127]) },
  { name: 'I', values: new Int16Array([-32768, 0, 32767]) },
  { name: 'UI', values: new Uint16Array([0, 32768, 65535]) },
  { name: 'J', format: '1J', values: [1, null, -5], tnull: -2147483648 },
  { name: 'UJ', values: new Uint32Array([0, 2147483648, 4294967295]) },
  { name: 'K', values: [9007199254740993n, -1n, 0n] },
  { name: 'UK', values: new BigUint64Array([0n, 2n ** 63n, 2n ** 64n - 1n]) },
  { name: 'E', values: new Float32Array([1.5, Number.NaN, -Infinity]), unit: 'Jy' },
  { name: 'D', values: [Math.PI, Number.NaN, 1e300] },
  { name: 'C', format: '1C', values: [{ re: 1, im: -2 }, { re: 0.5, im: 0 }, { re: 3, im: 4 }] },
  { name: 'M', values: [{ re: 1e-300, im: 2 }, { re: 0, im: 0 }, { re: -1, im: 1 }] },
  { name: 'A', values: ['abc', '', 'a much longer string'] },
  { name: 'VEC', values: [new Float64Array([1, 2, 3, 4, 5, 6]), new Float64Array(6), new Float64Array([6, 5, 4, 3, 2, 1])], dim: [3, 2] },
  { name: 'SCALED', format: '1I', values: [0.5, 1.0, -2.25], scale: 0.25, zero: 10 },
  { name: 'VLA_J', values: [[1, 2, 3], [], [7]], format: '1PJ' },
  { name: 'VLA_D', values: [new Float64Array([0.5]), new Float64Array([1, 2]), new Float64Array(0)] },
  { name: 'VLA_A', format: 'PA', values: ['hello', '', 'x'] },
  { name: 'VLA_L', format: 'PL', values: [[true, null], [false], []] },
  { name: 'Q_E', format: '1QE', values: [new Float32Array([1, 2]), new Float32Array([3]), new Float32Array(0)] },
];
