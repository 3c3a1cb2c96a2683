/**
 * Mosaics of several files (contract §1.4/§4.5, without its defects): the common grid of all
 * files, NaN and no-coverage excluded from every combine method, optional background matching.
 *  - Image output: each file is stretched with its own settings, the display values are combined,
 *    coloured with the colormap; the grid is fitted to width/height with the aspect kept.
 *  - FITS output: the physical values on the native grid, streamed band by band to disk (memory
 *    bounded), with the grid's WCS, provenance keywords (also from the primary headers, where
 *    JWST keeps TELESCOP/INSTRUME) and the SRCMETA table of every source card.
 */
import { basename } from 'node:path';
import type { Header, NewCard } from '../fits/index.js';
import { FitsWriter } from '../fits/index.js';
import { encodeBinTable } from '../fits/table/index.js';
import { buildDisplayMapping, colormapIndex, encodeRaster, MEDIA_TYPES, type Colormap, type DisplayOptions } from '../imaging/index.js';
import type { ViewerLimits } from '../imaging/viewer/source.js';
import { avmSpatial, embedAvm, wcsToCards, type AvmMetadata, type WcsDefinition } from '../wcs/index.js';
import { coaddBands, type CombineMethod } from './coadd.js';
import { ReprojectError } from './errors.js';
import type { CelestialImage, OutputGrid } from './grid.js';
import { fitGridInBox } from './grid-fit.js';
import type { Interpolation } from './interpolation.js';
import { binFactorFor, finestScale, withCelestialImages, type ImageShape, type OpenedCelestialImage } from './load.js';
import { findOptimalCelestialWcs } from './optimal-wcs.js';
import { throwIfCancelled } from '../core/cancellation.js';

export interface MosaicFileSpec {
  readonly path: string;
  readonly display: DisplayOptions;
}

export interface MosaicCommon {
  readonly files: readonly MosaicFileSpec[];
  readonly combine: CombineMethod;
  readonly matchBackground?: boolean;
  readonly interpolation?: Interpolation | 'exact';
  readonly limits: ViewerLimits;
  /** MAX_MOSAIC_OUTPUT_PIXELS. */
  readonly maxOutputPixels: number;
}

export interface MosaicImageSpec extends MosaicCommon {
  readonly format: 'png' | 'jpeg';
  readonly quality: number;
  readonly colormap: Colormap;
  readonly width?: number;
  readonly height?: number;
  readonly embedAvm: boolean;
  readonly avm?: AvmMetadata;
}

export interface MosaicFitsSpec extends MosaicCommon {
  /** Where the FITS file is written (through a temporary name). */
  readonly outputPath: string;
  /** Output band size in pixels (memory bound). */
  readonly bandPixels?: number;
  readonly now?: Date;
}

type Progress = (fraction: number, stage: string) => void;

const f = (n: number) => n.toLocaleString('en-US');

/** The native common grid, with the contract's 413 above MAX_MOSAIC_OUTPUT_PIXELS. */
export function mosaicGrid(shapes: readonly ImageShape[], maxOutputPixels: number): OutputGrid {
  const grid = findOptimalCelestialWcs(shapes);
  if (grid.width * grid.height > maxOutputPixels) {
    throw new ReprojectError(`Mosaic output too large: exceeds MAX_MOSAIC_OUTPUT_PIXELS (${f(maxOutputPixels)})`, 'MOSAIC_TOO_LARGE', 413);
  }
  return grid;
}

/** Every input opened once for the request (header for the grid, then pixels), closed after `use`. */
function withInputs<T>(spec: MosaicCommon, use: (inputs: OpenedCelestialImage[]) => Promise<T>): Promise<T> {
  return withCelestialImages(spec.files.map((f) => f.path), spec.limits, use);
}

export interface MosaicImageOutput {
  readonly image: Buffer;
  readonly mediaType: string;
  readonly width: number;
  readonly height: number;
  readonly wcs: WcsDefinition;
}

