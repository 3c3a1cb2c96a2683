/**
 * Lookup-table distortions (FITS WCS Paper IV draft as astropy implements them): D2IM
 * detector-to-image corrections applied first, then CPDIS offsets added together with SIP. Each
 * table is an image with its own CRPIX/CRVAL/CDELT mapping 1-based image pixels to table pixels;
 * values are bilinearly interpolated with the coordinates clamped to the table (astropy >= 6.0.1,
 * which fixed the one-table-pixel offset of earlier versions).
 */
import type { LookupRequest, LookupTable, WcsDefinition } from './definition.js';
import { WcsError } from './errors.js';

function tableCoord(t: LookupTable, axis: 0 | 1, img: number): number {
  const n = axis === 0 ? t.width : t.height;
  const r = (img - t.crval[axis]) / t.cdelt[axis] + t.crpix[axis] - 1;
  return r < 0 ? 0 : r > n - 1 ? n - 1 : r;
}

function at(t: LookupTable, x: number, y: number): number {
  const cx = x < 0 ? 0 : x > t.width - 1 ? t.width - 1 : x;
  const cy = y < 0 ? 0 : y > t.height - 1 ? t.height - 1 : y;
  return t.data[cy * t.width + cx]!;
}

/** The table's value at a 1-based image position. */
export function lookupValue(t: LookupTable, x1: number, y1: number): number {
  const dx = tableCoord(t, 0, x1);
  const dy = tableCoord(t, 1, y1);
  const fx = Math.floor(dx);
  const fy = Math.floor(dy);
  const wx = dx - fx;
  const wy = dy - fy;
  return (
    at(t, fx, fy) * (1 - wx) * (1 - wy) +
    at(t, fx, fy + 1) * (1 - wx) * wy +
    at(t, fx + 1, fy) * wx * (1 - wy) +
    at(t, fx + 1, fy + 1) * wx * wy
  );
}

export class LookupDistortion {
  private readonly d2im: Array<LookupTable | undefined> = [undefined, undefined];
  private readonly cpdis: Array<LookupTable | undefined> = [undefined, undefined];

  constructor(tables: readonly LookupTable[]) {
    for (const t of tables) {
      if (t.width * t.height !== t.data.length) throw new WcsError(`${t.extname} ${t.extver}: data size does not match its axes`, 'WCS_BAD_LOOKUP');
      (t.kind === 'd2im' ? this.d2im : this.cpdis)[t.axis] = t;
    }
  }

  get hasD2im(): boolean {
    return this.d2im.some((t) => t !== undefined);
  }

  /** Detector -> image correction of a 1-based position, in place. */
  applyD2im(p: Float64Array): void {
    const x = p[0]!;
    const y = p[1]!;
    if (this.d2im[0]) p[0] = x + lookupValue(this.d2im[0], x, y);
    if (this.d2im[1]) p[1] = y + lookupValue(this.d2im[1], x, y);
  }

  /** CPDIS offsets at a 1-based (image) position, added into delta. */
  addCpdis(x: number, y: number, delta: Float64Array): void {
    if (this.cpdis[0]) delta[0]! += lookupValue(this.cpdis[0], x, y);
    if (this.cpdis[1]) delta[1]! += lookupValue(this.cpdis[1], x, y);
  }
}

/** Reads one table extension: its image and the CRPIXn/CRVALn/CDELTn of its header. */
export type LookupReader = (request: LookupRequest) => Promise<Omit<LookupTable, keyof LookupRequest>>;

/** Returns the definition with the lookup tables its header names attached. */
export async function attachLookupTables(def: WcsDefinition, read: LookupReader): Promise<WcsDefinition> {
  if (!def.lookupRequests?.length) return def;
  const tables: LookupTable[] = [];
  for (const r of def.lookupRequests) tables.push({ ...r, ...(await read(r)) });
  return { ...def, lookupTables: tables };
}
