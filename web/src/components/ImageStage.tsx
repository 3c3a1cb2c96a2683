import { useCallback, useEffect, useRef, useState, type KeyboardEvent, type PointerEvent, type WheelEvent } from 'react';

export interface ImagePoint {
  /** 0-based FITS pixel coordinates of the original image (y up). */
  x: number;
  y: number;
}

export type RegionShape =
  | { kind: 'rectangle'; x0: number; y0: number; x1: number; y1: number }
  | { kind: 'ellipse'; cx: number; cy: number; rx: number; ry: number };

interface Props {
  src: string;
  /** Original image size in pixels (width, height). */
  originalWidth: number;
  originalHeight: number;
  regionMode: 'none' | 'rectangle' | 'ellipse';
  region: RegionShape | null;
  onHover: (p: ImagePoint | null) => void;
  onRegion: (r: RegionShape) => void;
  onLoad?: () => void;
}

/**
 * The preview with zoom (wheel, +/-), pan (drag, arrow keys), cursor tracking and region drawing.
 * The PNG has FITS row 1 at the bottom, so screen y grows down while FITS y grows up.
 */
export function ImageStage({ src, originalWidth, originalHeight, regionMode, region, onHover, onRegion, onLoad }: Props) {
  const stage = useRef<HTMLDivElement>(null);
  const [natural, setNatural] = useState<{ w: number; h: number } | null>(null);
  const [view, setView] = useState({ scale: 1, tx: 0, ty: 0 });
  const drag = useRef<{ kind: 'pan' | 'region'; sx: number; sy: number; tx: number; ty: number; start?: ImagePoint } | null>(null);

  const fit = useCallback(() => {
    const el = stage.current;
    if (!el || !natural) return;
    const s = Math.min(el.clientWidth / natural.w, el.clientHeight / natural.h);
    setView({ scale: s, tx: (el.clientWidth - natural.w * s) / 2, ty: (el.clientHeight - natural.h * s) / 2 });
  }, [natural]);

  useEffect(() => {
    fit();
  }, [fit]);

  const toImage = useCallback(
    (clientX: number, clientY: number): ImagePoint | null => {
      const el = stage.current;
      if (!el || !natural) return null;
      const rect = el.getBoundingClientRect();
      const u = (clientX - rect.left - view.tx) / view.scale; // preview pixels from the left
      const v = (clientY - rect.top - view.ty) / view.scale; // preview pixels from the top
      if (u < 0 || v < 0 || u > natural.w || v > natural.h) return null;
      return { x: (u / natural.w) * originalWidth - 0.5, y: ((natural.h - v) / natural.h) * originalHeight - 0.5 };
    },
    [natural, view, originalWidth, originalHeight],
  );

  const toScreen = useCallback(
    (p: ImagePoint): [number, number] => {
      if (!natural) return [0, 0];
      const u = ((p.x + 0.5) / originalWidth) * natural.w;
      const v = natural.h - ((p.y + 0.5) / originalHeight) * natural.h;
      return [view.tx + u * view.scale, view.ty + v * view.scale];
    },
    [natural, view, originalWidth, originalHeight],
  );

  function zoomAt(factor: number, cx: number, cy: number) {
    setView((v) => {
      const scale = Math.max(0.05, Math.min(64, v.scale * factor));
      const k = scale / v.scale;
      return { scale, tx: cx - (cx - v.tx) * k, ty: cy - (cy - v.ty) * k };
    });
  }

  function onWheel(e: WheelEvent<HTMLDivElement>) {
    const rect = e.currentTarget.getBoundingClientRect();
    zoomAt(e.deltaY < 0 ? 1.2 : 1 / 1.2, e.clientX - rect.left, e.clientY - rect.top);
  }

  function onPointerDown(e: PointerEvent<HTMLDivElement>) {
    e.currentTarget.setPointerCapture(e.pointerId);
    const start = toImage(e.clientX, e.clientY) ?? undefined;
    drag.current = { kind: regionMode === 'none' || !start ? 'pan' : 'region', sx: e.clientX, sy: e.clientY, tx: view.tx, ty: view.ty, start };
  }

  function onPointerMove(e: PointerEvent<HTMLDivElement>) {
    const p = toImage(e.clientX, e.clientY);
    onHover(p);
    const d = drag.current;
    if (!d) return;
    if (d.kind === 'pan') setView((v) => ({ ...v, tx: d.tx + e.clientX - d.sx, ty: d.ty + e.clientY - d.sy }));
    else if (d.start && p) onRegion(shapeFrom(regionMode, d.start, p));
  }

  function onPointerUp() {
    drag.current = null;
  }

  function onKeyDown(e: KeyboardEvent<HTMLDivElement>) {
    const el = stage.current;
    const cx = (el?.clientWidth ?? 0) / 2;
    const cy = (el?.clientHeight ?? 0) / 2;
    const step = 40;
    switch (e.key) {
      case '+': case '=': zoomAt(1.25, cx, cy); break;
      case '-': case '_': zoomAt(0.8, cx, cy); break;
      case '0': fit(); break;
      case 'ArrowLeft': setView((v) => ({ ...v, tx: v.tx + step })); break;
      case 'ArrowRight': setView((v) => ({ ...v, tx: v.tx - step })); break;
      case 'ArrowUp': setView((v) => ({ ...v, ty: v.ty + step })); break;
      case 'ArrowDown': setView((v) => ({ ...v, ty: v.ty - step })); break;
      default: return;
    }
    e.preventDefault();
  }

  let overlay = null;
  if (region && natural) {
    if (region.kind === 'rectangle') {
      const [ax, ay] = toScreen({ x: region.x0 - 0.5, y: region.y0 - 0.5 });
      const [bx, by] = toScreen({ x: region.x1 + 0.5, y: region.y1 + 0.5 });
      overlay = <rect x={Math.min(ax, bx)} y={Math.min(ay, by)} width={Math.abs(bx - ax)} height={Math.abs(by - ay)} fill="rgba(240,180,41,0.15)" stroke="#f0b429" strokeWidth={2} />;
    } else {
      const [cx, cy] = toScreen({ x: region.cx, y: region.cy });
      const [ex] = toScreen({ x: region.cx + region.rx, y: region.cy });
      const [, ey] = toScreen({ x: region.cx, y: region.cy + region.ry });
      overlay = <ellipse cx={cx} cy={cy} rx={Math.abs(ex - cx)} ry={Math.abs(ey - cy)} fill="rgba(240,180,41,0.15)" stroke="#f0b429" strokeWidth={2} />;
    }
  }

  return (
    <div>
      <div className="row" style={{ marginBottom: 6 }}>
        <button type="button" onClick={() => { const el = stage.current; zoomAt(1.25, (el?.clientWidth ?? 0) / 2, (el?.clientHeight ?? 0) / 2); }} aria-label="Zoom in">+</button>
        <button type="button" onClick={() => { const el = stage.current; zoomAt(0.8, (el?.clientWidth ?? 0) / 2, (el?.clientHeight ?? 0) / 2); }} aria-label="Zoom out">−</button>
        <button type="button" onClick={fit}>Fit</button>
        <span className="muted">Zoom {Math.round(view.scale * 100)}% · drag to {regionMode === 'none' ? 'pan' : `draw a ${regionMode}`} · arrows pan · +/− zoom</span>
      </div>
      <div
        ref={stage}
        className="viewer-stage"
        tabIndex={0}
        role="application"
        aria-label="Image viewer: arrow keys pan, plus and minus zoom, 0 fits"
        data-testid="viewer-stage"
        onWheel={onWheel}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerLeave={() => onHover(null)}
        onKeyDown={onKeyDown}
      >
        <img
          src={src}
          alt="FITS preview"
          data-testid="preview-image"
          draggable={false}
          style={{ transform: `translate(${view.tx}px, ${view.ty}px) scale(${view.scale})` }}
          onLoad={(e) => {
            const img = e.currentTarget;
            if (!natural || natural.w !== img.naturalWidth || natural.h !== img.naturalHeight) setNatural({ w: img.naturalWidth, h: img.naturalHeight });
            onLoad?.();
          }}
        />
        <svg aria-hidden="true">{overlay}</svg>
      </div>
    </div>
  );
}

function shapeFrom(mode: 'none' | 'rectangle' | 'ellipse', a: ImagePoint, b: ImagePoint): RegionShape {
  if (mode === 'ellipse') {
    return { kind: 'ellipse', cx: a.x, cy: a.y, rx: Math.max(0.5, Math.abs(b.x - a.x)), ry: Math.max(0.5, Math.abs(b.y - a.y)) };
  }
  return {
    kind: 'rectangle',
    x0: Math.round(Math.min(a.x, b.x)),
    y0: Math.round(Math.min(a.y, b.y)),
    x1: Math.round(Math.max(a.x, b.x)),
    y1: Math.round(Math.max(a.y, b.y)),
  };
}