export async function renderMosaicImage(spec: MosaicImageSpec, onProgress?: Progress): Promise<MosaicImageOutput> {
  // The files are closed once their stretched tiles are in memory, before the combine.
  const { grid, tiles } = await withInputs(spec, async (inputs) => {
    const grid = fitGridInBox(mosaicGrid(inputs, spec.maxOutputPixels), spec.width, spec.height);
    const target = finestScale(grid.wcs);
    const tiles: CelestialImage[] = [];
    for (let k = 0; k < spec.files.length; k++) {
      throwIfCancelled();
      onProgress?.((0.5 * k) / spec.files.length, `stretching ${basename(spec.files[k]!.path)}`);
      // Files much finer than the output are block-averaged while streaming (bounded memory); the
      // stretch then comes from the averaged pixels, as a preview of that size would.
      const img = await inputs[k]!.readBinned(binFactorFor(inputs[k]!.wcs, target));
      const mapping = buildDisplayMapping(img.plane.data, spec.files[k]!.display);
      const mapped = new Float32Array(img.plane.data.length);
      for (let i = 0; i < mapped.length; i++) {
        const v = img.plane.data[i]!;
        mapped[i] = v === v ? mapping.map(v) : NaN;
      }
      tiles.push({ plane: { width: img.plane.width, height: img.plane.height, data: mapped }, wcs: img.wcs });
    }
    return { grid, tiles };
  });
  const { width, height } = grid;
  const lut = spec.colormap.lut;
  // Bands go straight into the 8-bit raster: no full-size float mosaic is held.
  const pixels = new Uint8Array(width * height * 3);
  await coaddBands(tiles, grid, {
    combine: spec.combine,
    method: spec.interpolation ?? 'bilinear',
    matchBackground: spec.matchBackground,
    onProgress: (p) => onProgress?.(0.5 + 0.45 * p, 'combining'),
  }, (band) => {
    for (let y = band.y0; y < band.y1; y++) {
      const src = (y - band.y0) * width;
      const dst = (height - 1 - y) * width;
      for (let x = 0; x < width; x++) {
        const v = band.data[src + x]!;
        if (v !== v) continue; // no coverage: black
        const k = colormapIndex(Math.min(1, Math.max(0, v)));
        const p = 3 * (dst + x);
        pixels[p] = lut[3 * k]!;
        pixels[p + 1] = lut[3 * k + 1]!;
        pixels[p + 2] = lut[3 * k + 2]!;
      }
    }
  });
  let image = await encodeRaster({ width, height, channels: 3, pixels }, { format: spec.format, quality: spec.quality });
  if (spec.embedAvm) image = embedAvm(image, avmSpatial(grid.wcs, width, height), spec.avm ?? { facility: 'JWST' });
  onProgress?.(1, 'done');
  return { image, mediaType: MEDIA_TYPES[spec.format], width, height, wcs: grid.wcs };
}

/** Keywords copied when identical (case-insensitive) across all sources that have them. */
const PROVENANCE_KEYWORDS = [
  'TELESCOP', 'INSTRUME', 'DETECTOR', 'FILTER', 'PUPIL', 'CHANNEL', 'BAND', 'EXP_TYPE', 'TARGNAME', 'OBS_ID', 'PROPOSID',
  'PI_NAME', 'DATE-OBS', 'TIME-OBS', 'MJD-OBS', 'MJD-END', 'EXPSTART', 'EXPEND', 'EXPTIME', 'XPOSURE', 'EFFEXPTM', 'BUNIT',
];
const SUMMARIES: ReadonlyArray<[string, string]> = [
  ['SRCINST', 'INSTRUME'], ['SRCDETS', 'DETECTOR'], ['SRCFILT', 'FILTER'], ['SRCTARG', 'TARGNAME'], ['SRCOBS', 'OBS_ID'], ['SRCPROP', 'PROPOSID'],
];

function keywordOf(img: { header: Header; primaryHeader?: Header }, key: string): string | number | boolean | undefined {
  const v = img.header.get(key) ?? img.primaryHeader?.get(key);
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'object') return undefined;
  if (typeof v === 'string' && v.trim() === '') return undefined;
  return typeof v === 'string' ? v.trim() : v;
}

function clip68(s: string): string {
  return s.length <= 68 ? s : s.slice(0, 68);
}

/** Provenance cards (contract §4.5) for the primary header of a FITS mosaic. */
export function provenanceCards(sources: ReadonlyArray<{ name: string; header: Header; primaryHeader?: Header }>, combine: CombineMethod, now: Date): NewCard[] {
  const cards: NewCard[] = [
    { keyword: 'EXTNAME', value: 'MOSAIC', comment: 'extension name' },
    { keyword: 'ORIGIN', value: 'JWST-DA', comment: 'organization responsible for the file' },
    { keyword: 'CREATOR', value: 'jwst-processing-engine', comment: 'software that created this file' },
    { keyword: 'DATE', value: now.toISOString().slice(0, 19), comment: 'UTC date the file was written' },
    { keyword: 'MOSAIC', value: true, comment: 'this image is a mosaic of several inputs' },
    { keyword: 'NINPUTS', value: sources.length, comment: 'number of input images' },
    { keyword: 'COMBMETH', value: combine, comment: 'how overlapping pixels were combined' },
  ];
  sources.forEach((s, i) => cards.push({ keyword: `SRC${String(i + 1).padStart(4, '0')}`, value: clip68(s.name), comment: 'source file' }));
  for (const key of PROVENANCE_KEYWORDS) {
    const values = sources.map((s) => keywordOf(s, key)).filter((v) => v !== undefined);
    if (values.length === 0) continue;
    const norm = new Set(values.map((v) => String(v).toLowerCase()));
    if (norm.size === 1) cards.push({ keyword: key, value: values[0]!, comment: 'identical in all inputs' });
  }
  for (const [card, key] of SUMMARIES) {
    const distinct = [...new Set(sources.map((s) => keywordOf(s, key)).filter((v) => v !== undefined).map(String))];
    if (distinct.length === 0) continue;
    let text = distinct.join('|');
    if (text.length > 68) text = `${distinct.slice(0, 3).join('|')}|...(${distinct.length} values)`;
    cards.push({ keyword: card, value: clip68(text), comment: `distinct ${key} of the inputs` });
  }
  cards.push({ keyword: 'HISTORY', value: `Mosaic of ${sources.length} images, combine=${combine}, by jwst-processing-engine` });
  for (const s of sources) cards.push({ keyword: 'HISTORY', value: `input: ${clip68(s.name)}` });
  return cards;
}

