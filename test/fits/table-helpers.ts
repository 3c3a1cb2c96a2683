/** Builders for synthetic table files used by the table tests (not a test file itself). */
import { BLOCK_LENGTH, formatCard, type NewCard } from '../../src/fits/card.js';

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
