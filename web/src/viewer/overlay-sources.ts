/**
 * Where overlays come from, through the engine: catalogue tables (ECSV or FITS, via
 * /analysis/table-info and /analysis/table-data), DS9 region files, footprints of other files
 * (/mosaic/footprint), find_stars and segmentation (/process), and sky positions placed by the
 * image's own WCS (/wcs/world-to-pixel: SIP and rotations included). Each returns the overlay's
 * fields; `addOverlay` (overlays.tsx) shows it.
 */
import { getJson, postJson, query } from '../api/client.js';
import { parseDs9, type Ds9Region } from './ds9-regions.js';
import { findPositionColumns, regionOutline } from './overlay-geometry.js';
import type { OverlayMarker, OverlayOutline, ViewerOverlay } from './overlays.js';

/** At most this many catalogue rows are drawn (the table endpoint pages by 500). */
export const MAX_MARKERS = 5000;
const WCS_BATCH = 10_000;

export type OverlayFields = Omit<ViewerOverlay, 'id' | 'visible' | 'color'>;

/** Sky positions (degrees, the image's frame) to 0-based pixels of `imageFile`; null where the WCS has no answer. */
export async function skyToPixels(imageFile: string, world: Array<[number, number]>): Promise<Array<[number, number] | null>> {
  const out: Array<[number, number] | null> = [];
  for (let i = 0; i < world.length; i += WCS_BATCH) {
    const r = await postJson<{ pixels: Array<Array<number | null>> }>('/wcs/world-to-pixel', { file_path: imageFile, world: world.slice(i, i + WCS_BATCH) });
    for (const p of r.pixels) out.push(p[0] !== null && p[0] !== undefined && p[1] !== null && p[1] !== undefined ? [p[0], p[1]] : null);
  }
  return out;
}

/** Markers from sky positions, placed by the image's WCS. */
export async function markersFromSky(imageFile: string, points: Array<{ lon: number; lat: number; label?: string }>): Promise<OverlayMarker[]> {
  const pixels = await skyToPixels(imageFile, points.map((p) => [p.lon, p.lat]));
  return points.flatMap((p, i) => {
    const px = pixels[i];
    return px ? [{ x: px[0], y: px[1], ...(p.label !== undefined ? { label: p.label } : {}) }] : [];
  });
}

interface TableHdu {
  index: number;
  name: string;
  n_rows: number;
  columns: Array<{ name: string }>;
}

type Cell = string | number | boolean | null;

/**
 * A catalogue as markers: the first table with RA/Dec (placed by the image's WCS) or pixel
 * columns (`preferSky` false: pixel columns first, for catalogues of this very image).
 */
export async function catalogueOverlay(imageFile: string, tableFile: string, preferSky = true): Promise<OverlayFields> {
  const info = await getJson<{ table_hdus: TableHdu[] }>(`/analysis/table-info${query({ file_path: tableFile })}`);
  const table = info.table_hdus.map((t) => ({ t, cols: findPositionColumns(t.columns.map((c) => c.name), preferSky) })).find((x) => x.cols);
  if (!table?.cols) throw new Error(`${tableFile} has no RA/Dec or x/y columns`);
  const { t, cols } = table;
  const rows: Array<Record<string, Cell>> = [];
  for (let page = 0; rows.length < Math.min(t.n_rows, MAX_MARKERS); page++) {
    const r = await getJson<{ rows: Array<Record<string, Cell>> }>(`/analysis/table-data${query({ file_path: tableFile, hdu_index: t.index, page, page_size: 500 })}`);
    if (!r.rows.length) break;
    rows.push(...r.rows);
  }
  const label = (row: Record<string, Cell>, i: number) => String(row.label ?? row.id ?? row.ID ?? row.NUMBER ?? i + 1);
  const warnings = t.n_rows > MAX_MARKERS ? [`only the first ${MAX_MARKERS} of ${t.n_rows} rows are drawn`] : [];
  const num = (v: Cell) => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN);
  let markers: OverlayMarker[];
  if (cols.kind === 'sky') {
    const pts = rows.map((row, i) => ({ lon: num(row[cols.lon] ?? null), lat: num(row[cols.lat] ?? null), label: label(row, i) })).filter((p) => Number.isFinite(p.lon) && Number.isFinite(p.lat));
    markers = await markersFromSky(imageFile, pts);
  } else {
    const shift = cols.oneBased ? 1 : 0;
    markers = rows.map((row, i) => ({ x: num(row[cols.x] ?? null) - shift, y: num(row[cols.y] ?? null) - shift, label: label(row, i) })).filter((m) => Number.isFinite(m.x) && Number.isFinite(m.y));
  }
  const skipped = rows.length - markers.length;
  if (skipped > 0) warnings.push(`${skipped} rows have no position`);
  const where = cols.kind === 'sky' ? `${cols.lon}/${cols.lat}` : `${cols.x}/${cols.y}`;
  return { imageFile, name: `${tableFile.split('/').pop()} (${where})`, kind: 'catalogue', markers, outlines: [], markerRadius: 7, warnings };
}

