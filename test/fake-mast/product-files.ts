/**
 * Deterministic contents of the fake MAST's JWST product files: FITS images with SCI/ERR/DQ
 * extensions and a TAN WCS written as PC + CDELT (as JWST cal/i2d headers), spectral cubes,
 * x1d tables, and small text/preview files, written with the engine's own FITS writer
 * (src/fits/writer.ts, so CHECKSUM/DATASUM too). Same name and size → same bytes, always.
 * Sizes come from a "skeleton" encoding (every axis 1), so listing products never generates data.
 */
import sharp from 'sharp';
import { mkdir, readFile, rename, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { NewCard } from '../../src/fits/card.js';
import { FitsWriter, encodeFits, type HduSpec, type ImageData } from '../../src/fits/writer.js';
import { encodeBinTable } from '../../src/fits/table/encode.js';
import { mulberry32 as prng } from '../helpers/prng.js';

export type CardValue = string | number | boolean | { float: number };
export type Card = readonly [key: string, value: CardValue | null, comment?: string];

type ArrayCtor = new (n: number) => ImageData;

/** One HDU to write: header spec, and the data made on demand (absent for data-less HDUs). */
type Hdu =
  | { readonly kind: 'image'; readonly axes: readonly number[]; readonly extname?: string; readonly cards: readonly Card[]; readonly ctor?: ArrayCtor; readonly data?: () => ImageData }
  | { readonly kind: 'table'; readonly hdu: HduSpec };

const BLOCK = 2880;
const pad = (n: number) => Math.ceil(n / BLOCK) * BLOCK;

function toNewCard([keyword, value, comment]: Card): NewCard {
  if (value !== null && typeof value === 'object') return { keyword, value: value.float, ...(comment ? { comment } : {}), float: true };
  return { keyword, value, ...(comment ? { comment } : {}) };
}

export type FileKind = 'i2d' | 'cal' | 'rate' | 'uncal' | 'segm' | 'crf' | 's3d' | 'x1d' | 'jpg' | 'ecsv' | 'asn' | 'filler';

export interface FileSpec {
  readonly filename: string;
  readonly kind: FileKind;
  readonly instrument: string;
  readonly detector: string;
  readonly filter: string;
  readonly target: string;
  readonly program: string;
  readonly obsId: string;
  readonly ra: number;
  readonly dec: number;
  /** Pixel scale in arcsec. */
  readonly scale: number;
  /** Position angle of the V3 axis / image rotation in degrees. */
  readonly pa: number;
  /** Side of the square SCI image (i2d); cal/rate use half, uncal a quarter. */
  readonly imageSize: number;
  /** For `filler`: exact size in bytes (a multiple of 2880). */
  readonly fillerSize?: number;
}


function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

function side(spec: FileSpec): number {
  if (spec.kind === 'i2d' || spec.kind === 'segm') return spec.imageSize;
  if (spec.kind === 'uncal') return Math.max(16, spec.imageSize >> 2);
  return Math.max(16, spec.imageSize >> 1);
}

function primaryCards(spec: FileSpec, model: string): Card[] {
  return [
    ['DATE', '2022-07-12T00:00:00.000', 'UTC date file created'],
    ['ORIGIN', 'STSCI', 'Organization responsible for creating file'],
    ['TIMESYS', 'UTC'],
    ['FILENAME', spec.filename, 'Name of the file'],
    ['DATAMODL', model, 'Type of data model'],
    ['TELESCOP', 'JWST', 'Telescope used to acquire the data'],
    ['CAL_VER', '1.5.3', 'Calibration software version number'],
    ['PROGRAM', spec.program, 'JWST program number'],
    ['OBSERVTN', spec.obsId.slice(8, 11) || '001', 'Observation number'],
    ['TARGNAME', spec.target, 'Standard astronomical catalog name for target'],
    ['TARG_RA', { float: spec.ra }, 'Target RA at mid time of exposure'],
    ['TARG_DEC', { float: spec.dec }, 'Target Dec at mid time of exposure'],
    ['INSTRUME', spec.instrument, 'Instrument used to acquire the data'],
    ['DETECTOR', spec.detector, 'Name of detector used to acquire the data'],
    ['FILTER', spec.filter, 'Name of the filter element used'],
    ['EXP_TYPE', spec.instrument === 'MIRI' ? (spec.kind === 's3d' || spec.kind === 'x1d' ? 'MIR_MRS' : 'MIR_IMAGE') : 'NRC_IMAGE', 'Type of data in the exposure'],
    ['DATE-OBS', '2022-06-03', 'UTC date at start of exposure'],
    ['TIME-OBS', '16:54:00.000', 'UTC time at start of exposure'],
  ];
}

function wcsCards(spec: FileSpec, n: number): Card[] {
  const th = (spec.pa * Math.PI) / 180;
  const c = Math.cos(th);
  const s = Math.sin(th);
  return [
    ['WCSAXES', 2, 'number of World Coordinate System axes'],
    ['CRPIX1', { float: (n + 1) / 2 }, 'axis 1 coordinate of the reference pixel'],
    ['CRPIX2', { float: (n + 1) / 2 }, 'axis 2 coordinate of the reference pixel'],
    ['CRVAL1', { float: spec.ra }, 'first axis value at the reference pixel'],
    ['CRVAL2', { float: spec.dec }, 'second axis value at the reference pixel'],
    ['CTYPE1', 'RA---TAN', 'Axis type'],
    ['CTYPE2', 'DEC--TAN', 'Axis type'],
    ['CUNIT1', 'deg', 'units for first axis'],
    ['CUNIT2', 'deg', 'units for second axis'],
    ['CDELT1', { float: spec.scale / 3600 }, 'first axis increment per pixel'],
    ['CDELT2', { float: spec.scale / 3600 }, 'second axis increment per pixel'],
    ['PC1_1', { float: -c }, 'linear transformation matrix element'],
    ['PC1_2', { float: s }, 'linear transformation matrix element'],
    ['PC2_1', { float: s }, 'linear transformation matrix element'],
    ['PC2_2', { float: c }, 'linear transformation matrix element'],
    ['RADESYS', 'ICRS', 'Equatorial coordinate system'],
  ];
}

/** A ring nebula, a few stars and noise; NaN outside the (rotated) coverage for i2d. */
function scene(spec: FileSpec, n: number): Float32Array {
  const rnd = prng(hash(spec.filename));
  const out = new Float32Array(n * n);
  const cx = (n - 1) / 2 + (rnd() - 0.5) * 2;
  const cy = (n - 1) / 2 + (rnd() - 0.5) * 2;
  const r0 = n * 0.28;
  const w = n * 0.06;
  const amp = 5 + 20 * rnd();
  const th = (spec.pa * Math.PI) / 180;
  const half = n * 0.46;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const dx = x - cx;
      const dy = y - cy;
      const r = Math.hypot(dx, dy);
      let v = 0.3 + amp * Math.exp(-0.5 * ((r - r0) / w) ** 2) + 2 * amp * Math.exp(-0.5 * (r / (w * 0.5)) ** 2) + (rnd() - 0.5) * 0.1;
      if (spec.kind === 'i2d') {
        const u = dx * Math.cos(th) + dy * Math.sin(th);
        const t = -dx * Math.sin(th) + dy * Math.cos(th);
        if (Math.abs(u) > half || Math.abs(t) > half) v = NaN;
      }
      out[y * n + x] = v;
    }
  }
  const stars = 12 + Math.floor(rnd() * 10);
  for (let k = 0; k < stars; k++) {
    const sx = rnd() * n;
    const sy = rnd() * n;
    const f = 50 + 500 * rnd();
    const sig = 1.2;
    for (let y = Math.max(0, Math.floor(sy - 6)); y < Math.min(n, sy + 6); y++) {
      for (let x = Math.max(0, Math.floor(sx - 6)); x < Math.min(n, sx + 6); x++) {
        const i = y * n + x;
        if (!Number.isNaN(out[i]!)) out[i] = out[i]! + f * Math.exp(-((x - sx) ** 2 + (y - sy) ** 2) / (2 * sig * sig));
      }
    }
  }
  return out;
}

