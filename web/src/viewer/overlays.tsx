/** SVG overlays of the viewer: the sky grid, a compass (N/E), a scale bar in arcseconds, and the overlay list (catalogues, regions, footprints). */
import { useMemo, useSyncExternalStore } from 'react';
import type { ToScreen } from '../components/TiledImage.js';
import type { Ds9Region } from './ds9-regions.js';
import { arcsecLabel, roundArcsec } from './display-math.js';
import type { ImageInfo, SkyGrid } from './types.js';

export function GridOverlay({ grid, toScreen, size }: { grid: SkyGrid; toScreen: ToScreen; size: { width: number; height: number } }) {
  return (
    <g data-testid="sky-grid">
      {grid.lines.map((line, i) => {
        const paths = line.segments.map((seg) => seg.map(([x, y], k) => {
          const [sx, sy] = toScreen({ x, y });
          return `${k ? 'L' : 'M'}${sx.toFixed(1)},${sy.toFixed(1)}`;
        }).join(''));
        // Label where the line first enters the view, kept inside the frame.
        let label: [number, number] | null = null;
        for (const seg of line.segments) {
          for (const [x, y] of seg) {
            const [sx, sy] = toScreen({ x, y });
            if (sx >= 4 && sy >= 12 && sx <= size.width - 60 && sy <= size.height - 4) {
              label = [sx, sy];
              break;
            }
          }
          if (label) break;
        }
        const colour = line.axis === 'lon' ? '#7ee787' : '#79c0ff';
        return (
          <g key={`${line.axis}-${i}`}>
            {paths.map((d, k) => <path key={k} d={d} fill="none" stroke={colour} strokeOpacity={0.7} strokeWidth={1} />)}
            {label && <text x={label[0] + 3} y={label[1] - 3} fill={colour} fontSize={11} style={{ paintOrder: 'stroke' }} stroke="#000" strokeWidth={3}>{line.label}</text>}
          </g>
        );
      })}
    </g>
  );
}

/** North and East arrows (from the WCS at the image centre) and a round-length scale bar. */
export function CompassAndScale({ info, scale, size }: { info: ImageInfo; scale: number; size: { width: number; height: number } }) {
  const o = info.orientation;
  if (!o) return null;
  const len = 36;
  const ox = 50;
  const oy = size.height - 50;
  // Pixel y is up, screen y is down.
  const n: [number, number] = [o.north[0] * len, -o.north[1] * len];
  const e: [number, number] = [o.east[0] * len, -o.east[1] * len];
  const arcsecPerScreenPx = Math.max(...o.pixel_scale_arcsec) / scale;
  const bar = roundArcsec(arcsecPerScreenPx * 100);
  const barPx = bar / arcsecPerScreenPx;
  return (
    <g data-testid="compass" fontSize={12}>
      <line x1={ox} y1={oy} x2={ox + n[0]} y2={oy + n[1]} stroke="#f0b429" strokeWidth={2} />
      <line x1={ox} y1={oy} x2={ox + e[0]} y2={oy + e[1]} stroke="#f0b429" strokeWidth={2} />
      <text x={ox + n[0] * 1.3} y={oy + n[1] * 1.3 + 4} fill="#f0b429" textAnchor="middle" stroke="#000" strokeWidth={3} style={{ paintOrder: 'stroke' }}>N</text>
      <text x={ox + e[0] * 1.3} y={oy + e[1] * 1.3 + 4} fill="#f0b429" textAnchor="middle" stroke="#000" strokeWidth={3} style={{ paintOrder: 'stroke' }}>E</text>
      <g data-testid="scale-bar">
        <line x1={size.width - 20 - barPx} y1={size.height - 20} x2={size.width - 20} y2={size.height - 20} stroke="#fff" strokeWidth={3} />
        <text x={size.width - 20 - barPx / 2} y={size.height - 28} fill="#fff" textAnchor="middle" stroke="#000" strokeWidth={3} style={{ paintOrder: 'stroke' }}>{arcsecLabel(bar)}</text>
      </g>
    </g>
  );
}

/**
 * Overlays drawn over the image: catalogue markers, DS9 regions, footprints of other files and
 * photometry apertures, all in 0-based native pixels of the image they belong to (`imageFile`).
 * The list is a small store outside React so any panel (the viewer's own, a table panel) can add
 * one: `addOverlay(...)`, or `overlayFromSky(...)`/`overlayFromPixels(...)` in overlay-sources.ts.
 */
