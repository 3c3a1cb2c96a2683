/**
 * GET /analysis/spectral-data: a 1-D spectrum from a table (x1d/c1d FITS tables, or an ECSV
 * table): the known columns, the wavelength column first (WAVELENGTH, then WAVE, then LAMBDA: a
 * fixed priority, not upstream's set order), with optional unit conversions. A one-row table
 * whose columns are vectors (older spectra, e.g. IUE) gives the vectors' elements as points.
 */
import { isArrayCell, type TableCell } from '../../fits/table/index.js';
import { TableError } from '../errors.js';
import { openTables, type OpenTablesOptions, type TableHandle } from '../source.js';
import { FLUX_COLUMNS, FLUX_ERROR_COLUMNS, KNOWN_SPECTRUM_COLUMNS, WAVELENGTH_NAMES } from './columns.js';
import { convertFlux, convertWavelength, fluxKind, lengthScale, parseFluxUnit, parseWavelengthUnit } from './units.js';

export const MAX_SPECTRUM_POINTS = 500_000;

export interface SpectrumColumn {
  name: string;
  unit: string | null;
  n_points: number;
}

export interface SpectralData {
  hdu_index: number;
  hdu_name: string;
  n_points: number;
  wavelength_column: string;
  columns: SpectrumColumn[];
  data: Record<string, (number | null)[]>;
  /** Columns left in their own unit because the conversion does not apply to them (e.g. an error in ABmag). */
  not_converted: string[];
}

export interface SpectralDataRequest extends OpenTablesOptions {
  readonly path: string;
  /** Default: 1 for FITS (the first extension), 0 for ECSV. */
  readonly hduIndex?: number | null;
  readonly fluxUnit?: string | null;
  readonly wavelengthUnit?: string | null;
  /** PIXAR_SR for surface-brightness conversions (from the primary or table header when not given). */
  readonly pixelAreaSr?: number | null;
}

function toNumber(c: TableCell): number {
  if (typeof c === 'number') return c;
  if (typeof c === 'bigint') return Number(c);
  if (typeof c === 'boolean') return c ? 1 : 0;
  return Number.NaN;
}

/** The numeric values of one column: one per row, or the elements of a one-row table's vector. */
async function columnValues(t: TableHandle, j: number, vectorRow: boolean): Promise<Float64Array> {
  if (vectorRow) {
    const [row] = await t.rowsAt([0]);
    const cell = row?.[j] ?? null;
    if (!isArrayCell(cell)) return Float64Array.of(toNumber(cell));
    const values = cell.values as ArrayLike<number | bigint | boolean | null>;
    return Float64Array.from({ length: values.length }, (_, i) => (cell.nulls?.[i] ? Number.NaN : toNumber(values[i] as TableCell)));
  }
  const out = new Float64Array(t.nRows);
  for await (const chunk of t.scan()) chunk.rows.forEach((row, k) => (out[chunk.start + k] = toNumber(row[j] as TableCell)));
  return out;
}

const toJson = (a: Float64Array): (number | null)[] => Array.from(a, (v) => (Number.isFinite(v) ? v : null));

export async function spectralData(t: TableHandle, req: Pick<SpectralDataRequest, 'fluxUnit' | 'wavelengthUnit' | 'pixelAreaSr'>): Promise<SpectralData> {
  const upper = t.columns.map((c) => c.name.toUpperCase());
  const waveIndex = WAVELENGTH_NAMES.map((n) => upper.indexOf(n)).find((i) => i >= 0);
  if (waveIndex === undefined) {
    throw new TableError('TABLE_NO_SPECTRUM', `No WAVELENGTH column found. Available columns: ${t.columns.map((c) => c.name).join(', ').slice(0, 500)}`);
  }
  const vectorRow = t.nRows === 1 && (t.columns[waveIndex]?.is_array ?? false);
  const picked = t.columns
    .map((c, j) => ({ c, j }))
    .filter(({ c, j }) => KNOWN_SPECTRUM_COLUMNS.has(upper[j] as string) && (vectorRow ? (c.array_shape?.length ?? 0) <= 1 : !c.is_array) && !/^<U|SkyCoord|Time/.test(c.dtype) && !/A$/.test(c.dtype));
  picked.sort((a, b) => (a.j === waveIndex ? -1 : b.j === waveIndex ? 1 : a.j - b.j));
  const nPoints = vectorRow ? (t.columns[waveIndex]?.array_shape?.[0] ?? 0) : t.nRows;
  if (nPoints > MAX_SPECTRUM_POINTS) throw new TableError('TABLE_NO_SPECTRUM', `Spectrum has ${nPoints} points, more than the ${MAX_SPECTRUM_POINTS} allowed`);
  const waveUnit = req.wavelengthUnit ? parseWavelengthUnit(req.wavelengthUnit) : null;
  const fluxUnit = req.fluxUnit ? parseFluxUnit(req.fluxUnit) : null;
  const waveCol = t.columns[waveIndex]!;
  const wave = await columnValues(t, waveIndex, vectorRow);
  const waveFrom = waveCol.unit ?? 'um';
  const waveUm = lengthScale(waveFrom) !== undefined ? convertWavelength(wave, waveFrom, 'um') : undefined;
  const columns: SpectrumColumn[] = [];
  const data: Record<string, (number | null)[]> = {};
  const notConverted: string[] = [];
  for (const { c, j } of picked) {
    let values = j === waveIndex ? wave : await columnValues(t, j, vectorRow);
    let unit = c.unit;
    const name = upper[j] as string;
    if (j === waveIndex && waveUnit) {
      if (lengthScale(waveFrom) === undefined) throw new TableError('TABLE_BAD_ARGUMENT', `The wavelength column is in '${waveCol.unit ?? ''}', which cannot be converted to ${waveUnit}`);
      values = convertWavelength(values, waveFrom, waveUnit);
      unit = waveUnit;
    } else if (fluxUnit && (FLUX_COLUMNS.has(name) || FLUX_ERROR_COLUMNS.has(name)) && c.unit && fluxKind(c.unit)) {
      const isError = FLUX_ERROR_COLUMNS.has(name);
      if (isError && fluxUnit === 'ABmag') notConverted.push(c.name);
      else {
        try {
          values = convertFlux(values, c.unit, fluxUnit, { wavelengthUm: waveUm, pixelAreaSr: req.pixelAreaSr ?? null });
          unit = fluxUnit;
        } catch (err) {
          // A surface-brightness column without a solid angle stays as it is; FLUX still converts.
          if (!(err instanceof TableError)) throw err;
          notConverted.push(c.name);
        }
      }
    }
    columns.push({ name: c.name, unit, n_points: values.length });
    data[c.name] = toJson(values);
  }
  return { hdu_index: t.index, hdu_name: t.name, n_points: nPoints, wavelength_column: waveCol.name, columns, data, not_converted: notConverted };
}

export async function spectralDataFile(req: SpectralDataRequest): Promise<SpectralData> {
  const opened = await openTables(req.path, req);
  try {
    const index = req.hduIndex ?? (opened.format === 'ecsv' ? 0 : 1);
    return await spectralData(opened.table(index), { ...req, pixelAreaSr: req.pixelAreaSr ?? opened.pixelAreaSr ?? null });
  } finally {
    await opened.close();
  }
}
