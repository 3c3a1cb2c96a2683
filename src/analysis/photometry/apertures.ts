/**
 * Circular and elliptical apertures and annuli (photutils' CircularAperture, EllipticalAperture,
 * CircularAnnulus, EllipticalAnnulus) as exact per-pixel overlap weights over a bounding box.
 * Positions are 0-based pixel coordinates with pixel centres at integers (photutils), so pixel
 * (i, j) covers [i - 0.5, i + 0.5] x [j - 0.5, j + 0.5].
 */
import { ValidationError } from '../../errors.js';
import { circleBlockOverlap, circlePixelOverlap, ellipsePixelOverlap } from './exact-overlap.js';

export type ApertureShape =
  | { readonly kind: 'circle'; readonly r: number }
  | { readonly kind: 'ellipse'; readonly a: number; readonly b: number; readonly theta: number }
  | { readonly kind: 'circular-annulus'; readonly rIn: number; readonly rOut: number }
  | { readonly kind: 'elliptical-annulus'; readonly aIn: number; readonly aOut: number; readonly bIn: number; readonly bOut: number; readonly theta: number };

export interface ApertureWeights {
  /** Bounding box (inclusive pixel indices, may extend beyond the image). */
  readonly x0: number;
  readonly y0: number;
  readonly w: number;
  readonly h: number;
  readonly weights: Float64Array;
  /** The geometric area of the shape. */
  readonly area: number;
}

export function validateShape(shape: ApertureShape): void {
  const positive = (name: string, v: number): void => {
    if (!(v > 0 && Number.isFinite(v))) throw new ValidationError(`${name} must be a positive number`);
  };
  switch (shape.kind) {
    case 'circle':
      positive('r', shape.r);
      break;
    case 'ellipse':
      positive('a', shape.a);
      positive('b', shape.b);
      break;
    case 'circular-annulus':
      positive('r_in', shape.rIn + 1e-300);
      positive('r_out', shape.rOut);
      if (!(shape.rOut > shape.rIn && shape.rIn >= 0)) throw new ValidationError('r_out must be greater than r_in (and r_in >= 0)');
      break;
    case 'elliptical-annulus':
      positive('a_out', shape.aOut);
      positive('b_out', shape.bOut);
      if (!(shape.aOut > shape.aIn && shape.aIn >= 0)) throw new ValidationError('a_out must be greater than a_in (and a_in >= 0)');
      if (!(shape.bOut > shape.bIn && shape.bIn >= 0)) throw new ValidationError('b_out must be greater than b_in (and b_in >= 0)');
      break;
  }
}

function extent(shape: ApertureShape): [number, number] {
  const ellipseExtent = (a: number, b: number, t: number): [number, number] => {
    const c = Math.cos(t);
    const s = Math.sin(t);
    return [Math.sqrt(a * a * c * c + b * b * s * s), Math.sqrt(a * a * s * s + b * b * c * c)];
  };
  switch (shape.kind) {
    case 'circle':
      return [shape.r, shape.r];
    case 'circular-annulus':
      return [shape.rOut, shape.rOut];
    case 'ellipse':
      return ellipseExtent(shape.a, shape.b, shape.theta);
    case 'elliptical-annulus':
      return ellipseExtent(shape.aOut, shape.bOut, shape.theta);
  }
}

export function shapeArea(shape: ApertureShape): number {
  switch (shape.kind) {
    case 'circle':
      return Math.PI * shape.r * shape.r;
    case 'ellipse':
      return Math.PI * shape.a * shape.b;
    case 'circular-annulus':
      return Math.PI * (shape.rOut ** 2 - shape.rIn ** 2);
    case 'elliptical-annulus':
      return Math.PI * (shape.aOut * shape.bOut - shape.aIn * shape.bIn);
  }
}

