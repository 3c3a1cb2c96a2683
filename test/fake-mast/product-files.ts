/**
 * Deterministic contents of the fake MAST's JWST product files: FITS images with SCI/ERR/DQ
 * extensions and a TAN WCS written as PC + CDELT (as JWST cal/i2d headers), spectral cubes,
 * x1d tables, and small text/preview files. Same name and size → same bytes, always.
 */
import { fitsSize, writeFits, type Card, type Hdu } from './fits-bytes.js';

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

/** mulberry32: a tiny seeded PRNG, so the bytes depend only on the file name. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
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
  const ext = (name: string, extra: Card[] = []): Card[] => [['EXTNAME', name, 'extension name'], ...extra];
  const sciCards: Card[] = [...ext('SCI'), ['BUNIT', spec.kind === 'rate' ? 'DN/s' : 'MJy/sr', 'physical units of the array values'], ...wcsCards(spec, n)];
  return [
    { kind: 'image', bitpix: 8, shape: [], cards: primaryCards(spec, model) },
    { kind: 'image', bitpix: -32, shape: [n, n], cards: sciCards, fill: (v) => data().forEach((x, i) => v.setFloat32(i * 4, x, false)) },
    {
      kind: 'image', bitpix: -32, shape: [n, n], cards: [...ext('ERR', [['BUNIT', 'MJy/sr']]), ...wcsCards(spec, n)],
      fill: (v) => data().forEach((x, i) => v.setFloat32(i * 4, Number.isNaN(x) ? NaN : 0.05 + 0.1 * Math.sqrt(Math.abs(x)), false)),
    },
    {
      // DQ is uint32 in JWST files: stored as int32 with BZERO = 2**31.
      kind: 'image', bitpix: 32, shape: [n, n], cards: [...ext('DQ'), ['BZERO', 2147483648], ['BSCALE', 1], ...wcsCards(spec, n)],
      fill: (v) => data().forEach((x, i) => v.setInt32(i * 4, (Number.isNaN(x) ? 1 : 0) - 2147483648, false)),
    },
  ];
}

function uncalHdus(spec: FileSpec): Hdu[] {
  const n = side(spec);
  const groups = 2;
  const rnd = prng(hash(spec.filename));
  return [
    { kind: 'image', bitpix: 8, shape: [], cards: primaryCards(spec, 'Level1bModel') },
    {
      kind: 'image', bitpix: 16, shape: [n, n, groups, 1], cards: [['EXTNAME', 'SCI'], ['BZERO', 32768], ['BSCALE', 1], ['BUNIT', 'DN']],
      fill: (v) => {
        for (let i = 0; i < n * n * groups; i++) v.setInt16(i * 2, 10000 + Math.floor(rnd() * 50) + (i >= n * n ? 300 : 0) - 32768, false);
      },
    },
  ];
}

function segmHdus(spec: FileSpec): Hdu[] {
  const n = side(spec);
  return [
    { kind: 'image', bitpix: 8, shape: [], cards: primaryCards(spec, 'SegmentationMapModel') },
    {
      kind: 'image', bitpix: 32, shape: [n, n], cards: [['EXTNAME', 'SCI'], ...wcsCards(spec, n)],
      fill: (v) => {
        for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) v.setInt32((y * n + x) * 4, ((x >> 5) + (y >> 5)) % 7 === 0 ? 1 + ((x >> 5) ^ (y >> 5)) : 0, false);
      },
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
  return [
    { kind: 'image', bitpix: 8, shape: [], cards: primaryCards(spec, 'IFUCubeModel') },
    { kind: 'image', bitpix: -32, shape: [n, n, nw], cards: [['EXTNAME', 'SCI'], ['BUNIT', 'MJy/sr'], ...cube3], fill: (v) => { for (let i = 0; i < n * n * nw; i++) v.setFloat32(i * 4, val(i), false); } },
    { kind: 'image', bitpix: -32, shape: [n, n, nw], cards: [['EXTNAME', 'ERR'], ['BUNIT', 'MJy/sr'], ...cube3], fill: (v) => { for (let i = 0; i < n * n * nw; i++) v.setFloat32(i * 4, 0.1, false); } },
    { kind: 'image', bitpix: 32, shape: [n, n, nw], cards: [['EXTNAME', 'DQ'], ['BZERO', 2147483648], ...cube3], fill: (v) => { for (let i = 0; i < n * n * nw; i++) v.setInt32(i * 4, -2147483648, false); } },
  ];
}

function x1dHdus(spec: FileSpec): Hdu[] {
  const rows = 256;
  const wl = new Float64Array(rows).map((_, i) => 11.55 + i * 0.003);
  const flux = new Float64Array(rows).map((_, i) => 0.02 + 0.05 * Math.exp(-0.5 * ((i - 160) / 4) ** 2));
  const err = new Float64Array(rows).fill(0.001);
  return [
    { kind: 'image', bitpix: 8, shape: [], cards: primaryCards(spec, 'MultiSpecModel') },
    {
      kind: 'bintable', rows, cards: [['EXTNAME', 'EXTRACT1D'], ['SPORDER', 1]],
      columns: [{ name: 'WAVELENGTH', unit: 'um', values: wl }, { name: 'FLUX', unit: 'Jy', values: flux }, { name: 'FLUX_ERROR', unit: 'Jy', values: err }],
    },
  ];
}

function fillerHdus(spec: FileSpec): Hdu[] {
  const size = spec.fillerSize ?? 5760;
  return [{ kind: 'image', bitpix: 8, shape: [size - 2880], cards: [['ORIGIN', 'fake MAST'], ['FILENAME', spec.filename]] }];
}

export function hdusFor(spec: FileSpec): Hdu[] | undefined {
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

function textContent(spec: FileSpec): Buffer {
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
  // 'jpg': a JPEG-framed deterministic payload (SOI, APP0/JFIF, bytes, EOI); not a decodable picture.
  const rnd = prng(hash(spec.filename));
  const body = Buffer.alloc(4096);
  for (let i = 0; i < body.length; i++) body[i] = Math.floor(rnd() * 255);
  return Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]), body, Buffer.from([0xff, 0xd9])]);
}

/** Exact size of the file, computed without generating image data. */
export function fileSize(spec: FileSpec): number {
  const hdus = hdusFor(spec);
  return hdus ? fitsSize(hdus) : textContent(spec).length;
}

export function fileBytes(spec: FileSpec): Buffer {
  const hdus = hdusFor(spec);
  return hdus ? writeFits(hdus) : textContent(spec);
}