export interface OverlayMarker {
  x: number;
  y: number;
  label?: string;
}

export interface OverlayOutline {
  points: Array<[number, number]>;
  closed: boolean;
  label?: string;
  exclude?: boolean;
}

export interface ViewerOverlay {
  id: string;
  /** The image (path relative to DATA_DIR) whose pixels the overlay is in. */
  imageFile: string;
  name: string;
  kind: 'catalogue' | 'regions' | 'footprint' | 'photometry';
  color: string;
  visible: boolean;
  markers: OverlayMarker[];
  outlines: OverlayOutline[];
  /** Marker radius in screen pixels (catalogues) or null to draw markers as native-size circles. */
  markerRadius?: number;
  /** The DS9 regions it was read from (kept for export). */
  regions?: Ds9Region[];
  /** Why some rows or regions were not drawn. */
  warnings?: string[];
  /** What the overlay was loaded from, when it can be loaded again (its name in the URL: overlay-url.ts). */
  source?: string;
}

let overlays: readonly ViewerOverlay[] = [];
const listeners = new Set<() => void>();
const emit = () => listeners.forEach((l) => l());
let nextId = 1;

export const OVERLAY_COLOURS = ['#39d353', '#ff7b72', '#d2a8ff', '#ffa657', '#79c0ff', '#f778ba'];

export function addOverlay(o: Omit<ViewerOverlay, 'id' | 'visible' | 'color'> & { color?: string; visible?: boolean }): string {
  const id = `overlay-${nextId++}`;
  overlays = [...overlays, { ...o, id, visible: o.visible ?? true, color: o.color ?? OVERLAY_COLOURS[(nextId - 2) % OVERLAY_COLOURS.length]! }];
  emit();
  return id;
}

export function updateOverlay(id: string, patch: Partial<Omit<ViewerOverlay, 'id'>>): void {
  overlays = overlays.map((o) => (o.id === id ? { ...o, ...patch } : o));
  emit();
}

export function removeOverlay(id: string): void {
  overlays = overlays.filter((o) => o.id !== id);
  emit();
}

export function listOverlays(): readonly ViewerOverlay[] {
  return overlays;
}

function subscribe(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

/** The overlays of one image, live. */
export function useOverlays(imageFile: string): ViewerOverlay[] {
  const all = useSyncExternalStore(subscribe, listOverlays);
  return useMemo(() => all.filter((o) => o.imageFile === imageFile), [all, imageFile]);
}

/** Every visible overlay: outlines as polylines, markers as circles with their labels. */
export function OverlayLayer({ overlays: list, toScreen, scale, size }: { overlays: readonly ViewerOverlay[]; toScreen: ToScreen; scale: number; size: { width: number; height: number } }) {
  return (
    <g data-testid="overlays">
      {list.filter((o) => o.visible).map((o) => (
        <g key={o.id} data-overlay={o.name} data-kind={o.kind} stroke={o.color} fill="none" strokeWidth={1.5}>
          {o.outlines.map((l, i) => {
            const d = l.points.map(([x, y], k) => {
              const [sx, sy] = toScreen({ x, y });
              return `${k ? 'L' : 'M'}${sx.toFixed(1)},${sy.toFixed(1)}`;
            }).join('') + (l.closed ? 'Z' : '');
            const [lx, ly] = l.label && l.points[0] ? toScreen({ x: l.points[0][0], y: l.points[0][1] }) : [0, 0];
            return (
              <g key={i} data-testid="overlay-outline">
                <path d={d} strokeDasharray={l.exclude ? '4 3' : undefined} data-points={l.points.map((p) => p.map((v) => +v.toFixed(4)).join(',')).join(' ')} />
                {l.label && <text x={lx + 3} y={ly - 3} fill={o.color} stroke="#000" strokeWidth={3} fontSize={11} style={{ paintOrder: 'stroke' }}>{l.label}</text>}
              </g>
            );
          })}
          {o.markers.map((m, i) => {
            const [sx, sy] = toScreen(m);
            if (sx < -20 || sy < -20 || sx > size.width + 20 || sy > size.height + 20) return null;
            const r = o.markerRadius ?? Math.max(4, 3 * scale);
            return <circle key={i} data-testid="overlay-marker" cx={sx} cy={sy} r={r} data-x={m.x} data-y={m.y}><title>{m.label ?? `${m.x.toFixed(2)}, ${m.y.toFixed(2)}`}</title></circle>;
          })}
        </g>
      ))}
    </g>
  );
}
