/**
 * Integer block averaging (NaN-aware) with the matching WCS: the anti-aliasing step before an
 * image is reprojected onto a much coarser grid. Pixel edges stay aligned, so the new reference
 * pixel is (CRPIX - 0.5) / k + 0.5 and the matrix (and SIP coefficients) scale with k.
 */
import type { ImagePlane } from '../core/image-plane.js';
import type { SipTerm, WcsDefinition } from '../wcs/index.js';
import type { CelestialImage } from './grid.js';

function scaleSip(terms: readonly SipTerm[] | undefined, k: number): SipTerm[] | undefined {
  return terms?.map((t) => ({ ...t, c: t.c * k ** (t.p + t.q - 1) }));
}

/** The WCS of the image binned by k x k (celestial plane, pixel axes 1 and 2). */
export function binWcs(def: WcsDefinition, k: number): WcsDefinition {
  const crpix = def.crpix.map((c, i) => (i < 2 ? (c - 0.5) / k + 0.5 : c));
  // Scaling the pixel-axis columns of the matrix by k (CD, or PC with CDELT kept) scales CDELT*PC.
  const pc = def.pc.map((row) => row.map((v, j) => (j < 2 ? v * k : v)));
  const sip = def.sip
    ? {
        ...def.sip,
        a: scaleSip(def.sip.a, k)!,
        b: scaleSip(def.sip.b, k)!,
        ...(def.sip.ap ? { ap: scaleSip(def.sip.ap, k), bp: scaleSip(def.sip.bp, k) } : {}),
      }
    : undefined;
  // DSS pixel terms (p + 1 + CNPIX - 0.5) * PIXELSZ keep their value with PIXELSZ*k and CNPIX/k.
  const dss = def.dss ? { ...def.dss, xpixelsz: def.dss.xpixelsz * k, ypixelsz: def.dss.ypixelsz * k, cnpix1: def.dss.cnpix1 / k, cnpix2: def.dss.cnpix2 / k } : undefined;
  // Lookup tables are in unbinned pixels: dropped (images are loaded without them anyway).
  return { ...def, crpix, pc, sip, dss, lookupTables: undefined, imageShape: def.imageShape?.map((n, i) => (i < 2 ? Math.ceil(n / k) : n)) };
}

/**
 * k x k block means ignoring NaN (a block with no finite pixel is NaN), fed one image row at a
 * time in increasing order, so a caller streaming row bands from a file holds only the output.
 */
export class RowBinner {
  readonly width: number;
  readonly height: number;
  private readonly out: Float32Array;
  private readonly sum: Float64Array;
  private readonly cnt: Uint32Array;
  private block = 0;

  constructor(private readonly imageWidth: number, imageHeight: number, private readonly k: number) {
    this.width = Math.ceil(imageWidth / k);
    this.height = Math.ceil(imageHeight / k);
    this.out = new Float32Array(this.width * this.height);
    this.sum = new Float64Array(this.width);
    this.cnt = new Uint32Array(this.width);
  }

  /** Adds image row y, whose pixels are data[offset .. offset + imageWidth). */
  addRow(y: number, data: ArrayLike<number>, offset: number): void {
    const by = Math.floor(y / this.k);
    if (by !== this.block) {
      this.flush();
      this.block = by;
    }
    const { sum, cnt, k } = this;
    for (let x = 0; x < this.imageWidth; x++) {
      const v = data[offset + x]!;
      if (v === v && v !== Infinity && v !== -Infinity) {
        const b = (x / k) | 0;
        sum[b]! += v;
        cnt[b]! += 1;
      }
    }
  }

  /** The binned plane, once every row has been added. */
  finish(): ImagePlane<Float32Array> {
    this.flush();
    return { width: this.width, height: this.height, data: this.out };
  }

  private flush(): void {
    const { sum, cnt, out, width } = this;
    const base = this.block * width;
    for (let b = 0; b < width; b++) out[base + b] = cnt[b] ? sum[b]! / cnt[b]! : NaN;
    sum.fill(0);
    cnt.fill(0);
  }
}

/** k x k block mean ignoring NaN (a block with no finite pixel is NaN). */
export function binPlane(plane: ImagePlane, k: number): ImagePlane<Float32Array> {
  const { width: w, height: h, data } = plane;
  const binner = new RowBinner(w, h, k);
  for (let y = 0; y < h; y++) binner.addRow(y, data, y * w);
  return binner.finish();
}

/** Bins the image when the target pixel is at least twice its own (factor floor(target/own)). */
export function binForTarget(image: CelestialImage, ownScale: number, targetScale: number): CelestialImage {
  const k = Math.floor(targetScale / ownScale);
  if (!(k >= 2)) return image;
  return { plane: binPlane(image.plane, k), wcs: binWcs(image.wcs, k) };
}
