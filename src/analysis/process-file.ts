/**
 * Runs one registry algorithm on a FITS file: reads the image plane (first image HDU unless told;
 * a cube's slice_index or middle plane), its ERR extension and DQ mask (DO_NOT_USE bit) when
 * present, a celestial WCS for RA/Dec columns, runs the algorithm and writes its images under
 * the output directory. Paths here are already resolved by the caller's sandbox. This is what the
 * worker task and the CLI call.
 */
import { basename } from 'node:path';
import type { MessagePort } from 'node:worker_threads';
import type { ImagePlane } from '../core/image-plane.js';
import { ValidationError } from '../errors.js';
import { FitsFile, readPlane, type Hdu } from '../fits/index.js';
import { Wcs } from '../wcs/wcs.js';
import { WcsError } from '../wcs/errors.js';
import { algorithms } from './algorithms/index.js';
import type { AlgorithmInput } from './registry.js';
import { historyCards, writeOutputImages } from './output.js';
import { catalogTables, writeOutputTables, type TableFormat } from './output-tables.js';
import { choosePlane, pickImageHdu, planeOptions } from './image-file.js';
import { throwIfCancelled } from '../core/cancellation.js';

export interface ProcessFileRequest {
  readonly algorithm: string;
  /** Unvalidated is fine: validated (again) here. */
  readonly parameters: Record<string, unknown>;
  readonly filePath: string;
  readonly hdu?: number | null;
  readonly sliceIndex?: number | null;
  /** For 'compare': the resolved second file. */
  readonly otherFilePath?: string;
  /** Absolute directory for output FITS (DATA_DIR/processed); omit to write nothing. */
  readonly outputDir?: string;
  /** File-name prefix for the outputs. */
  readonly outputPrefix?: string;
  /** Prefix put before output names in the answer (e.g. 'processed/'). */
  readonly outputRelativeDir?: string;
  /** Save the catalogues of the results as tables too (ECSV, FITS or both); default none. */
  readonly tableFormat?: TableFormat;
  readonly maxElements?: number;
  readonly maxFileBytes?: number;
  /** Largest expansion of a compressed input over its size (0 or unset: none). */
  readonly maxExpansionRatio?: number;
  readonly engine?: string;
  /** Progress messages {progress, message} are posted here (jobs). */
  readonly progressPort?: MessagePort;
}

export interface ProcessFileResult {
  readonly status: 'completed';
  readonly algorithm: string;
  readonly parameters: Record<string, unknown>;
  readonly results: Record<string, unknown>;
  readonly output_files: string[];
  readonly image: { hdu: number; extname: string; width: number; height: number; slice_index: number | null; n_slices: number };
  readonly timing: { read_ms: number; compute_ms: number; write_ms: number; total_ms: number };
}

interface LoadedImage {
  plane: ImagePlane;
  hdu: Hdu;
  slice: number | null;
  nSlices: number;
  error?: ImagePlane;
  mask?: Uint8Array;
  pixelToWorld?: (x: number, y: number) => readonly [number, number];
}

async function loadImage(path: string, hduIndex: number | null | undefined, sliceIndex: number | null | undefined, wantError: boolean, o: { maxElements?: number; maxFileBytes?: number; maxExpansionRatio?: number }): Promise<LoadedImage> {
  const file = await FitsFile.open(path, { ...(o.maxFileBytes ? { maxFileBytes: o.maxFileBytes } : {}), maxExpansionRatio: o.maxExpansionRatio ?? 0 });
  try {
    const hdu = pickImageHdu(file, hduIndex);
    const { plane, slice, nSlices } = choosePlane(hdu, sliceIndex);
    const image = await readPlane(file, hdu, planeOptions(hdu, plane, o.maxElements));
    const loaded: LoadedImage = { plane: image, hdu, slice, nSlices };
    const sameShape = (h: Hdu): boolean => h.axes.length >= 2 && h.axes[0] === hdu.axes[0] && h.axes[1] === hdu.axes[1];
    if (wantError) {
      const err = file.hdus.find((h) => h.name.toUpperCase() === 'ERR' && h !== hdu && sameShape(h));
      if (err) loaded.error = await readPlane(file, err, planeOptions(err, plane, o.maxElements));
    }
    const dq = file.hdus.find((h) => h.name.toUpperCase() === 'DQ' && h !== hdu && sameShape(h));
    if (dq) {
      const d = await readPlane(file, dq, planeOptions(dq, plane, o.maxElements));
      const mask = new Uint8Array(d.data.length);
      let any = false;
      // JWST DQ bit 0 is DO_NOT_USE (& 1, not % 2: an int32 DQ holds bit 31 as a negative number)
      for (let i = 0; i < mask.length; i++) if ((Number(d.data[i]) & 1) === 1) {
        mask[i] = 1;
        any = true;
      }
      if (any) loaded.mask = mask;
    }
    try {
      const wcs = Wcs.fromHeader(hdu.header);
      const cel = wcs.celestial;
      if (cel) {
        const w2 = wcs.naxis === 2 ? wcs : wcs.celestialPlane();
        const c2 = w2.celestial!;
        loaded.pixelToWorld = (x, y) => {
          const w = w2.pixelToWorld([x, y]);
          return [w[c2.lon]!, w[c2.lat]!] as const;
        };
      }
    } catch (err) {
      // No usable WCS means no RA/Dec columns; anything else is a real failure.
      if (!(err instanceof WcsError)) throw err;
    }
    return loaded;
  } finally {
    await file.close();
  }
}