function imageHdus(spec: FileSpec, model: string): Hdu[] {
  const n = side(spec);
  let sci: Float32Array | undefined;
  const data = () => (sci ??= scene(spec, n));
  const bunit: Card = ['BUNIT', spec.kind === 'rate' ? 'DN/s' : 'MJy/sr', 'physical units of the array values'];
  return [
    { kind: 'image', axes: [], cards: primaryCards(spec, model) },
    { kind: 'image', axes: [n, n], extname: 'SCI', cards: [bunit, ...wcsCards(spec, n)], ctor: Float32Array, data },
    {
      kind: 'image', axes: [n, n], extname: 'ERR', cards: [bunit, ...wcsCards(spec, n)], ctor: Float32Array,
      data: () => data().map((x) => (Number.isNaN(x) ? NaN : 0.05 + 0.1 * Math.sqrt(Math.abs(x)))),
    },
    // DQ is uint32 in JWST files (stored as int32 with BZERO = 2**31 by the writer); 1 = DO_NOT_USE.
    { kind: 'image', axes: [n, n], extname: 'DQ', cards: wcsCards(spec, n), ctor: Uint32Array, data: () => Uint32Array.from(data(), (x) => (Number.isNaN(x) ? 1 : 0)) },
  ];
}

function uncalHdus(spec: FileSpec): Hdu[] {
  const n = side(spec);
  const groups = 2;
  const rnd = prng(hash(spec.filename));
  return [
    { kind: 'image', axes: [], cards: primaryCards(spec, 'Level1bModel') },
    {
      kind: 'image', axes: [n, n, groups, 1], extname: 'SCI', cards: [['BUNIT', 'DN']], ctor: Uint16Array,
      data: () => Uint16Array.from({ length: n * n * groups }, (_, i) => 10000 + Math.floor(rnd() * 50) + (i >= n * n ? 300 : 0)),
    },
  ];
}

