/**
 * What is in a FITS file, for GET /fits/info, /fits/header, /fits/table and /fits/cube info:
 * every HDU with its kind, dimensions, BITPIX and cards; one header; table rows as JSON.
 */
import { cardValueToJson, type Hdu } from '../../fits/index.js';
import { describeTable, describeToJson, readTableRows, rowsToJson, type JsonValue } from '../../fits/table/index.js';
import { BadRequestError } from '../../errors.js';
import { cubeInfo, NOT_A_CUBE, type CubeInfo } from '../cube-info.js';
import { openFits, type ViewerLimits } from './source.js';

export interface CardJson {
  keyword: string;
  value: string | number | boolean | null | [number, number];
  comment: string;
}

export interface HduSummary {
  index: number;
  name: string;
  ver: number;
  type: string;
  /** NAXISn in FITS order (NAXIS1 first). */
  dimensions: number[];
  /** numpy order, as astropy reports shape. */
  shape: number[];
  bitpix: number;
  n_cards: number;
}

export interface FitsInfo {
  file_size: number;
  wrapper: string;
  n_hdus: number;
  hdus: Array<HduSummary & { header: CardJson[] }>;
  warnings: string[];
}

function cardsOf(hdu: Hdu): CardJson[] {
  return hdu.header.cards.map((c) => ({ keyword: c.keyword, value: cardValueToJson(c.value), comment: c.comment }));
}

function summary(hdu: Hdu): HduSummary {
  return {
    index: hdu.index,
    name: hdu.name,
    ver: hdu.ver,
    type: hdu.kind,
    dimensions: [...hdu.axes],
    shape: [...hdu.axes].reverse(),
    bitpix: hdu.bitpix,
    n_cards: hdu.header.cards.length,
  };
}

function pickHdu(hdus: readonly Hdu[], ref: string | number | undefined, fallback: (h: Hdu) => boolean = () => true): Hdu {
  if (ref === undefined || ref === '') {
    const h = hdus.find(fallback) ?? hdus[0];
    if (!h) throw new BadRequestError('The file has no HDUs');
    return h;
  }
  const asNumber = typeof ref === 'number' ? ref : /^\d+$/.test(ref.trim()) ? Number(ref) : undefined;
  if (asNumber !== undefined) {
    const h = hdus[asNumber];
    if (!h) throw new BadRequestError(`HDU ${asNumber} does not exist (the file has ${hdus.length})`, 'NO_SUCH_HDU');
    return h;
  }
  const name = String(ref).trim().toUpperCase();
  const h = hdus.find((x) => x.name.toUpperCase() === name);
  if (!h) throw new BadRequestError(`No HDU named '${ref}' (HDUs: ${hdus.map((x) => x.name || String(x.index)).join(', ')})`, 'NO_SUCH_HDU');
  return h;
}

export async function fitsInfoFile(path: string, limits: ViewerLimits): Promise<FitsInfo> {
  const file = await openFits(path, limits);
  try {
    return {
      file_size: file.size,
      wrapper: file.wrapper,
      n_hdus: file.hdus.length,
      hdus: file.hdus.map((h) => ({ ...summary(h), header: cardsOf(h) })),
      warnings: [...file.warnings],
    };
  } finally {
    await file.close();
  }
}

export async function fitsHeaderFile(path: string, hdu: string | number | undefined, limits: ViewerLimits): Promise<HduSummary & { header: CardJson[]; text: string }> {
  const file = await openFits(path, limits);
  try {
    const h = pickHdu(file.hdus, hdu);
    return { ...summary(h), header: cardsOf(h), text: h.header.records().join('\n') };
  } finally {
    await file.close();
  }
}

export interface TableRequest {
  readonly path: string;
  readonly hdu?: string | number;
  readonly columns?: readonly string[];
  readonly offset: number;
  readonly limit: number;
  readonly limits: ViewerLimits;
}

export async function fitsTableFile(req: TableRequest): Promise<Record<string, JsonValue>> {
  const file = await openFits(req.path, req.limits);
  try {
    const h = pickHdu(file.hdus, req.hdu, (x) => x.kind === 'bintable' || x.kind === 'ascii-table');
    if (h.kind !== 'bintable' && h.kind !== 'ascii-table') {
      throw new BadRequestError(`HDU ${h.index} (${h.name || 'unnamed'}) is a ${h.kind}, not a table`, 'NOT_A_TABLE');
    }
    const description = describeTable(h);
    const result = await readTableRows(file, h, {
      offset: req.offset,
      limit: req.limit,
      columns: req.columns && req.columns.length ? req.columns : undefined,
      description,
    });
    return {
      hdu: h.index,
      name: h.name,
      ...describeToJson(description),
      offset: result.offset,
      limit: req.limit,
      n_returned: result.rows.length,
      column_names: result.columns.map((c) => c.name),
      rows: rowsToJson(result) as unknown as JsonValue,
    };
  } finally {
    await file.close();
  }
}

/** GET /cubeinfo: the first HDU with at least three axes and data. */
export async function cubeInfoFile(path: string, limits: ViewerLimits): Promise<CubeInfo> {
  const file = await openFits(path, limits);
  try {
    const h = file.hdus.find((x) => (x.kind === 'image' || x.kind === 'compressed-image') && x.axes.length >= 3 && x.axes.every((n) => n > 0));
    return h ? cubeInfo(h.header, h.axes) : { ...NOT_A_CUBE };
  } finally {
    await file.close();
  }
}
