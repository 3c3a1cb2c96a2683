import { useCallback, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent, type PointerEvent, type ReactNode, type WheelEvent } from 'react';
import { GlRenderer, screenCentre, type Display, type View } from '../viewer/gl-renderer.js';
import { TileStore, type PlaneRef } from '../viewer/tiles.js';
import { noteTiming } from '../viewer/timing.js';

export interface ImagePoint {
  /** 0-based FITS pixel coordinates (x = column, y = row counted from FITS row 1; pixel centres are integers). */
  x: number;
  y: number;
}

export type RegionShape =
  | { kind: 'rectangle'; x0: number; y0: number; x1: number; y1: number }
  | { kind: 'ellipse'; cx: number; cy: number; rx: number; ry: number };

export type ToScreen = (p: ImagePoint) => [number, number];

interface Props {
  plane: PlaneRef | null;
  display: Display;
  view: View | null;
  onView: (v: View) => void;
  /** The point under the cursor (or finger), with the level-0 value there when its tile is loaded. */
  onHover: (p: ImagePoint | null, tileValue?: number) => void;
  onPick?: (p: ImagePoint) => void;
  regionMode: 'none' | 'rectangle' | 'ellipse';
  region: RegionShape | null;
  onRegion: (r: RegionShape) => void;
  /** SVG drawn over the image (grid, markers, compass), given the native -> screen mapping. */
  overlay?: (toScreen: ToScreen, size: { width: number; height: number }) => ReactNode;
  /** Draw nothing yet (e.g. until the colour limits are known), so a first frame is never misleading. */
  hold?: boolean;
  /** Gets the stage's live view, e.g. for a "store in URL" or the stage tools. */
  tools?: (api: { fit: () => void; native: () => void; size: { width: number; height: number } }) => ReactNode;
}

export const MIN_SCALE = 1 / 512;
/**
 * While a pan or zoom streams in (wheel, drag, pinch, arrow keys), the picture already drawn is
 * moved and scaled by a CSS transform (the compositor's work only, no shading), and WebGL draws
 * the view exactly once the gesture has paused for REST_MS or ended. On a software rasteriser a
 * composited WebGL frame alone costs more than a 60 Hz frame; a transformed layer does not.
 */
const REST_MS = 100;
export const MAX_SCALE = 64;

export function fitView(plane: { width: number; height: number }, cssWidth: number, cssHeight: number): View {
  const scale = Math.min(cssWidth / plane.width, cssHeight / plane.height) * 0.98;
  return { cx: (plane.width - 1) / 2, cy: (plane.height - 1) / 2, scale: Math.max(MIN_SCALE, Math.min(MAX_SCALE, scale)) };
}

/**
 * The full-resolution image: float tiles colour-mapped by WebGL2 (display changes redraw without a
 * request), zoom with the wheel, buttons, keys or a pinch, pan by dragging or with the arrow keys,
 * the native pixel under the cursor or finger reported, rectangles and ellipses drawn for
 * statistics. Screen y grows down while FITS y grows up.
 */