function segmHdus(spec: FileSpec): Hdu[] {
  const n = side(spec);
  return [
    { kind: 'image', axes: [], cards: primaryCards(spec, 'SegmentationMapModel') },
    {
      kind: 'image', axes: [n, n], extname: 'SCI', cards: wcsCards(spec, n), ctor: Int32Array,
      data: () => Int32Array.from({ length: n * n }, (_, i) => {
        const x = i % n;
        const y = Math.floor(i / n);
        return ((x >> 5) + (y >> 5)) % 7 === 0 ? 1 + ((x >> 5) ^ (y >> 5)) : 0;
      }),
    },
  ];
}

function cubeHdus(spec: FileSpec): Hdu[] {
  const n = Math.max(8, spec.imageSize >> 3);
  const nw = 64;
  const base = scene({ ...spec, kind: 'cal' }, n);
  const cube3: Card[] = [
    ['WCSAXES', 3], ['CRPIX1', { float: (n + 1) / 2 }], ['CRPIX2', { float: (n + 1) / 2 }], ['CRPIX3', { float: 1 }],
    ['CRVAL1', { float: spec.ra }], ['CRVAL2', { float: spec.dec }], ['CRVAL3', { float: 11.55 }],
    ['CTYPE1', 'RA---TAN'], ['CTYPE2', 'DEC--TAN'], ['CTYPE3', 'WAVE'], ['CUNIT1', 'deg'], ['CUNIT2', 'deg'], ['CUNIT3', 'um'],
    ['CDELT1', { float: 0.2 / 3600 }], ['CDELT2', { float: 0.2 / 3600 }], ['CDELT3', { float: 0.003 }],
    ['PC1_1', { float: -1 }], ['PC1_2', { float: 0 }], ['PC2_1', { float: 0 }], ['PC2_2', { float: 1 }], ['PC3_3', { float: 1 }],
  ];
  const val = (i: number) => {
    const w = Math.floor(i / (n * n));
    return base[i % (n * n)]! * (1 + 0.5 * Math.exp(-0.5 * ((w - 40) / 2) ** 2));
  };
  const count = n * n * nw;
  return [
    { kind: 'image', axes: [], cards: primaryCards(spec, 'IFUCubeModel') },
    { kind: 'image', axes: [n, n, nw], extname: 'SCI', cards: [['BUNIT', 'MJy/sr'], ...cube3], ctor: Float32Array, data: () => Float32Array.from({ length: count }, (_, i) => val(i)) },
    { kind: 'image', axes: [n, n, nw], extname: 'ERR', cards: [['BUNIT', 'MJy/sr'], ...cube3], ctor: Float32Array, data: () => new Float32Array(count).fill(0.1) },
    { kind: 'image', axes: [n, n, nw], extname: 'DQ', cards: cube3, ctor: Uint32Array, data: () => new Uint32Array(count) },
  ];
}

