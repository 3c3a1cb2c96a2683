/**
 * Output images as FITS under DATA_DIR/processed/: one file per image, the input HDU's WCS and
 * metadata cards kept (cards of axes beyond 2 dropped, since the output is one plane) and HISTORY
 * cards recording the algorithm and its parameters.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Header } from '../fits/header.js';
import type { NewCard } from '../fits/card.js';
import { writeFits } from '../fits/writer.js';
import type { OutputImage } from './registry.js';

const STRUCTURAL = /^(SIMPLE|XTENSION|BITPIX|NAXIS\d*|EXTEND|PCOUNT|GCOUNT|GROUPS|BSCALE|BZERO|BLANK|CHECKSUM|DATASUM|END|EXTNAME|EXTVER|ZIMAGE|ZTABLE|ZBITPIX|ZNAXIS\d*|ZTILE\d*|ZCMPTYPE|ZNAME\d*|ZVAL\d*|ZQUANTIZ|ZDITHER0|ZSIMPLE|ZEXTEND|ZHECKSUM|ZDATASUM|TFIELDS|TTYPE\d+|TFORM\d+|WCSAXES)$/;
/** WCS cards of axes 3 and up (the output keeps the plane's two axes). */
const HIGHER_AXIS = /^(CTYPE|CRPIX|CRVAL|CDELT|CUNIT|CROTA|CNAME|CRDER|CSYER)[3-9]|^(PC|CD)(\d+_[3-9]|[3-9]_\d+)$|^P[VS][3-9]_/;

export function inheritedCards(header: Header | undefined, dropUnits: boolean): NewCard[] {
  if (!header) return [];
  const out: NewCard[] = [];
  for (const c of header.cards) {
    const k = c.keyword.toUpperCase();
    if (!k || STRUCTURAL.test(k) || HIGHER_AXIS.test(k)) continue;
    if (dropUnits && k === 'BUNIT') continue;
    if (k === 'HISTORY' || k === 'COMMENT') {
      out.push({ keyword: k, value: typeof c.value === 'string' ? c.value : c.comment });
      continue;
    }
    if (c.value === undefined) continue;
    out.push({ keyword: k, value: c.value, comment: c.comment });
  }
  return out;
}

export function historyCards(engine: string, algorithm: string, parameters: Record<string, unknown>, source: string, description: string): NewCard[] {
  const lines = [`${engine}: ${algorithm} -> ${description}`, `source: ${source}`];
  const json = JSON.stringify(parameters);
  for (let i = 0; i < json.length; i += 60) lines.push(`${i === 0 ? 'parameters: ' : '  '}${json.slice(i, i + 60)}`);
  return lines.map((text) => ({ keyword: 'HISTORY', value: text.replace(/[^\x20-\x7e]/g, '?') }));
}

export interface WriteOutputsOptions {
  readonly dir: string;
  readonly prefix: string;
  readonly width: number;
  readonly height: number;
  readonly header?: Header;
  readonly algorithm: string;
  readonly parameters: Record<string, unknown>;
  readonly source: string;
  readonly engine: string;
}

/** Writes each image; returns the file names (relative to `dir`). */
export async function writeOutputImages(images: readonly OutputImage[], o: WriteOutputsOptions): Promise<string[]> {
  if (images.length === 0) return [];
  await mkdir(o.dir, { recursive: true });
  const names: string[] = [];
  for (const img of images) {
    const name = `${o.prefix}_${img.name}.fits`;
    const isLabels = img.data instanceof Int32Array;
    await writeFits(join(o.dir, name), [
      {
        axes: [o.width, o.height],
        data: img.data,
        cards: [
          ...inheritedCards(o.header, isLabels),
          { keyword: 'EXTNAME', value: img.name.toUpperCase() },
          ...historyCards(o.engine, o.algorithm, o.parameters, o.source, img.description),
        ],
      },
    ]);
    names.push(name);
  }
  return names;
}