function overlap(shape: ApertureShape, dx: number, dy: number): number {
  switch (shape.kind) {
    case 'circle':
      return circlePixelOverlap(dx, dy, shape.r);
    case 'ellipse':
      return ellipsePixelOverlap(dx, dy, shape.a, shape.b, shape.theta);
    case 'circular-annulus':
      return circlePixelOverlap(dx, dy, shape.rOut) - (shape.rIn > 0 ? circlePixelOverlap(dx, dy, shape.rIn) : 0);
    case 'elliptical-annulus': {
      const inner = shape.aIn > 0 && shape.bIn > 0 ? ellipsePixelOverlap(dx, dy, shape.aIn, shape.bIn, shape.theta) : 0;
      return ellipsePixelOverlap(dx, dy, shape.aOut, shape.bOut, shape.theta) - inner;
    }
  }
}

/** Exact overlap weights of the shape centred at (x, y). */
export function exactWeights(shape: ApertureShape, x: number, y: number): ApertureWeights {
  const [ex, ey] = extent(shape);
  const x0 = Math.floor(x - ex + 0.5);
  const x1 = Math.ceil(x + ex - 0.5);
  const y0 = Math.floor(y - ey + 0.5);
  const y1 = Math.ceil(y + ey - 0.5);
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;
  const weights = new Float64Array(w * h);
  if (shape.kind === 'circle' || shape.kind === 'circular-annulus') {
    const rOut = shape.kind === 'circle' ? shape.r : shape.rOut;
    circleBlockOverlap(x0 - 0.5 - x, y0 - 0.5 - y, w, h, rOut, weights);
    if (shape.kind === 'circular-annulus' && shape.rIn > 0) circleBlockOverlap(x0 - 0.5 - x, y0 - 0.5 - y, w, h, shape.rIn, weights, -1);
    return { x0, y0, w, h, weights, area: shapeArea(shape) };
  }
  for (let j = 0; j < h; j++) {
    const dy = y0 + j - 0.5 - y;
    for (let i = 0; i < w; i++) {
      weights[j * w + i] = overlap(shape, x0 + i - 0.5 - x, dy);
    }
  }
  return { x0, y0, w, h, weights, area: shapeArea(shape) };
}

/** 'center' weights: 1 where the pixel centre lies inside the shape (photutils method='center'). */
export function centerWeights(shape: ApertureShape, x: number, y: number): ApertureWeights {
  const [ex, ey] = extent(shape);
  const x0 = Math.floor(x - ex);
  const x1 = Math.ceil(x + ex);
  const y0 = Math.floor(y - ey);
  const y1 = Math.ceil(y + ey);
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;
  const weights = new Float64Array(w * h);
  const inEllipse = (dx: number, dy: number, a: number, b: number, t: number): boolean => {
    const u = (dx * Math.cos(t) + dy * Math.sin(t)) / a;
    const v = (-dx * Math.sin(t) + dy * Math.cos(t)) / b;
    return u * u + v * v <= 1;
  };
  for (let j = 0; j < h; j++) {
    const dy = y0 + j - y;
    for (let i = 0; i < w; i++) {
      const dx = x0 + i - x;
      let inside: boolean;
      switch (shape.kind) {
        case 'circle':
          inside = dx * dx + dy * dy <= shape.r * shape.r;
          break;
        case 'ellipse':
          inside = inEllipse(dx, dy, shape.a, shape.b, shape.theta);
          break;
        case 'circular-annulus': {
          const d2 = dx * dx + dy * dy;
          inside = d2 <= shape.rOut ** 2 && d2 > shape.rIn ** 2;
          break;
        }
        case 'elliptical-annulus':
          inside = inEllipse(dx, dy, shape.aOut, shape.bOut, shape.theta) && !(shape.aIn > 0 && shape.bIn > 0 && inEllipse(dx, dy, shape.aIn, shape.bIn, shape.theta));
          break;
      }
      weights[j * w + i] = inside ? 1 : 0;
    }
  }
  return { x0, y0, w, h, weights, area: shapeArea(shape) };
}