function x1dHdus(spec: FileSpec): Hdu[] {
  const rows = 256;
  const wl = new Float64Array(rows).map((_, i) => 11.55 + i * 0.003);
  const flux = new Float64Array(rows).map((_, i) => 0.02 + 0.05 * Math.exp(-0.5 * ((i - 160) / 4) ** 2));
  const err = new Float64Array(rows).fill(0.001);
  const table = encodeBinTable(
    [{ name: 'WAVELENGTH', unit: 'um', values: wl }, { name: 'FLUX', unit: 'Jy', values: flux }, { name: 'FLUX_ERROR', unit: 'Jy', values: err }],
    { extname: 'EXTRACT1D', cards: [{ keyword: 'SPORDER', value: 1 }] },
  );
  return [
    { kind: 'image', axes: [], cards: primaryCards(spec, 'MultiSpecModel') },
    { kind: 'table', hdu: { type: 'table', cards: table.cards, data: table.data } },
  ];
}

/** An HST-style placeholder of an exact size: one primary HDU of bytes (zeros). */
function fillerHdus(spec: FileSpec, headerBytes = BLOCK): Hdu[] {
  const length = Math.max(1, (spec.fillerSize ?? 2 * BLOCK) - headerBytes);
  return [{ kind: 'image', axes: [length], cards: [['ORIGIN', 'fake MAST'], ['FILENAME', spec.filename]], ctor: Uint8Array, data: () => new Uint8Array(length) }];
}

function hdusFor(spec: FileSpec): Hdu[] | undefined {
  switch (spec.kind) {
    case 'i2d': return imageHdus(spec, 'ImageModel');
    case 'cal': case 'crf': return imageHdus(spec, 'ImageModel');
    case 'rate': return imageHdus(spec, 'ImageModel');
    case 'uncal': return uncalHdus(spec);
    case 'segm': return segmHdus(spec);
    case 's3d': return cubeHdus(spec);
    case 'x1d': return x1dHdus(spec);
    case 'filler': return fillerHdus(spec);
    default: return undefined;
  }
}

async function textContent(spec: FileSpec): Promise<Buffer> {
  if (spec.kind === 'ecsv') {
    const rnd = prng(hash(spec.filename));
    const lines = ['# %ECSV 1.0', '# ---', '# datatype:', '# - {name: label, datatype: int64}', '# - {name: sky_centroid.ra, unit: deg, datatype: float64}',
      '# - {name: sky_centroid.dec, unit: deg, datatype: float64}', '# - {name: aper_total_flux, unit: Jy, datatype: float64}', 'label sky_centroid.ra sky_centroid.dec aper_total_flux'];
    for (let i = 1; i <= 20; i++) lines.push(`${i} ${(spec.ra + (rnd() - 0.5) * 0.02).toFixed(7)} ${(spec.dec + (rnd() - 0.5) * 0.02).toFixed(7)} ${(rnd() * 1e-4).toExponential(6)}`);
    return Buffer.from(lines.join('\n') + '\n');
  }
  if (spec.kind === 'asn') {
    return Buffer.from(JSON.stringify({ asn_type: 'image3', asn_rule: 'candidate_Asn_Lv3Image', program: spec.program, target: spec.target, products: [{ name: spec.obsId, members: [] }] }, null, 4) + '\n');
  }
  return previewJpeg(spec);
}