/** DS9 regions on the image: image regions as they are, fk5/icrs/galactic through the WCS. */
export async function regionsOverlay(imageFile: string, name: string, text: string, imageFrame: string | null): Promise<OverlayFields> {
  const { regions, warnings } = parseDs9(text);
  const frameOk = (r: Ds9Region) => r.system === 'image' || (r.system === 'galactic' ? imageFrame === 'galactic' : imageFrame !== 'galactic' && imageFrame !== null);
  const kept = regions.filter(frameOk);
  if (kept.length < regions.length) warnings.push(`${regions.length - kept.length} regions are in a sky frame the image's WCS does not have`);
  const outlines = kept.map(regionOutline);
  const sky = outlines.flatMap((o) => (o.space === 'sky' ? o.points : []));
  const placed = sky.length ? await skyToPixels(imageFile, sky) : [];
  let k = 0;
  const lines: OverlayOutline[] = [];
  outlines.forEach((o, i) => {
    const pts = o.space === 'pixel' ? o.points : o.points.map(() => placed[k++] ?? null);
    const r = kept[i]!;
    if (pts.some((p) => p === null)) {
      warnings.push(`a ${r.shape} falls outside the image's projection`);
      return;
    }
    lines.push({ points: pts as Array<[number, number]>, closed: o.closed, ...(r.text ? { label: r.text } : {}), ...(r.exclude ? { exclude: true } : {}) });
  });
  return { imageFile, name, kind: 'regions', markers: [], outlines: lines, regions: kept, warnings };
}

/** The sky outlines (ICRS polygons of the outer pixel edges) of other files, drawn on this image. */
export async function footprintOverlay(imageFile: string, others: string[]): Promise<OverlayFields> {
  const r = await postJson<{ footprints: Array<{ file_path: string; polygon: Array<[number, number]> }> }>('/mosaic/footprint', { file_paths: others, overlap_limit: 0 });
  const placed = await skyToPixels(imageFile, r.footprints.flatMap((f) => f.polygon));
  let k = 0;
  const outlines: OverlayOutline[] = r.footprints.map((f) => ({
    points: f.polygon.map(() => placed[k++]).filter((q): q is [number, number] => !!q),
    closed: true,
    label: f.file_path.split('/').pop(),
  }));
  return { imageFile, name: `footprints of ${others.length} file${others.length === 1 ? '' : 's'}`, kind: 'footprint', markers: [], outlines };
}

interface ProcessAnswer {
  results: Record<string, unknown>;
}

/** Sources found in the image by find_stars (DAOStarFinder) or segmentation, as markers. */
export async function detectionOverlay(imageFile: string, hdu: number, slice: number, algorithm: 'find_stars' | 'segmentation'): Promise<OverlayFields> {
  const r = await postJson<ProcessAnswer>('/process', { data_id: 'viewer', file_path: imageFile, algorithm, hdu, slice_index: slice, parameters: {} });
  const rows = ((algorithm === 'find_stars' ? r.results.stars : r.results.catalog) ?? []) as Array<Record<string, number | null>>;
  const markers = rows
    .map((row, i) => ({ x: row.xcentroid ?? NaN, y: row.ycentroid ?? NaN, label: String(row.id ?? row.label ?? i + 1) }))
    .filter((m) => Number.isFinite(m.x) && Number.isFinite(m.y));
  return { imageFile, name: `${algorithm} (${markers.length} sources)`, kind: 'catalogue', markers, outlines: [], markerRadius: 7 };
}

export interface PhotometryRow {
  xcenter: number;
  ycenter: number;
  aperture_sum: number | null;
  aperture_sum_err?: number | null;
  [k: string]: unknown;
}

/** Aperture photometry (the engine's exact-overlap `aperture_photometry`) of one position. */
export async function photometryAt(imageFile: string, hdu: number, slice: number, x: number, y: number, r: number, rIn: number | null, rOut: number | null): Promise<PhotometryRow> {
  const parameters = { positions: [[x, y]], r, ...(rIn !== null && rOut !== null ? { r_in: rIn, r_out: rOut } : {}) };
  const a = await postJson<ProcessAnswer>('/process', { data_id: 'viewer', file_path: imageFile, algorithm: 'aperture_photometry', hdu, slice_index: slice, parameters });
  const rows = (a.results.photometry ?? []) as PhotometryRow[];
  if (!rows[0]) throw new Error('no photometry row');
  return rows[0];
}

/** A circle of `r` pixels about (x, y), as an outline. */
export function circleOutline(x: number, y: number, r: number, label?: string): OverlayOutline {
  return { points: Array.from({ length: 48 }, (_, k) => [x + r * Math.cos((k * Math.PI) / 24), y + r * Math.sin((k * Math.PI) / 24)] as [number, number]), closed: true, ...(label ? { label } : {}) };
}
