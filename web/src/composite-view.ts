/**
 * The composite page's view (rotation, crop zoom and centre) and how drags on the preview change
 * it, in the units of POST /composite/generate-nchannel. Pure, so it is tested without a browser.
 */
export interface View {
  rotation: number;
  zoom: number;
  centerX: number;
  centerY: number;
}

export const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
export const round = (v: number, d = 3): number => Math.round(v * 10 ** d) / 10 ** d;

/**
 * How much of the canvas the picture fills at crop zoom 1, per axis (1 on the axis it fits, less
 * on the other): the route scales it by min(canvas / picture) on both axes. Unknown sizes: square.
 */
export interface Fill {
  readonly x: number;
  readonly y: number;
}

export const SQUARE: Fill = { x: 1, y: 1 };

/** The fill of a picture of pw x ph placed on a canvas of cw x ch (X-Composite-Picture-Size). */
export function fillOf(cw: number, ch: number, pw: number, ph: number): Fill {
  if (!(cw > 0 && ch > 0 && pw > 0 && ph > 0)) return SQUARE;
  const s = Math.min(cw / pw, ch / ph);
  return { x: Math.min(1, (pw * s) / cw), y: Math.min(1, (ph * s) / ch) };
}

/*
 * The preview shows the whole canvas. The route scales the picture to fit times crop_zoom (z); on
 * an axis where it fills the fraction f of the canvas at zoom 1, its scaled size is f z canvases,
 * placed at offset crop_center x (f z - 1) when larger than the canvas, centred otherwise
 * (placement() in src/composite/canvas.ts). So the box fraction u shows the picture at
 * (o + u) / (f z), with o = c (f z - 1) for f z > 1 and -(1 - f z) / 2 otherwise.
 */
export function offsetOf(zoom: number, centre: number, fill = 1): number {
  const size = fill * zoom;
  return size > 1 ? centre * (size - 1) : -(1 - size) / 2;
}

/**
 * The crop centre after dragging by (du, dv) box fractions: the picture follows the pointer on
 * each axis where it is larger than the canvas. Null when it is not larger on either.
 */
export function panBy(view: View, du: number, dv: number, fill: Fill = SQUARE): Pick<View, 'centerX' | 'centerY'> | null {
  const spanX = fill.x * view.zoom - 1;
  const spanY = fill.y * view.zoom - 1;
  if (spanX <= 0 && spanY <= 0) return null;
  return {
    centerX: spanX > 0 ? round(clamp(view.centerX - du / spanX, 0, 1)) : view.centerX,
    centerY: spanY > 0 ? round(clamp(view.centerY - dv / spanY, 0, 1)) : view.centerY,
  };
}

/** The zoom and centre that fill the canvas with a box framed on the preview (box fractions); null for a click. */
export function cropTo(view: View, b: { x0: number; y0: number; x1: number; y1: number }, fill: Fill = SQUARE): Pick<View, 'zoom' | 'centerX' | 'centerY'> | null {
  const w = Math.abs(b.x1 - b.x0);
  const h = Math.abs(b.y1 - b.y0);
  if (Math.max(w, h) < 0.02) return null;
  const zoom = round(clamp(view.zoom / Math.max(w, h), 0.1, 5));
  // the box's centre as a fraction of the picture, then where it must sit to be the canvas centre
  const picture = (u: number, centre: number, f: number) => (offsetOf(view.zoom, centre, f) + u) / (f * view.zoom);
  const centre = (p: number, f: number) => {
    const size = f * zoom;
    return size > 1 ? round(clamp((p * size - 0.5) / (size - 1), 0, 1)) : 0.5;
  };
  return {
    zoom,
    centerX: centre(picture((b.x0 + b.x1) / 2, view.centerX, fill.x), fill.x),
    centerY: centre(picture((b.y0 + b.y1) / 2, view.centerY, fill.y), fill.y),
  };
}
