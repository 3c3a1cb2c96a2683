/**
 * The spectrum of one pixel or of a rectangular region of a spectral cube (an `_s3d` SCI
 * extension): the sum or mean of the finite pixels in each slice (NaN is no data: a slice with
 * no finite pixel gives null, never 0), with the wavelength of each slice from the WCS of the
 * third axis: linear (CRVAL3/CDELT3 or CD3_3/PC3_3), -LOG, or -TAB (the lookup table read
 * from its BINTABLE extension, interpolated with src/wcs's TabAxis).
 */
import { readPlane, type Hdu, type FitsFile } from '../../fits/index.js';
import { isArrayCell, readColumn } from '../../fits/table/index.js';
import { TabAxis } from '../../wcs/index.js';
import { openFits, type ViewerLimits } from '../../imaging/viewer/source.js';
import { TableError } from '../errors.js';
import { FLUX_UNITS, convertFlux, convertWavelength, fluxKind, lengthScale, parseFluxUnit, parseWavelengthUnit } from './units.js';

export type Reduce = 'sum' | 'mean';

export interface CubeSpectrumRequest {
  readonly path: string;
  /** Image HDU index or EXTNAME; default SCI, else the first HDU with three axes. */
  readonly hdu?: string | number | null;
  /** 0-based numpy x (column) and y (row) of the region's first pixel. */
  readonly x: number;
  readonly y: number;
  readonly width?: number;
  readonly height?: number;
  readonly reduce?: Reduce;
  readonly fluxUnit?: string | null;
  readonly wavelengthUnit?: string | null;
  readonly limits: ViewerLimits;
}

export interface CubeSpectrum {
  hdu_index: number;
  hdu_name: string;
  n_points: number;
  region: { x: number; y: number; width: number; height: number; n_pixels: number };
  reduce: Reduce;
  wavelength_unit: string;
  flux_unit: string;
  /** Where the wavelengths came from: 'linear', 'log', 'tab' or 'index' (no spectral WCS). */
  wavelength_source: 'linear' | 'log' | 'tab' | 'index';
  columns: { name: string; unit: string | null; n_points: number }[];
  data: { WAVELENGTH: (number | null)[]; FLUX: (number | null)[]; NPIXELS: number[] };
}

const MAX_REGION_PIXELS = 4_000_000;

function pickCube(hdus: readonly Hdu[], ref: string | number | null | undefined): Hdu {
  const isCube = (h: Hdu) => (h.kind === 'image' || h.kind === 'compressed-image') && h.axes.length >= 3 && h.axes.every((n) => n > 0);
  let h: Hdu | undefined;
  if (ref === undefined || ref === null || ref === '') h = hdus.find((x) => x.name.toUpperCase() === 'SCI' && isCube(x)) ?? hdus.find(isCube);
  else if (typeof ref === 'number' || /^\d+$/.test(String(ref))) h = hdus[Number(ref)];
  else h = hdus.find((x) => x.name.toUpperCase() === String(ref).toUpperCase());
  if (!h) throw new TableError('TABLE_BAD_ARGUMENT', ref === undefined || ref === null || ref === '' ? 'The file has no spectral cube (an image HDU with three axes)' : `HDU '${ref}' does not exist`);
  if (!isCube(h)) throw new TableError('TABLE_BAD_ARGUMENT', `HDU ${h.index} (${h.name || 'unnamed'}) is not a cube (it needs three axes)`);
  return h;
}

/** World values of the third axis for slices 0..n-1, in the axis' CUNIT3. */
async function spectralAxis(file: FitsFile, h: Hdu, n: number): Promise<{ values: Float64Array; unit: string; source: CubeSpectrum['wavelength_source'] }> {
  const hd = h.header;
  const num = (k: string): number | undefined => {
    const v = hd.get(k);
    return typeof v === 'number' ? v : undefined;
  };
  const ctype = String(hd.get('CTYPE3') ?? '').trim().toUpperCase();
  const unit = String(hd.get('CUNIT3') ?? '').trim();
  const crval = num('CRVAL3');
  const crpix = num('CRPIX3') ?? 1;
  const delta = num('CD3_3') ?? (num('CDELT3') ?? 1) * (num('PC3_3') ?? 1);
  const values = new Float64Array(n);
  if (ctype.endsWith('-TAB')) {
    const extname = String(hd.get('PS3_0') ?? '').trim();
    const coordName = String(hd.get('PS3_1') ?? '').trim();
    const indexName = String(hd.get('PS3_2') ?? '').trim();
    const extver = num('PV3_1') ?? 1;
    const tabHdu = file.hdus.find((x) => x.name.toUpperCase() === extname.toUpperCase() && (x.ver ?? 1) === extver);
    if (!tabHdu || !coordName) throw new TableError('TABLE_BAD_ARGUMENT', `The -TAB wavelength table '${extname}' (column '${coordName}') is missing from the file`);
    const vector = async (name: string): Promise<number[]> => {
      const { cells } = await readColumn(file, tabHdu, name);
      const cell = cells[0];
      return isArrayCell(cell) ? Array.from(cell.values as ArrayLike<number>, Number) : [Number(cell)];
    };
    const coords = await vector(coordName);
    const tab = new TabAxis({ axis: 2, coords, ...(indexName ? { index: await vector(indexName) } : {}) });
    for (let k = 0; k < n; k++) values[k] = tab.forward((k + 1 - crpix) * delta + (crval ?? 0));
    return { values, unit, source: 'tab' };
  }
  if (crval === undefined) {
    for (let k = 0; k < n; k++) values[k] = k;
    return { values, unit: '', source: 'index' };
  }
  const log = ctype.endsWith('-LOG');
  for (let k = 0; k < n; k++) {
    const w = (k + 1 - crpix) * delta;
    values[k] = log ? crval * Math.exp(w / crval) : crval + w;
  }
  return { values, unit, source: log ? 'log' : 'linear' };
}

