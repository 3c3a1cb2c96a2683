/**
 * The viewer's state in the URL (`#/viewer?file=...&hdu=1&slice=3&stretch=asinh&cmap=inferno&lo=
 * &hi=&gamma=&zoom=&cx=&cy=&grid=1&ov=...`), so a reload, Back/Forward or a shared link shows the same
 * view with the same overlays (`ov`, once per overlay: overlay-url.ts). Continuous changes (pan,
 * zoom, limits) replace the history entry; choosing another HDU or adding or removing an overlay
 * adds one.
 */
import { GPU_STRETCHES, type GpuStretch } from './gl-renderer.js';
import { LIMIT_PRESETS, type LimitPreset } from './display-math.js';
import { parseOverlaySpec } from './overlay-url.js';

export interface ViewerUrlState {
  file: string;
  hdu?: number;
  slice?: number;
  stretch: GpuStretch;
  cmap: string;
  preset: LimitPreset | 'manual';
  lo?: number;
  hi?: number;
  gamma: number;
  asinhA: number;
  zoom?: number;
  cx?: number;
  cy?: number;
  grid: boolean;
  /** Overlay specs (overlay-url.ts), in the order they were added. */
  overlays: string[];
}

const num = (p: URLSearchParams, k: string): number | undefined => {
  const v = p.get(k);
  if (v === null || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
};

export function readViewerState(p: URLSearchParams): ViewerUrlState {
  const stretch = p.get('stretch') as GpuStretch | null;
  const preset = p.get('limits');
  const lo = num(p, 'lo');
  const hi = num(p, 'hi');
  return {
    file: p.get('file') ?? '',
    hdu: num(p, 'hdu'),
    slice: num(p, 'slice'),
    stretch: stretch && (GPU_STRETCHES as readonly string[]).includes(stretch) ? stretch : 'linear',
    cmap: p.get('cmap') || 'grayscale',
    preset: lo !== undefined && hi !== undefined ? 'manual' : preset && (LIMIT_PRESETS as readonly string[]).includes(preset) ? (preset as LimitPreset) : 'zscale',
    lo,
    hi,
    gamma: num(p, 'gamma') ?? 1,
    asinhA: num(p, 'a') ?? 0.1,
    zoom: num(p, 'zoom'),
    cx: num(p, 'cx'),
    cy: num(p, 'cy'),
    grid: p.get('grid') !== '0',
    overlays: p.getAll('ov').filter((o) => parseOverlaySpec(o) !== null),
  };
}

const round = (v: number, digits: number) => String(+v.toPrecision(digits));

export function viewerHash(s: ViewerUrlState): string {
  const q = new URLSearchParams();
  q.set('file', s.file);
  if (s.hdu !== undefined) q.set('hdu', String(s.hdu));
  if (s.slice !== undefined) q.set('slice', String(s.slice));
  if (s.stretch !== 'linear') q.set('stretch', s.stretch);
  if (s.cmap !== 'grayscale') q.set('cmap', s.cmap);
  if (s.preset === 'manual' && s.lo !== undefined && s.hi !== undefined) {
    q.set('lo', round(s.lo, 8));
    q.set('hi', round(s.hi, 8));
  } else if (s.preset !== 'zscale') q.set('limits', s.preset);
  if (s.gamma !== 1) q.set('gamma', round(s.gamma, 4));
  if (s.asinhA !== 0.1) q.set('a', round(s.asinhA, 4));
  if (s.zoom !== undefined) q.set('zoom', round(s.zoom, 5));
  if (s.cx !== undefined) q.set('cx', s.cx.toFixed(2));
  if (s.cy !== undefined) q.set('cy', s.cy.toFixed(2));
  if (!s.grid) q.set('grid', '0');
  for (const o of s.overlays) q.append('ov', o);
  return `#/viewer?${q.toString()}`;
}

/** Writes the state to the address bar: a new history entry when `push`, else in place. */
export function writeViewerState(s: ViewerUrlState, push = false): void {
  const hash = viewerHash(s);
  if (window.location.hash === hash) return;
  if (push) window.history.pushState(null, '', hash);
  else window.history.replaceState(null, '', hash);
}
