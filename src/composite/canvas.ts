/**
 * From the combined picture to the exact output canvas (upstream-latest §1.3 step 11): crop to the
 * box of pixels with any channel above 0.005, rotate (positive = clockwise on screen, bilinear, the
 * canvas grows to hold the corners, black outside), scale to fit W x H times the zoom, and place on
 * a black W x H canvas: centred, or panned by the crop centre when larger. Interleaved RGB, row 0
 * at the top. Each step also reports the affine map from its output pixels to its input pixels, so
 * the AVM of the final canvas is exact.
 */
import { resampleArea } from '../imaging/index.js';

export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** Interleaved RGB, row 0 at the top. */
  readonly data: Float32Array;
}

/** x_in = a*x_out + b*y_out + c,  y_in = d*x_out + e*y_out + f (pixel centres, 0-based). */
export interface Affine {
  readonly a: number; readonly b: number; readonly c: number;
  readonly d: number; readonly e: number; readonly f: number;
}

export const IDENTITY: Affine = { a: 1, b: 0, c: 0, d: 0, e: 1, f: 0 };

/** outer then inner: first map with `outer`, then with `inner`. */
export function compose(outer: Affine, inner: Affine): Affine {
  // p_in = inner(outer(p))
  return {
    a: inner.a * outer.a + inner.b * outer.d,
    b: inner.a * outer.b + inner.b * outer.e,
    c: inner.a * outer.c + inner.b * outer.f + inner.c,
    d: inner.d * outer.a + inner.e * outer.d,
    e: inner.d * outer.b + inner.e * outer.e,
    f: inner.d * outer.c + inner.e * outer.f + inner.f,
  };
}

export interface Box { readonly x0: number; readonly y0: number; readonly x1: number; readonly y1: number }

/** The box of pixels with any channel > threshold (undefined when none). */
export function contentBox(img: RgbImage, threshold = 0.005): Box | undefined {
  let x0 = img.width, y0 = img.height, x1 = -1, y1 = -1;
  const d = img.data;
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const i = 3 * (y * img.width + x);
      if (d[i]! > threshold || d[i + 1]! > threshold || d[i + 2]! > threshold) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  return x1 < 0 ? undefined : { x0, y0, x1: x1 + 1, y1: y1 + 1 };
}

export function cropImage(img: RgbImage, box: Box): RgbImage {
  const w = box.x1 - box.x0;
  const h = box.y1 - box.y0;
  if (w === img.width && h === img.height) return img;
  const out = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++) out.set(img.data.subarray(3 * ((y + box.y0) * img.width + box.x0), 3 * ((y + box.y0) * img.width + box.x1)), 3 * y * w);
  return { width: w, height: h, data: out };
}

/**
 * The image upside down (row 0 becomes the last), keeping only `box` of the flipped image when
 * given: flipping and cropping in one copy.
 */
export function flipRows(img: RgbImage, box?: Box): RgbImage {
  const { x0, y0, x1, y1 } = box ?? { x0: 0, y0: 0, x1: img.width, y1: img.height };
  const w = x1 - x0;
  const h = y1 - y0;
  const out = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const src = img.height - 1 - (y + y0);
    out.set(img.data.subarray(3 * (src * img.width + x0), 3 * (src * img.width + x1)), 3 * y * w);
  }
  return { width: w, height: h, data: out };
}

/**
 * flipRows(img, box) done inside img's own array (img is consumed): the box's rows are moved to
 * the front, then their order reversed. The same values without a second image-sized array.
 */
export function flipRowsInPlace(img: RgbImage, box?: Box): RgbImage {
  const { x0, y0, x1, y1 } = box ?? { x0: 0, y0: 0, x1: img.width, y1: img.height };
  const w = x1 - x0;
  const h = y1 - y0;
  const d = img.data;
  // flipped row y is source row img.height - 1 - (y + y0): the source rows [top, top + h), reversed
  const top = img.height - y0 - h;
  // moving forward never overwrites a row still to be moved (destination <= source)
  for (let r = 0; r < h; r++) d.copyWithin(3 * r * w, 3 * ((top + r) * img.width + x0), 3 * ((top + r) * img.width + x1));
  const row = new Float32Array(3 * w);
  for (let a = 0, b = h - 1; a < b; a++, b--) {
    row.set(d.subarray(3 * a * w, 3 * (a + 1) * w));
    d.copyWithin(3 * a * w, 3 * b * w, 3 * (b + 1) * w);
    d.set(row, 3 * b * w);
  }
  return { width: w, height: h, data: d.subarray(0, 3 * w * h) };
}

/** Bilinear sample of channel k at (x, y); outside the image counts as black (scipy cval 0). */
function sample(img: RgbImage, x: number, y: number, out: Float64Array): void {
  const x0 = Math.floor(x), y0 = Math.floor(y);
  const fx = x - x0, fy = y - y0;
  out[0] = out[1] = out[2] = 0;
  for (let j = 0; j < 2; j++) {
    const yy = y0 + j;
    if (yy < 0 || yy >= img.height) continue;
    const wy = j === 0 ? 1 - fy : fy;
    if (wy === 0) continue;
    for (let i = 0; i < 2; i++) {
      const xx = x0 + i;
      if (xx < 0 || xx >= img.width) continue;
      const w = wy * (i === 0 ? 1 - fx : fx);
      if (w === 0) continue;
      const p = 3 * (yy * img.width + xx);
      out[0] += w * img.data[p]!;
      out[1] += w * img.data[p + 1]!;
      out[2] += w * img.data[p + 2]!;
    }
  }
}