export async function cubeSpectrumFile(req: CubeSpectrumRequest): Promise<CubeSpectrum> {
  const file = await openFits(req.path, req.limits);
  try {
    const h = pickCube(file.hdus, req.hdu);
    const [nx, ny] = h.axes as [number, number];
    const nz = h.axes[2] as number;
    const width = req.width ?? 1;
    const height = req.height ?? 1;
    const x = Math.round(req.x);
    const y = Math.round(req.y);
    if (!(width >= 1 && height >= 1) || !Number.isInteger(width) || !Number.isInteger(height)) throw new TableError('TABLE_BAD_ARGUMENT', 'width and height must be positive integers');
    if (x < 0 || y < 0 || x + width > nx || y + height > ny) {
      throw new TableError('TABLE_BAD_ARGUMENT', `Region x=${x}..${x + width - 1}, y=${y}..${y + height - 1} is outside the ${nx}x${ny} cube`);
    }
    if (width * height > MAX_REGION_PIXELS) throw new TableError('TABLE_TOO_LARGE', `Region of ${width * height} pixels exceeds the ${MAX_REGION_PIXELS} allowed`);
    const reduce = req.reduce ?? 'sum';
    const fluxOut = new Float64Array(nz);
    const counts: number[] = [];
    for (let k = 0; k < nz; k++) {
      const plane = [k, ...h.axes.slice(3).map(() => 0)];
      const band = await readPlane(file, h, { plane, rows: [y, y + height], maxElements: req.limits.maxElements });
      let sum = 0;
      let count = 0;
      for (let r = 0; r < height; r++) {
        for (let c = x; c < x + width; c++) {
          const v = Number(band.data[r * nx + c]);
          if (Number.isFinite(v)) {
            sum += v;
            count++;
          }
        }
      }
      counts.push(count);
      fluxOut[k] = count === 0 ? Number.NaN : reduce === 'mean' ? sum / count : sum;
    }
    const axis = await spectralAxis(file, h, nz);
    const bunit = String(h.header.get('BUNIT') ?? '').trim();
    let wave: Float64Array<ArrayBufferLike> = axis.values;
    let waveUnit = axis.unit;
    if (req.wavelengthUnit) {
      const to = parseWavelengthUnit(req.wavelengthUnit);
      if (lengthScale(axis.unit) === undefined) throw new TableError('TABLE_BAD_ARGUMENT', `The cube's third axis is in '${axis.unit}', which cannot be converted to ${to}`);
      wave = convertWavelength(wave, axis.unit, to);
      waveUnit = to;
    }
    let flux: Float64Array<ArrayBufferLike> = fluxOut;
    let fluxUnit = bunit;
    if (req.fluxUnit) {
      const to = parseFluxUnit(req.fluxUnit);
      if (!fluxKind(bunit)) throw new TableError('TABLE_BAD_ARGUMENT', `The cube's BUNIT '${bunit}' cannot be converted (known: ${FLUX_UNITS.join(', ')})`);
      const pixar = [h, ...file.hdus].map((x) => x.header.get('PIXAR_SR')).find((v) => typeof v === 'number');
      const waveUm = lengthScale(axis.unit) !== undefined ? convertWavelength(axis.values, axis.unit, 'um') : undefined;
      flux = convertFlux(flux, bunit, to, { wavelengthUm: waveUm, pixelAreaSr: typeof pixar === 'number' ? pixar : null });
      fluxUnit = to;
    }
    const json = (a: Float64Array<ArrayBufferLike>) => Array.from(a, (v) => (Number.isFinite(v) ? v : null));
    return {
      hdu_index: h.index,
      hdu_name: h.name,
      n_points: nz,
      region: { x, y, width, height, n_pixels: width * height },
      reduce,
      wavelength_unit: waveUnit,
      flux_unit: fluxUnit,
      wavelength_source: axis.source,
      columns: [
        { name: 'WAVELENGTH', unit: waveUnit || null, n_points: nz },
        { name: 'FLUX', unit: fluxUnit || null, n_points: nz },
        { name: 'NPIXELS', unit: null, n_points: nz },
      ],
      data: { WAVELENGTH: json(wave), FLUX: json(flux), NPIXELS: counts },
    };
  } finally {
    await file.close();
  }
}
