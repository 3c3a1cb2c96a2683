/**
 * Composite, mosaic and footprint tasks for src/routes/composite.ts and mosaic.ts: every FITS read,
 * reprojection and encoding runs here, off the event loop. Payloads are plain data (colormap by
 * name); progress, when a MessagePort is passed, is posted as { fraction, stage }.
 */
import type { MessagePort } from 'node:worker_threads';
import { basename } from 'node:path';
import { instrumentOf } from '../../composite/pipeline.js';
import { overlapWarning } from '../../discovery/overlap.js';
import { ImagingError, getColormap } from '../../imaging/index.js';
import type { ViewerLimits } from '../../imaging/viewer/source.js';
import { renderComposite, type CompositeSpec } from '../../reproject/composite.js';
import { boundingBox, footprintOf, overlapPage, type BoundingBox, type Footprint, type Overlap } from '../../reproject/footprint.js';
import { loadImageShape } from '../../reproject/load.js';
import { renderMosaicImage, writeMosaicFits, type MosaicFitsSpec, type MosaicImageSpec } from '../../reproject/mosaic.js';

type WithPort<T> = T & { progressPort?: MessagePort };

function reporter(port: MessagePort | undefined): ((fraction: number, stage: string) => void) | undefined {
  if (!port) return undefined;
  return (fraction, stage) => port.postMessage({ fraction, stage });
}

async function withPort<T>(port: MessagePort | undefined, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } finally {
    port?.close();
  }
}

export interface FootprintTaskResult {
  readonly footprints: Array<Footprint & { width: number; height: number; instrument: string | null }>;
  readonly overlapWarning: string | null;
  readonly boundingBox: BoundingBox;
  /** The requested window of the overlapping pairs, and how many pairs overlap in all. */
  readonly overlaps: Overlap[];
  readonly overlapCount: number;
}

export const reprojectTasks = {
  'reproject.composite': (p: WithPort<CompositeSpec>) => withPort(p.progressPort, () => renderComposite(p, reporter(p.progressPort))),
  'reproject.mosaic-image': (p: WithPort<Omit<MosaicImageSpec, 'colormap'> & { colormap: string }>) =>
    withPort(p.progressPort, () => {
      const colormap = getColormap(p.colormap);
      if (!colormap) throw new ImagingError(`Invalid colormap '${p.colormap}'`);
      return renderMosaicImage({ ...p, colormap }, reporter(p.progressPort));
    }),
  'reproject.mosaic-fits': (p: WithPort<MosaicFitsSpec>) => withPort(p.progressPort, () => writeMosaicFits(p, reporter(p.progressPort))),
  'reproject.footprint': async (p: { paths: string[]; limits: ViewerLimits; overlapOffset?: number; overlapLimit?: number }): Promise<FootprintTaskResult> => {
    const footprints = [];
    for (const path of p.paths) {
      const s = await loadImageShape(path, p.limits);
      footprints.push({ ...footprintOf(s), width: s.width, height: s.height, instrument: instrumentOf(s) ?? null });
    }
    const placed = footprints.map((f, i) => ({ name: basename(p.paths[i]!), instrument: f.instrument, ra: f.centerRa, dec: f.centerDec }));
    const page = overlapPage(footprints, p.overlapOffset ?? 0, p.overlapLimit ?? Number.POSITIVE_INFINITY);
    return { footprints, boundingBox: boundingBox(footprints), overlaps: page.overlaps, overlapCount: page.total, overlapWarning: overlapWarning(placed) };
  },
} as const;