/** The size of the image rotated by `degrees` with reshape (scipy.ndimage.rotate's rule). */
export function rotatedSize(width: number, height: number, degrees: number): { width: number; height: number } {
  const t = (degrees * Math.PI) / 180;
  const c = Math.abs(Math.cos(t)), s = Math.abs(Math.sin(t));
  return { width: Math.round(width * c + height * s), height: Math.round(width * s + height * c) };
}

/** Clockwise (on screen) rotation about the centre; returns the image and out -> in map. */
export function rotateImage(img: RgbImage, degrees: number): { image: RgbImage; map: Affine } {
  const t = (degrees * Math.PI) / 180;
  const c = Math.cos(t), s = Math.sin(t);
  const { width, height } = rotatedSize(img.width, img.height, degrees);
  const icx = (img.width - 1) / 2, icy = (img.height - 1) / 2;
  const ocx = (width - 1) / 2, ocy = (height - 1) / 2;
  // y points down, so [[c, -s], [s, c]] turns clockwise; its inverse maps output to input
  const map: Affine = { a: c, b: s, c: icx - c * ocx - s * ocy, d: -s, e: c, f: icy + s * ocx - c * ocy };
  const out = new Float32Array(width * height * 3);
  const px = new Float64Array(3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      sample(img, map.a * x + map.b * y + map.c, map.d * x + map.e * y + map.f, px);
      const o = 3 * (y * width + x);
      out[o] = px[0]!;
      out[o + 1] = px[1]!;
      out[o + 2] = px[2]!;
    }
  }
  return { image: { width, height, data: out }, map };
}

export interface Placement {
  /** Output canvas size. */
  readonly width: number;
  readonly height: number;
  /** 0.1..5, 1 = fit. */
  readonly zoom: number;
  /** 0..1 pan when the scaled image is larger than the canvas (0 = left/top). */
  readonly centerX: number;
  readonly centerY: number;
}

/** Scale factor and the scaled image's offset (canvas pixel X shows scaled pixel X + offX). */
export function placement(w: number, h: number, p: Placement): { scale: number; sw: number; sh: number; offX: number; offY: number } {
  const scale = Math.min(p.width / w, p.height / h) * p.zoom;
  const sw = Math.max(1, Math.round(w * scale));
  const sh = Math.max(1, Math.round(h * scale));
  const off = (size: number, canvas: number, centre: number) => (size > canvas ? Math.trunc(centre * (size - canvas)) : -Math.trunc((canvas - size) / 2));
  return { scale, sw, sh, offX: off(sw, p.width, p.centerX), offY: off(sh, p.height, p.centerY) };
}

function planeOf(img: RgbImage, k: number): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = img.data[3 * i + k]!;
  return out;
}

/**
 * Scales and places the image on the canvas. Shrinking averages areas (no aliasing); enlarging
 * samples bilinearly only the visible window, so a deep zoom costs the canvas, not the zoomed image.
 */
export function placeOnCanvas(img: RgbImage, p: Placement): { image: RgbImage; map: Affine } {
  const { sw, sh, offX, offY } = placement(img.width, img.height, p);
  const out = new Float32Array(p.width * p.height * 3);
  const fx = img.width / sw, fy = img.height / sh;
  // canvas pixel X -> scaled pixel X + offX -> input (X + offX + 0.5) * fx - 0.5
  const map: Affine = { a: fx, b: 0, c: (offX + 0.5) * fx - 0.5, d: 0, e: fy, f: (offY + 0.5) * fy - 0.5 };
  const x0 = Math.max(0, -offX), x1 = Math.min(p.width, sw - offX);
  const y0 = Math.max(0, -offY), y1 = Math.min(p.height, sh - offY);
  if (sw <= img.width && sh <= img.height) {
    // one colour plane at a time: two plane-sized arrays alive, not six
    for (let k = 0; k < 3; k++) {
      const plane = resampleArea({ width: img.width, height: img.height, data: planeOf(img, k) }, sw, sh).data;
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const v = plane[(y + offY) * sw + x + offX]!;
          out[3 * (y * p.width + x) + k] = v === v ? v : 0;
        }
      }
    }
  } else {
    const px = new Float64Array(3);
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        // edge-clamped so the image border is not blended with black
        const sx = Math.min(img.width - 1, Math.max(0, map.a * x + map.c));
        const sy = Math.min(img.height - 1, Math.max(0, map.e * y + map.f));
        sample(img, sx, sy, px);
        const o = 3 * (y * p.width + x);
        out[o] = px[0]!;
        out[o + 1] = px[1]!;
        out[o + 2] = px[2]!;
      }
    }
  }
  return { image: { width: p.width, height: p.height, data: out }, map };
}

/** Rounds display values to 8-bit (NaN -> 0). */
export function toBytes(img: RgbImage): Uint8Array {
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = img.data[i]!;
    out[i] = v === v ? Math.round((v < 0 ? 0 : v > 1 ? 1 : v) * 255) : 0;
  }
  return out;
}