/**
 * 'jpg': a real, decodable preview (a ring nebula with stars, seeded by the file name) so web pages
 * can show MAST-style preview images. Encoded by sharp: deterministic for a given libvips.
 */
async function previewJpeg(spec: FileSpec): Promise<Buffer> {
  const side = 128;
  const rnd = prng(hash(spec.filename));
  const px = new Uint8Array(side * side);
  const stars = Array.from({ length: 12 }, () => [rnd() * side, rnd() * side, 80 + rnd() * 175] as const);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const r = Math.hypot(x - side / 2, y - side / 2) / (side / 2);
      let v = 110 * Math.exp(-(((r - 0.55) / 0.18) ** 2));
      for (const [sx, sy, b] of stars) v += b * Math.exp(-((x - sx) ** 2 + (y - sy) ** 2) / 3);
      px[y * side + x] = Math.min(255, Math.round(v));
    }
  }
  return sharp(Buffer.from(px.buffer), { raw: { width: side, height: side, channels: 1 } }).jpeg({ quality: 80 }).toBuffer();
}

function asSpec(h: Hdu, skeleton: boolean): HduSpec {
  if (h.kind === 'table') return h.hdu;
  const base = { extname: h.extname, cards: h.cards.map(toNewCard) };
  if (!h.data || !h.ctor) return { ...base, axes: h.axes };
  if (skeleton) return { ...base, axes: h.axes.map(() => 1), data: new h.ctor(1) };
  return { ...base, axes: h.axes, data: h.data() };
}

function dataBytes(h: Hdu): number {
  if (h.kind === 'table') return h.hdu.type === 'table' ? h.hdu.data.length : 0;
  if (!h.ctor || h.axes.length === 0) return 0;
  const per = (new h.ctor(0) as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  return h.axes.reduce((a, b) => a * b, 1) * per;
}

/** HDUs of a FITS product; fillers are sized so the whole file has exactly `fillerSize` bytes. */
async function plan(spec: FileSpec): Promise<Hdu[] | undefined> {
  if (spec.kind !== 'filler') return hdusFor(spec);
  const probe = await encodeFits(fillerHdus(spec).map((h) => asSpec(h, true)));
  return fillerHdus(spec, probe.length - BLOCK);
}

/** Exact size of the file, computed from a skeleton (every axis 1) without generating data. */
export async function fileSize(spec: FileSpec): Promise<number> {
  const hdus = await plan(spec);
  if (!hdus) return (await textContent(spec)).length;
  const skeleton = await encodeFits(hdus.map((h) => asSpec(h, true)));
  let size = skeleton.length;
  for (const h of hdus) {
    if (h.kind === 'image' && h.data && h.ctor) size += pad(dataBytes(h)) - BLOCK;
  }
  return size;
}

/** Writes the file to `path` (through a temporary name) unless a file of `size` bytes is there. */
export async function materialize(spec: FileSpec, path: string, size: number): Promise<Buffer> {
  const existing = await stat(path).catch(() => undefined);
  if (existing?.size === size) return readFile(path);
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  const hdus = await plan(spec);
  if (hdus) {
    const w = await FitsWriter.create(tmp);
    try {
      for (const h of hdus) await w.write(asSpec(h, false));
      await w.close();
    } catch (err) {
      await w.abort();
      throw err;
    }
  } else {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(tmp, await textContent(spec));
  }
  await rename(tmp, path);
  const bytes = await readFile(path);
  if (bytes.length !== size) throw new Error(`fake MAST: ${spec.filename} is ${bytes.length} bytes, its product row says ${size}`);
  return bytes;
}