/** The SRCMETA binary table: every card of every source image header (contract §4.5). */
export function srcmetaTable(sources: ReadonlyArray<{ name: string; header: Header }>): { cards: NewCard[]; data: Uint8Array } {
  const index: number[] = [];
  const filename: string[] = [];
  const keyword: string[] = [];
  const value: string[] = [];
  const comment: string[] = [];
  sources.forEach((s, i) => {
    for (const c of s.header.cards) {
      if (c.keyword === '' && !c.comment) continue;
      index.push(i + 1);
      filename.push(s.name.slice(0, 120));
      keyword.push(c.keyword.slice(0, 32));
      const v = c.value;
      const text = v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
      value.push(text.slice(0, 512));
      comment.push((c.comment ?? '').slice(0, 256));
    }
  });
  const width = (arr: string[]) => Math.max(1, ...arr.map((s) => Buffer.byteLength(s, 'latin1')));
  const ascii = (arr: string[]) => arr.map((s) => s.replace(/[^\x20-\x7e]/g, '?'));
  const enc = encodeBinTable(
    [
      { name: 'SRCINDEX', format: '1J', values: index },
      { name: 'FILENAME', format: `${width(filename)}A`, values: ascii(filename) },
      { name: 'KEYWORD', format: `${width(keyword)}A`, values: ascii(keyword) },
      { name: 'VALUE', format: `${width(value)}A`, values: ascii(value) },
      { name: 'COMMENT', format: `${width(comment)}A`, values: ascii(comment) },
    ],
    {
      extname: 'SRCMETA',
      cards: [
        { keyword: 'NINPUTS', value: sources.length, comment: 'number of input images' },
        { keyword: 'METAVERS', value: '1.0', comment: 'SRCMETA layout version' },
      ],
    },
  );
  return { cards: enc.cards, data: enc.data };
}

export interface MosaicFitsOutput {
  readonly path: string;
  readonly width: number;
  readonly height: number;
  readonly wcs: WcsDefinition;
}

export function writeMosaicFits(spec: MosaicFitsSpec, onProgress?: Progress): Promise<MosaicFitsOutput> {
  // Inputs are read band by band (only the rows each output band needs), so memory stays bounded.
  return withInputs(spec, (inputs) => writeMosaicFitsFrom(inputs, spec, onProgress));
}

async function writeMosaicFitsFrom(inputs: OpenedCelestialImage[], spec: MosaicFitsSpec, onProgress?: Progress): Promise<MosaicFitsOutput> {
  const grid = mosaicGrid(inputs, spec.maxOutputPixels);
  const gridCards = wcsToCards(grid.wcs).filter((c) => c.keyword !== 'WCSAXES');
  const header = [...gridCards.map((c) => ({ keyword: c.keyword, value: c.value, comment: c.comment })), ...provenanceCards(inputs, spec.combine, spec.now ?? new Date())];
  // Identical RADESYS/EQUINOX already come from the grid's frame; drop the copied duplicates.
  const seen = new Set<string>();
  const cards = header.filter((c) => {
    if (c.keyword === 'HISTORY' || c.keyword === 'COMMENT') return true;
    if (seen.has(c.keyword)) return false;
    seen.add(c.keyword);
    return true;
  });
  return writeBands(spec, grid, cards, inputs, onProgress);
}

async function writeBands(spec: MosaicFitsSpec, grid: OutputGrid, cards: NewCard[], sources: OpenedCelestialImage[], onProgress?: Progress): Promise<MosaicFitsOutput> {
  const writer = await FitsWriter.create(spec.outputPath);
  let ok = false;
  try {
    const sink = await writer.beginImage({ axes: [grid.width, grid.height], bitpix: -32, extname: 'MOSAIC', cards }, new Float32Array(0));
    await coaddBands(sources, grid, {
      combine: spec.combine,
      method: spec.interpolation ?? 'bilinear',
      matchBackground: spec.matchBackground,
      bandPixels: spec.bandPixels,
      onProgress: (p) => onProgress?.(0.9 * p, 'combining'),
    }, async (band) => {
      await sink.write(Float32Array.from(band.data));
    });
    await sink.end();
    await writer.writeTable(srcmetaTable(sources));
    ok = true;
  } finally {
    if (ok) await writer.close();
    else await writer.abort().catch(() => undefined);
  }
  onProgress?.(1, 'done');
  return { path: spec.outputPath, width: grid.width, height: grid.height, wcs: grid.wcs };
}