/** The file name without its directory and its FITS extension (.fits/.fit/.fts, optionally compressed). */
export function fitsStem(path: string): string {
  return basename(path).replace(/\.(fits|fit|fts)(\.gz|\.bz2|\.fz|\.Z)?$/i, '');
}

export async function processFile(req: ProcessFileRequest): Promise<ProcessFileResult> {
  const t0 = performance.now();
  const def = algorithms.get(req.algorithm);
  const parameters = algorithms.validateParameters(req.algorithm, req.parameters);
  // Every stage boundary is also a point where a stopped task ends.
  const progress = (fraction: number, message?: string): void => {
    throwIfCancelled();
    req.progressPort?.postMessage({ progress: Math.max(0, Math.min(1, fraction)), message: message ?? '' });
  };
  progress(0.01, 'reading');
  const img = await loadImage(req.filePath, req.hdu, req.sliceIndex, def.inputs.includes('error'), req);
  let other: ImagePlane | undefined;
  if (def.inputs.includes('second_image')) {
    if (!req.otherFilePath) throw new ValidationError(`${req.algorithm} needs a second image (other_file_path)`);
    other = (await loadImage(req.otherFilePath, (parameters.other_hdu as number | null) ?? null, req.sliceIndex, false, req)).plane;
  }
  const t1 = performance.now();
  const input: AlgorithmInput = {
    plane: img.plane,
    ...(img.mask ? { mask: img.mask } : {}),
    ...(img.error ? { error: img.error } : {}),
    ...(other ? { other } : {}),
    ...(img.pixelToWorld ? { pixelToWorld: img.pixelToWorld } : {}),
  };
  const output = def.run(input, parameters as never, { progress: (f, m) => progress(0.05 + 0.85 * f, m) });
  const t2 = performance.now();
  let outputFiles: string[] = [];
  if (req.outputDir && output.images && output.images.length) {
    progress(0.92, 'writing outputs');
    const names = await writeOutputImages(output.images, {
      dir: req.outputDir,
      prefix: req.outputPrefix ?? `${fitsStem(req.filePath)}_${req.algorithm}`,
      width: img.plane.width,
      height: img.plane.height,
      header: img.hdu.header,
      algorithm: req.algorithm,
      parameters,
      source: `${basename(req.filePath)}[${img.hdu.index}]${img.slice !== null ? ` slice ${img.slice}` : ''}`,
      engine: req.engine ?? 'jwst-processing-engine',
    });
    outputFiles = names.map((n) => `${req.outputRelativeDir ?? ''}${n}`);
  }
  const tables = req.outputDir && req.tableFormat && req.tableFormat !== 'none' ? catalogTables(output.results) : [];
  if (req.outputDir && tables.length) {
    progress(0.96, 'writing tables');
    const source = `${basename(req.filePath)}[${img.hdu.index}]${img.slice !== null ? ` slice ${img.slice}` : ''}`;
    const engine = req.engine ?? 'jwst-processing-engine';
    const names = await writeOutputTables(tables, {
      dir: req.outputDir,
      prefix: req.outputPrefix ?? `${fitsStem(req.filePath)}_${req.algorithm}`,
      format: req.tableFormat ?? 'none',
      meta: { engine, algorithm: req.algorithm, source, parameters },
      history: historyCards(engine, req.algorithm, parameters, source, 'catalogue'),
    });
    outputFiles.push(...names.map((n) => `${req.outputRelativeDir ?? ''}${n}`));
  }
  const t3 = performance.now();
  progress(1, 'done');
  const round = (ms: number): number => Math.round(ms * 10) / 10;
  return {
    status: 'completed',
    algorithm: req.algorithm,
    parameters,
    results: output.results,
    output_files: outputFiles,
    image: { hdu: img.hdu.index, extname: img.hdu.name, width: img.plane.width, height: img.plane.height, slice_index: img.slice, n_slices: img.nSlices },
    timing: { read_ms: round(t1 - t0), compute_ms: round(t2 - t1), write_ms: round(t3 - t2), total_ms: round(t3 - t0) },
  };
}
