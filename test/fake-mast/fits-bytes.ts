/**
 * A minimal FITS writer for the fake MAST's product files: primary + IMAGE and BINTABLE
 * extensions, fixed-format cards, big-endian data, 2880-byte blocks. Sizes are computable from
 * the plan alone (no data generated), so product lists report exact byte sizes cheaply.
 */
export type CardValue = string | number | boolean | { float: number };
export type Card = readonly [key: string, value: CardValue | null, comment?: string];

export interface ImageHdu {
  readonly kind: 'image';
  readonly bitpix: 8 | 16 | 32 | -32 | -64;
  /** NAXIS1 (fastest) first. */
  readonly shape: readonly number[];
  readonly cards: readonly Card[];
  /** Writes the data (big-endian) into `view`, which covers exactly the data bytes. */
  readonly fill?: (view: DataView) => void;
}

export interface TableColumn {
  readonly name: string;
  readonly unit?: string;
  readonly values: Float64Array;
}

export interface TableHdu {
  readonly kind: 'bintable';
  readonly rows: number;
  readonly columns: readonly TableColumn[];
  readonly cards: readonly Card[];
}

export type Hdu = ImageHdu | TableHdu;

const BLOCK = 2880;

function pad(len: number): number {
  return Math.ceil(len / BLOCK) * BLOCK;
}

function formatValue(v: CardValue): string {
  if (typeof v === 'string') {
    const inner = v.replace(/'/g, "''").padEnd(8, ' ');
    return `'${inner}'`.padEnd(20, ' ');
  }
  if (typeof v === 'boolean') return (v ? 'T' : 'F').padStart(20, ' ');
  if (typeof v === 'number') return String(v).padStart(20, ' ');
  let s = Number.isInteger(v.float) ? `${v.float}.0` : String(v.float);
  if (s.length > 20) s = v.float.toPrecision(15);
  return s.toUpperCase().padStart(20, ' ');
}

export function formatCard([key, value, comment]: Card): string {
  let line: string;
  if (value === null) line = key.padEnd(8, ' ') + (comment ? `  ${comment}` : '');
  else line = `${key.padEnd(8, ' ')}= ${formatValue(value)}${comment ? ` / ${comment}` : ''}`;
  return line.slice(0, 80).padEnd(80, ' ');
}

function structuralCards(hdu: Hdu, primary: boolean): Card[] {
  if (hdu.kind === 'image') {
    const out: Card[] = primary ? [['SIMPLE', true, 'conforms to FITS standard']] : [['XTENSION', 'IMAGE', 'Image extension']];
    out.push(['BITPIX', hdu.bitpix], ['NAXIS', hdu.shape.length]);
    hdu.shape.forEach((n, i) => out.push([`NAXIS${i + 1}`, n]));
    if (primary) out.push(['EXTEND', true]);
    else out.push(['PCOUNT', 0], ['GCOUNT', 1]);
    return out;
  }
  const out: Card[] = [
    ['XTENSION', 'BINTABLE', 'binary table extension'], ['BITPIX', 8], ['NAXIS', 2],
    ['NAXIS1', hdu.columns.length * 8], ['NAXIS2', hdu.rows], ['PCOUNT', 0], ['GCOUNT', 1], ['TFIELDS', hdu.columns.length],
  ];
  hdu.columns.forEach((c, i) => {
    out.push([`TTYPE${i + 1}`, c.name], [`TFORM${i + 1}`, 'D']);
    if (c.unit) out.push([`TUNIT${i + 1}`, c.unit]);
  });
  return out;
}

function dataBytes(hdu: Hdu): number {
  if (hdu.kind === 'bintable') return hdu.rows * hdu.columns.length * 8;
  if (hdu.shape.length === 0) return 0;
  return hdu.shape.reduce((a, b) => a * b, 1) * (Math.abs(hdu.bitpix) / 8);
}

function headerCards(hdu: Hdu, primary: boolean): string[] {
  return [...structuralCards(hdu, primary), ...hdu.cards].map(formatCard).concat(['END'.padEnd(80, ' ')]);
}

/** Exact file size of the HDU list, without generating any data. */
export function fitsSize(hdus: readonly Hdu[]): number {
  return hdus.reduce((sum, hdu, i) => sum + pad(headerCards(hdu, i === 0).length * 80) + pad(dataBytes(hdu)), 0);
}

export function writeFits(hdus: readonly Hdu[]): Buffer {
  const out = Buffer.alloc(fitsSize(hdus));
  let at = 0;
  hdus.forEach((hdu, i) => {
    const header = headerCards(hdu, i === 0).join('');
    out.write(header, at, 'latin1');
    out.fill(' ', at + header.length, at + pad(header.length), 'latin1');
    at += pad(header.length);
    const n = dataBytes(hdu);
    const view = new DataView(out.buffer, out.byteOffset + at, n);
    if (hdu.kind === 'image') hdu.fill?.(view);
    else {
      for (let r = 0; r < hdu.rows; r++) {
        hdu.columns.forEach((c, j) => view.setFloat64((r * hdu.columns.length + j) * 8, c.values[r] ?? NaN, false));
      }
    }
    at += pad(n); // zero padding is already there (Buffer.alloc)
  });
  return out;
}
