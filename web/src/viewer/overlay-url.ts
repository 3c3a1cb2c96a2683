/**
 * Overlays named in the viewer's URL (`ov=` once per overlay), so that a reload, Back/Forward and a
 * shared link bring them back. Only overlays that can be loaded again from the engine are named:
 *
 *   cat:<table file>                 a catalogue (ECSV or FITS table)
 *   find_stars:<hdu>:<slice>         sources found by find_stars on that HDU and slice
 *   segmentation:<hdu>:<slice>       sources found by segmentation
 *   fp:<file>|<file>|...             footprints of other files
 *   reg:<region file>                a DS9 region file on the engine (GET /viewer/region-file)
 *
 * A leading `~` means the overlay is hidden. Files are paths relative to DATA_DIR, as everywhere in
 * the viewer. Region files read from the browser's disk and photometry apertures are not named:
 * there is nothing to load them from again.
 */
import { getText, query } from '../api/client.js';
import { catalogueOverlay, detectionOverlay, footprintOverlay, regionsOverlay, type OverlayFields } from './overlay-sources.js';

export interface OverlaySpec {
  /** The spec without the hidden mark: the overlay's `source`. */
  readonly source: string;
  readonly visible: boolean;
}

export function parseOverlaySpec(text: string): OverlaySpec | null {
  const visible = !text.startsWith('~');
  const source = visible ? text : text.slice(1);
  return /^(cat|fp|reg):./.test(source) || /^(find_stars|segmentation):\d+:-?\d+$/.test(source) ? { source, visible } : null;
}

export function formatOverlaySpec(s: OverlaySpec): string {
  return `${s.visible ? '' : '~'}${s.source}`;
}

export const catalogueSource = (tableFile: string) => `cat:${tableFile}`;
export const detectionSource = (algorithm: 'find_stars' | 'segmentation', hdu: number, slice: number) => `${algorithm}:${hdu}:${slice}`;
export const footprintSource = (files: readonly string[]) => `fp:${files.join('|')}`;
export const regionFileSource = (path: string) => `reg:${path}`;

/** A DS9 region file on the engine as an overlay of `imageFile` (its WCS places sky regions). */
export async function regionFileOverlay(imageFile: string, path: string, imageFrame: string | null): Promise<OverlayFields> {
  const text = await getText(`/viewer/region-file${query({ file_path: path })}`);
  return regionsOverlay(imageFile, path.split('/').pop() ?? path, text, imageFrame);
}

/** Loads the overlay a spec names, on `imageFile`. */
export function loadOverlaySource(imageFile: string, source: string, imageFrame: string | null): Promise<OverlayFields> {
  const colon = source.indexOf(':');
  const kind = source.slice(0, colon);
  const rest = source.slice(colon + 1);
  switch (kind) {
    case 'cat':
      return catalogueOverlay(imageFile, rest);
    case 'fp':
      return footprintOverlay(imageFile, rest.split('|').filter(Boolean));
    case 'reg':
      return regionFileOverlay(imageFile, rest, imageFrame);
    case 'find_stars':
    case 'segmentation': {
      const [hdu, slice] = rest.split(':').map(Number);
      return detectionOverlay(imageFile, hdu!, slice!, kind);
    }
    default:
      return Promise.reject(new Error(`unknown overlay '${source}'`));
  }
}
