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

/*
 * The preview shows the whole canvas. The route places the picture, scaled to fit times
 * crop_zoom (z), at offset crop_center x (scaled size - canvas) when it is larger (placement() in
 * src/composite/canvas.ts), centred otherwise. With the picture filling the square canvas at
 * zoom 1, the box fraction u shows the picture at (o + u) / z, where o = c (z - 1) for z > 1 and
 * -(1 - z) / 2 otherwise. (A picture that is not square fills one axis only; on the other the pan
 * moves it less than the pointer.)
 */
export function offsetOf(zoom: number, centre: number): number {
  return zoom > 1 ? centre * (zoom - 1) : -(1 - zoom) / 2;
}

/** The crop centre after dragging by (du, dv) box fractions: the picture follows the pointer. Null when nothing can pan (zoom <= 1). */
export function panBy(view: View, du: number, dv: number): Pick<View, 'centerX' | 'centerY'> | null {
  if (view.zoom <= 1) return null;
  const span = view.zoom - 1;
  return { centerX: round(clamp(view.centerX - du / span, 0, 1)), centerY: round(clamp(view.centerY - dv / span, 0, 1)) };
}

/** The zoom and centre that fill the canvas with a box framed on the preview (box fractions); null for a click. */
export function cropTo(view: View, b: { x0: number; y0: number; x1: number; y1: number }): Pick<View, 'zoom' | 'centerX' | 'centerY'> | null {
  const w = Math.abs(b.x1 - b.x0);
  const h = Math.abs(b.y1 - b.y0);
  if (Math.max(w, h) < 0.02) return null;
  const zoom = round(clamp(view.zoom / Math.max(w, h), 0.1, 5));
  // the box's centre as a fraction of the picture, then where it must sit to be the canvas centre
  const px = (offsetOf(view.zoom, view.centerX) + (b.x0 + b.x1) / 2) / view.zoom;
  const py = (offsetOf(view.zoom, view.centerY) + (b.y0 + b.y1) / 2) / view.zoom;
  const centre = (p: number) => (zoom > 1 ? round(clamp((p * zoom - 0.5) / (zoom - 1), 0, 1)) : 0.5);
  return { zoom, centerX: centre(px), centerY: centre(py) };
}