export function TiledImage({ plane, display, view, onView, onHover, onPick, regionMode, region, onRegion, overlay, tools, hold = false }: Props) {
  const stage = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const renderer = useRef<GlRenderer | null>(null);
  const store = useRef<TileStore | null>(null);
  // When the current plane's tile store started, until its first complete frame (for timing).
  const planeStart = useRef<number | null>(null);
  const [size, setSize] = useState({ width: 0, height: 0 });
  const [glError, setGlError] = useState<string | null>(null);
  const frame = useRef(0);
  // Until when the view counts as moving (the drawn picture moved by CSS), and the timer that draws
  // the view after it; what the canvas's pixels were drawn for.
  const movingUntil = useRef(0);
  const settleTimer = useRef(0);
  const drawn = useRef<{ view: View; display: Display; width: number; height: number } | null>(null);
  const latest = useRef({ view, display, size, hold });
  latest.current = { view, display, size, hold };
  const pointers = useRef(new Map<number, { x: number; y: number }>());
  const drag = useRef<{ kind: 'pan' | 'region' | 'pinch'; sx: number; sy: number; view: View; start?: ImagePoint; dist?: number; moved?: boolean } | null>(null);

  const draw = useCallback(() => {
    frame.current = 0;
    const r = renderer.current;
    const s = store.current;
    const { view: v, display: d, size: z, hold: h } = latest.current;
    const c = canvas.current;
    if (!r || !c || !v || z.width === 0) return;
    const was = drawn.current;
    if (performance.now() < movingUntil.current && was && !h && was.display === d && was.width === z.width && was.height === z.height) {
      // The native point at screen p under the drawn view is at m + (p - m) * k + t under v.
      const k = v.scale / was.view.scale;
      const [mx, my] = screenCentre(z.width, z.height);
      c.style.transformOrigin = `${mx}px ${my}px`;
      c.style.transform = `translate(${(was.view.cx - v.cx) * v.scale}px, ${(v.cy - was.view.cy) * v.scale}px) scale(${k})`;
      c.dataset.ready = 'false';
      window.clearTimeout(settleTimer.current);
      settleTimer.current = window.setTimeout(() => {
        if (!frame.current) frame.current = requestAnimationFrame(draw);
      }, movingUntil.current - performance.now() + 1);
      return;
    }
    if (c.width !== z.width || c.height !== z.height) {
      c.width = z.width;
      c.height = z.height;
    }
    c.style.transform = '';
    drawn.current = { view: v, display: d, width: z.width, height: z.height };
    if (!s) {
      c.dataset.ready = 'false';
      r.draw([], v, d, z.width, z.height);
      return;
    }
    // While held, the tiles are still asked for: they are there when drawing starts.
    const t0 = performance.now();
    const { tiles, complete, level } = s.tilesFor(v, z.width, z.height);
    r.draw(h ? [] : tiles, v, d, z.width, z.height);
    noteTiming('draw', t0, `level ${level}, ${tiles.length} tiles`);
    (window as unknown as { __viewerMemory?: unknown }).__viewerMemory = s.memory();
    if (complete && !h && planeStart.current !== null) {
      noteTiming('first-complete-frame', planeStart.current, `level ${level}`);
      planeStart.current = null;
    }
    c.dataset.ready = String(complete && !h);
    c.dataset.level = String(level);
  }, []);

  const schedule = useCallback(() => {
    if (!frame.current) frame.current = requestAnimationFrame(draw);
  }, [draw]);

  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    try {
      renderer.current = GlRenderer.create(c);
      if (!renderer.current) setGlError('This browser has no WebGL2: the image cannot be shown.');
    } catch (err) {
      setGlError(String(err));
    }
    const el = stage.current!;
    const ro = new ResizeObserver(() => {
      const width = el.clientWidth;
      const height = el.clientHeight;
      // The drawing buffer is sized by draw(): the canvas's CSS size, not device pixels (native
      // pixels map to CSS pixels anyway, 100 % = one CSS pixel each, and on a 2x or 3x screen
      // device pixels would be 4-9 times the fragments to shade; the canvas is scaled pixelated).
      setSize({ width, height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      if (frame.current) cancelAnimationFrame(frame.current);
      window.clearTimeout(settleTimer.current);
    };
  }, []);

  const planeKey = plane ? `${plane.filePath}|${plane.hdu}|${plane.slice}|${plane.width}x${plane.height}` : '';
  useEffect(() => {
    const r = renderer.current;
    if (!r || !plane) return;
    const s = new TileStore(r, plane, schedule);
    store.current = s;
    drawn.current = null; // another plane: never moved by CSS, drawn
    planeStart.current = performance.now();
    if (canvas.current) {
      canvas.current.dataset.ready = 'false';
      // Which plane "ready" is about (tests and tools wait for a given slice to be drawn).
      canvas.current.dataset.slice = String(plane.slice);
    }
    schedule();
    return () => {
      s.close();
      if (store.current === s) store.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [planeKey, schedule]);

  useEffect(() => {
    if (plane && !view && size.width > 0) onView(fitView(plane, size.width, size.height));
  }, [plane, view, size, onView]);

  // Before the browser's next frame (a layout effect runs in the same task as the change), so the
  // redraw lands in that frame rather than the one after.
  useLayoutEffect(schedule, [view, display, size, hold, schedule]);
  const moving = () => {
    movingUntil.current = performance.now() + REST_MS;
  };

  const toImage = useCallback((clientX: number, clientY: number): ImagePoint | null => {
    const el = canvas.current;
    if (!el || !view) return null;
    const rect = el.getBoundingClientRect(); // the canvas, inside the stage's border
    const [mx, my] = screenCentre(size.width, size.height);
    return { x: view.cx + (clientX - rect.left - mx) / view.scale, y: view.cy - (clientY - rect.top - my) / view.scale };
  }, [view, size]);

  const toScreen = useCallback<ToScreen>((p) => {
    if (!view) return [0, 0];
    const [mx, my] = screenCentre(size.width, size.height);
    return [mx + (p.x - view.cx) * view.scale, my - (p.y - view.cy) * view.scale];
  }, [view, size]);

  const zoomAt = useCallback((factor: number, sx: number, sy: number, from?: View) => {
    const v = from ?? latest.current.view;
    if (!v) return;
    const scale = Math.max(MIN_SCALE, Math.min(MAX_SCALE, v.scale * factor));
    // Keep the native point under (sx, sy) where it is.
    const [mx, my] = screenCentre(size.width, size.height);
    const px = v.cx + (sx - mx) / v.scale;
    const py = v.cy - (sy - my) / v.scale;
    onView({ scale, cx: px - (sx - mx) / scale, cy: py + (sy - my) / scale });
  }, [onView, size]);

  const report = (p: ImagePoint | null) => onHover(p, p && store.current ? store.current.valueAt(Math.round(p.x), Math.round(p.y)) : undefined);

  const inside = (p: ImagePoint | null) => !!p && !!plane && p.x > -0.5 && p.y > -0.5 && p.x < plane.width - 0.5 && p.y < plane.height - 0.5;

  function onWheel(e: WheelEvent<HTMLDivElement>) {
    moving();
    const rect = canvas.current!.getBoundingClientRect();
    zoomAt(e.deltaY < 0 ? 1.25 : 1 / 1.25, e.clientX - rect.left, e.clientY - rect.top);
  }

  function onPointerDown(e: PointerEvent<HTMLDivElement>) {
    e.currentTarget.setPointerCapture(e.pointerId);
    pointers.current.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (!view) return;
    if (pointers.current.size === 2) {
      const [a, b] = [...pointers.current.values()];
      drag.current = { kind: 'pinch', sx: (a!.x + b!.x) / 2, sy: (a!.y + b!.y) / 2, view, dist: Math.hypot(a!.x - b!.x, a!.y - b!.y) };
      return;
    }
    const start = toImage(e.clientX, e.clientY);
    drag.current = { kind: regionMode === 'none' || !inside(start) ? 'pan' : 'region', sx: e.clientX, sy: e.clientY, view, start: start ?? undefined };
    // A tap (touch has no hover) reads out the pixel under the finger.
    if (inside(start)) report(start);
  }

  function onPointerMove(e: PointerEvent<HTMLDivElement>) {
    if (pointers.current.has(e.pointerId)) pointers.current.set(e.pointerId, { x: e.clientX, y: e.clientY });
    const d = drag.current;
    if (d?.kind === 'pinch' && pointers.current.size === 2) {
      const [a, b] = [...pointers.current.values()];
      const rect = canvas.current!.getBoundingClientRect();
      moving();
      zoomAt(Math.hypot(a!.x - b!.x, a!.y - b!.y) / (d.dist || 1), d.sx - rect.left, d.sy - rect.top, d.view);
      return;
    }
    const p = toImage(e.clientX, e.clientY);
    if (!d || d.kind === 'region' || e.pointerType === 'mouse') report(inside(p) ? p : null);
    if (!d) return;
    if (Math.hypot(e.clientX - d.sx, e.clientY - d.sy) > 3) d.moved = true;
    if (d.kind === 'pan') moving();
    if (d.kind === 'pan') onView({ ...d.view, cx: d.view.cx - (e.clientX - d.sx) / d.view.scale, cy: d.view.cy + (e.clientY - d.sy) / d.view.scale });
    else if (d.kind === 'region' && d.start && p) onRegion(shapeFrom(regionMode, d.start, p));
  }

  function onPointerUp(e: PointerEvent<HTMLDivElement>) {
    pointers.current.delete(e.pointerId);
    const d = drag.current;
    // The gesture ended: draw the view now rather than after the rest.
    if (d && d.kind !== 'region' && movingUntil.current > performance.now()) {
      movingUntil.current = 0;
      schedule();
    }
    if (d && !d.moved && d.kind === 'pan' && d.start && inside(d.start)) onPick?.(d.start);
    drag.current = null;
  }

  function onKeyDown(e: KeyboardEvent<HTMLDivElement>) {
    if (!view) return;
    const step = 40 / view.scale;
    switch (e.key) {
      case '+': case '=': zoomAt(1.25, size.width / 2, size.height / 2); break;
      case '-': case '_': zoomAt(0.8, size.width / 2, size.height / 2); break;
      case '0': fit(); break;
      case '1': onView({ ...view, scale: 1 }); break;
      case 'ArrowLeft': moving(); onView({ ...view, cx: view.cx - step }); break;
      case 'ArrowRight': moving(); onView({ ...view, cx: view.cx + step }); break;
      case 'ArrowUp': moving(); onView({ ...view, cy: view.cy + step }); break;
      case 'ArrowDown': moving(); onView({ ...view, cy: view.cy - step }); break;
      default: return;
    }
    e.preventDefault();
  }

  const fit = () => plane && onView(fitView(plane, size.width, size.height));
  const native = () => view && onView({ ...view, scale: 1 });

  let regionSvg = null;
  if (region && view) {
    if (region.kind === 'rectangle') {
      const [ax, ay] = toScreen({ x: region.x0 - 0.5, y: region.y0 - 0.5 });
      const [bx, by] = toScreen({ x: region.x1 + 0.5, y: region.y1 + 0.5 });
      regionSvg = <rect x={Math.min(ax, bx)} y={Math.min(ay, by)} width={Math.abs(bx - ax)} height={Math.abs(by - ay)} fill="rgba(240,180,41,0.15)" stroke="#f0b429" strokeWidth={2} />;
    } else {
      const [cx, cy] = toScreen({ x: region.cx, y: region.cy });
      regionSvg = <ellipse cx={cx} cy={cy} rx={region.rx * view.scale} ry={region.ry * view.scale} fill="rgba(240,180,41,0.15)" stroke="#f0b429" strokeWidth={2} />;
    }
  }

  const percent = view ? view.scale * 100 : 0;
  return (
    <div>
      <div className="row" style={{ marginBottom: 6 }}>
        <button type="button" onClick={() => zoomAt(1.25, size.width / 2, size.height / 2)} aria-label="Zoom in">+</button>
        <button type="button" onClick={() => zoomAt(0.8, size.width / 2, size.height / 2)} aria-label="Zoom out">−</button>
        <button type="button" onClick={fit}>Fit</button>
        <button type="button" onClick={native} aria-label="Zoom to native pixels (100 %)">1:1</button>
        <span className="muted" data-testid="zoom-level">Zoom {percent >= 10 ? Math.round(percent) : percent.toFixed(1)}% of native pixels</span>
        {tools?.({ fit, native, size })}
      </div>
      <div
        ref={stage}
        className="viewer-stage"
        tabIndex={0}
        role="application"
        aria-label="Image viewer: arrow keys pan, plus and minus zoom, 0 fits, 1 shows native pixels"
        data-testid="viewer-stage"
        onWheel={onWheel}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
        onPointerLeave={(e) => e.pointerType === 'mouse' && onHover(null)}
        onKeyDown={onKeyDown}
      >
        <canvas ref={canvas} data-testid="tile-canvas" style={{ width: '100%', height: '100%', display: 'block', imageRendering: 'pixelated' }} />
        <svg aria-hidden="true">
          {view && overlay?.(toScreen, size)}
          {regionSvg}
        </svg>
        {glError && <p className="error" role="alert" style={{ position: 'absolute', top: 8, left: 8 }}>{glError}</p>}
      </div>
    </div>
  );
}

function shapeFrom(mode: 'none' | 'rectangle' | 'ellipse', a: ImagePoint, b: ImagePoint): RegionShape {
  if (mode === 'ellipse') {
    return { kind: 'ellipse', cx: a.x, cy: a.y, rx: Math.max(0.5, Math.abs(b.x - a.x)), ry: Math.max(0.5, Math.abs(b.y - a.y)) };
  }
  return { kind: 'rectangle', x0: Math.round(Math.min(a.x, b.x)), y0: Math.round(Math.min(a.y, b.y)), x1: Math.round(Math.max(a.x, b.x)), y1: Math.round(Math.max(a.y, b.y)) };
}
