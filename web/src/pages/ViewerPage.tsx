import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type uPlot from 'uplot';
import { getJson, postJson, query, ApiError } from '../api/client.js';
import type { HduInfo, RegionStats } from '../api/types.js';
import { TiledImage, type ImagePoint, type RegionShape } from '../components/TiledImage.js';
import { UPlotChart } from '../components/UPlotChart.js';
import { formatDec, formatRa } from '../format-sky.js';
import type { Route } from '../router.js';
import { fmt } from '../util.js';
import { GPU_STRETCHES, type Display, type GpuStretch, type View } from '../viewer/gl-renderer.js';
import type { PlaneRef } from '../viewer/tiles.js';
import { LIMIT_PRESETS, dqBits, presetLabel, presetLimits, type LimitPreset } from '../viewer/display-math.js';
import { readViewerState, writeViewerState, type ViewerUrlState } from '../viewer/url-state.js';
import { CompassAndScale, GridOverlay, OverlayLayer, addOverlay, listOverlays, removeOverlay, updateOverlay, useOverlays } from '../viewer/overlays.js';
import { formatOverlaySpec, loadOverlaySource, parseOverlaySpec } from '../viewer/overlay-url.js';
import { OverlayPanel } from '../viewer/OverlayPanel.js';
import { PhotometryResult, ToolsPanel, type PhotometrySettings } from '../viewer/ToolsPanel.js';
import { circleOutline, photometryAt, type PhotometryRow } from '../viewer/overlay-sources.js';
import { Colorbar } from '../viewer/Colorbar.js';
import { DataHistogram } from '../viewer/DataHistogram.js';
import type { ImageInfo, PixelValues, PlaneStats, SkyGrid } from '../viewer/types.js';
import { TablePanel } from './viewer/TablePanel.js';
import { HeaderPanel } from './viewer/HeaderPanel.js';

const CMAPS = ['grayscale', 'inferno', 'magma', 'viridis', 'plasma', 'hot', 'cool', 'rainbow', 'jet', 'cividis', 'turbo', 'cubehelix', 'coolwarm', 'gist_heat'];
/** How long the address waits for the last of a run of display changes (see `update`). */
const URL_WRITE_MS = 200;
const GREY = Array.from({ length: 256 }, (_, i) => `#${i.toString(16).padStart(2, '0').repeat(3)}`);

interface Readout {
  x: number;
  y: number;
  value?: number | null;
  world?: [number, number] | null;
}

/** Waits until a value has stopped changing for `ms` before passing it on. */
function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

export function ViewerPage({ route }: { route: Route }) {
  const [state, setState] = useState<ViewerUrlState>(() => readViewerState(route.params));
  const [view, setView] = useState<View | null>(() => viewFromState(readViewerState(route.params)));
  // A state change whose address is not written yet (see `update`).
  const pendingUrl = useRef<{ state: ViewerUrlState; timer: number } | null>(null);
  // Back/Forward (or an edited address) brings another state: take it whole.
  useEffect(() => {
    // A write still pending belongs to the state left behind.
    if (pendingUrl.current) window.clearTimeout(pendingUrl.current.timer);
    pendingUrl.current = null;
    const s = readViewerState(route.params);
    setState(s);
    setView(viewFromState(s));
  }, [route]);
  const filePath = state.file;
  const [hdus, setHdus] = useState<HduInfo[] | null>(null);
  const [info, setInfo] = useState<ImageInfo | null>(null);
  const [stats, setStats] = useState<PlaneStats | null>(null);
  const [colormaps, setColormaps] = useState<Record<string, string[]>>({});
  const [grid, setGrid] = useState<SkyGrid | null>(null);
  const [hover, setHover] = useState<{ p: ImagePoint; tileValue?: number } | null>(null);
  const [readout, setReadout] = useState<Readout | null>(null);
  const [regionMode, setRegionMode] = useState<'none' | 'rectangle' | 'ellipse'>('none');
  const [region, setRegion] = useState<RegionShape | null>(null);
  const [regionStats, setRegionStats] = useState<RegionStats | null>(null);
  const [spectrum, setSpectrum] = useState<CubeSpectrumView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tab, setTab] = useState<'histogram' | 'header' | 'table' | 'region' | 'spectrum' | 'photometry'>('histogram');
  const overlays = useOverlays(filePath);
  const [photometry, setPhotometry] = useState<PhotometrySettings>({ on: false, r: 5, rIn: 8, rOut: 12 });
  const [photRow, setPhotRow] = useState<PhotometryRow | null>(null);
  const [stageSize, setStageSize] = useState({ width: 800, height: 600 });

  // The address is written URL_WRITE_MS after the last change, at the end of a pointer gesture, or
  // at once for a new history entry: each write costs the browser ~11 ms of CPU, which would land
  // in the frame of every stretch or slider change.
  const flushUrl = useCallback(() => {
    const p = pendingUrl.current;
    if (!p) return;
    window.clearTimeout(p.timer);
    pendingUrl.current = null;
    writeViewerState(p.state);
  }, []);
  const update = useCallback((patch: Partial<ViewerUrlState>, push = false) => {
    setState((s) => {
      const next = { ...s, ...patch };
      if (pendingUrl.current) window.clearTimeout(pendingUrl.current.timer);
      pendingUrl.current = null;
      if (push) writeViewerState(next, true);
      else pendingUrl.current = { state: next, timer: window.setTimeout(flushUrl, URL_WRITE_MS) };
      return next;
    });
  }, [flushUrl]);
  useEffect(() => {
    window.addEventListener('pointerup', flushUrl);
    window.addEventListener('pagehide', flushUrl);
    return () => {
      window.removeEventListener('pointerup', flushUrl);
      window.removeEventListener('pagehide', flushUrl);
      // Not flushed: the address is already another page's.
      if (pendingUrl.current) window.clearTimeout(pendingUrl.current.timer);
      pendingUrl.current = null;
    };
  }, [flushUrl]);

  // The view goes to the URL once it rests (pan and zoom fire many times a second).
  const restingView = useDebounced(view, 250);
  useEffect(() => {
    if (restingView) update({ zoom: restingView.scale, cx: restingView.cx, cy: restingView.cy });
  }, [restingView, update]);

  useEffect(() => {
    getJson<{ colormaps: Array<{ name: string; colors: string[] }> }>('/colormaps?colors=true')
      .then((r) => setColormaps(Object.fromEntries(r.colormaps.map((c) => [c.name, c.colors]))))
      .catch(() => undefined);
  }, []);

  useEffect(() => {
    if (!filePath) return;
    setError(null);
    setHdus(null);
    // An ECSV catalogue (`_cat.ecsv`) is one table and no FITS: the table routes read it as table 0.
    if (/\.ecsv$/i.test(filePath)) {
      setHdus([{ index: 0, name: 'ECSV table', type: 'table (ECSV)' }]);
      return;
    }
    getJson<{ hdus: HduInfo[] }>(`/fits/info${query({ file_path: filePath })}`).then(
      (r) => setHdus(r.hdus),
      (err) => setError(err instanceof ApiError ? err.detail : String(err)),
    );
  }, [filePath]);

  // A file without an image (an x1d spectrum, a catalogue) opens on its tables instead.
  const hasImage = hdus !== null && hdus.some((h) => /image/.test(h.type) && (h.dimensions?.length ?? 0) >= 2 && (h.dimensions ?? []).every((n) => n > 0));
  useEffect(() => {
    if (hdus && !hasImage) setTab('table');
  }, [hdus, hasImage]);

  const planeQuery = useMemo(() => ({ file_path: filePath, hdu: state.hdu, slice_index: state.slice ?? -1 }), [filePath, state.hdu, state.slice]);
  // The image's layout and statistics are asked for at once, beside /fits/info rather than after
  // it (one round trip less before the first tiles); for a file without an image the answer is
  // an error that is shown only if the HDU list says there is an image.
  const [infoError, setInfoError] = useState<string | null>(null);
  useEffect(() => setInfo(null), [filePath]);
  useEffect(() => {
    if (!filePath || /\.ecsv$/i.test(filePath)) return;
    const abort = new AbortController();
    setRegion(null);
    setRegionStats(null);
    setInfoError(null);
    setStats(null);
    getJson<ImageInfo>(`/viewer/image${query(planeQuery)}`, abort.signal)
      .then((i) => !abort.signal.aborted && setInfo(i))
      .catch((err) => !abort.signal.aborted && setInfoError(err instanceof ApiError ? err.detail : String(err)));
    // Requests of a file or plane left behind are cancelled (the engine stops their work), so
    // they do not hold the worker pool while the next one is wanted.
    return () => abort.abort();
  }, [filePath, planeQuery]);
  useEffect(() => {
    if (hasImage && infoError) setError(infoError);
  }, [hasImage, infoError]);

  const plane = useMemo<PlaneRef | null>(() => info && {
    filePath,
    hdu: info.hdu.index,
    slice: info.hdu.current_slice,
    width: info.hdu.width,
    height: info.hdu.height,
    levels: info.levels,
    tileSize: info.tile_size,
  }, [info, filePath]);

  // Until the plane's statistics arrive (a full pass over the data), the first frame uses the
  // 0.5-99.5 % values of the coarsest tile (the tile store asks for the same tile: one pass gives
  // it and the tiles of the fitted view). The statistics are asked for once that tile is here, so
  // their pass never competes with the first view's for the engine's worker pool.
  const [provisional, setProvisional] = useState<[number, number] | null>(null);
  const planeQueryKey = JSON.stringify(planeQuery);
  const [statsGate, setStatsGate] = useState<string | null>(null);
  useEffect(() => {
    setProvisional(null);
    if (!plane) return;
    const abort = new AbortController();
    const q = { file_path: plane.filePath, hdu: plane.hdu, slice_index: plane.slice, level: plane.levels - 1, x: 0, y: 0 };
    fetch(`/viewer/tile${query(q)}`, { signal: abort.signal })
      .then((r) => (r.ok ? r.arrayBuffer() : Promise.reject(new Error(String(r.status)))))
      .then((buf) => {
        const v = Float32Array.from(new Float32Array(buf).filter((x) => Number.isFinite(x))).sort();
        if (v.length && !abort.signal.aborted) setProvisional([v[Math.floor(v.length * 0.005)]!, v[Math.min(v.length - 1, Math.floor(v.length * 0.995))]!]);
      })
      .catch(() => undefined)
      .finally(() => !abort.signal.aborted && setStatsGate(planeQueryKey));
    return () => abort.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [plane]);
  useEffect(() => {
    if (!filePath || statsGate !== planeQueryKey) return;
    const abort = new AbortController();
    getJson<PlaneStats>(`/viewer/stats${query({ ...planeQuery, bins: 200 })}`, abort.signal)
      .then((s) => !abort.signal.aborted && setStats(s))
      .catch(() => !abort.signal.aborted && setStats(null));
    return () => abort.abort();
  }, [filePath, planeQuery, planeQueryKey, statsGate]);

  const limits = useMemo<[number, number] | null>(() => {
    if (state.preset === 'manual' && state.lo !== undefined && state.hi !== undefined) return [state.lo, state.hi];
    return stats ? presetLimits(state.preset === 'manual' ? 'zscale' : state.preset, stats) : provisional;
  }, [state.preset, state.lo, state.hi, stats, provisional]);

  const display = useMemo<Display>(() => ({
    vmin: limits?.[0] ?? 0,
    vmax: limits?.[1] ?? 1,
    stretch: state.stretch,
    gamma: state.gamma,
    asinhA: state.asinhA,
    colors: colormaps[state.cmap] ?? GREY,
    flags: info?.hdu.bit_flags ?? false,
  }), [limits, state.stretch, state.gamma, state.asinhA, state.cmap, colormaps, info]);

  // Overlays named in the URL (reload, Back/Forward, a shared link): those missing are loaded
  // again, those no longer named are removed, and each is shown or hidden as the URL says.
  const overlaysKey = state.overlays.join('\n');
  const wanted = useRef({ filePath, overlays: state.overlays });
  wanted.current = { filePath, overlays: state.overlays };
  const loadingOverlays = useRef(new Set<string>());
  const frame = info?.frame ?? null;
  const haveInfo = info !== null;
  useEffect(() => {
    if (!filePath || !haveInfo) return;
    const specs = state.overlays.map(parseOverlaySpec).filter((x) => x !== null);
    const want = new Map(specs.map((x) => [x.source, x.visible]));
    const mine = () => listOverlays().filter((o) => o.imageFile === filePath && o.source !== undefined);
    for (const o of mine()) {
      const visible = want.get(o.source!);
      if (visible === undefined) removeOverlay(o.id);
      else if (visible !== o.visible) updateOverlay(o.id, { visible });
    }
    for (const source of want.keys()) {
      const key = `${filePath}\0${source}`;
      if (mine().some((o) => o.source === source) || loadingOverlays.current.has(key)) continue;
      loadingOverlays.current.add(key);
      loadOverlaySource(filePath, source, frame)
        .then((fields) => {
          // Still named by the URL (the user may have gone Back meanwhile), and not added by the panel.
          const now = wanted.current.filePath === filePath ? wanted.current.overlays.map(parseOverlaySpec).find((x) => x?.source === source) : undefined;
          if (now && !mine().some((o) => o.source === source)) addOverlay({ ...fields, source, visible: now.visible });
        })
        .catch((err) => setError(`Overlay ${source}: ${err instanceof ApiError ? err.detail : err instanceof Error ? err.message : String(err)}`))
        .finally(() => loadingOverlays.current.delete(key));
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [filePath, overlaysKey, haveInfo, frame]);

  /** After the overlay panel changed the overlays: their names to the URL (a new history entry unless only shown or hidden). */
  const onOverlaysChanged = useCallback((what: 'added' | 'removed' | 'shown') => {
    const specs = listOverlays()
      .filter((o) => o.imageFile === filePath && o.source !== undefined)
      .map((o) => formatOverlaySpec({ source: o.source!, visible: o.visible }));
    update({ overlays: specs }, what !== 'shown');
  }, [filePath, update]);

  // Grid lines for the part of the image in view (rounded so small pans reuse an answer).
  const gridView = useDebounced(view, 300);
  useEffect(() => {
    if (!info?.orientation || !state.grid || !gridView) {
      setGrid(null);
      return;
    }
    // Asked for once the plane's coarsest tile is in, as the statistics are: its worker-pool task
    // would otherwise take the engine's other core while the first view's tile pass runs.
    if (statsGate !== planeQueryKey) return;
    const abort = new AbortController();
    const el = document.querySelector('[data-testid=viewer-stage]');
    const hw = (el?.clientWidth ?? 800) / 2 / gridView.scale;
    const hh = (el?.clientHeight ?? 600) / 2 / gridView.scale;
    const q = (v: number) => Math.round(v);
    const x0 = Math.max(-0.5, q(gridView.cx - hw));
    const x1 = Math.min(info.hdu.width - 0.5, q(gridView.cx + hw));
    const y0 = Math.max(-0.5, q(gridView.cy - hh));
    const y1 = Math.min(info.hdu.height - 0.5, q(gridView.cy + hh));
    if (!(x1 > x0 && y1 > y0)) return;
    getJson<SkyGrid>(`/viewer/grid${query({ file_path: filePath, hdu: info.hdu.index, x0, y0, x1, y1, lines: 5 })}`, abort.signal)
      .then((g) => !abort.signal.aborted && setGrid(g))
      .catch(() => !abort.signal.aborted && setGrid(null));
    return () => abort.abort();
  }, [info, state.grid, gridView, filePath, statsGate, planeQueryKey]);

  // The cursor read-out: the native pixel's true value from its loaded level-0 tile when float32
  // holds the data exactly, otherwise (and for RA/Dec) from the engine once the cursor rests.
  const pixel = hover ? { x: Math.round(hover.p.x), y: Math.round(hover.p.y) } : null;
  useEffect(() => {
    if (!pixel || !info) {
      setReadout(null);
      return;
    }
    const exact = info.hdu.exact_tiles && hover?.tileValue !== undefined;
    setReadout((r) => ({
      x: pixel.x,
      y: pixel.y,
      value: exact ? (Number.isNaN(hover!.tileValue!) ? null : hover!.tileValue) : r && r.x === pixel.x && r.y === pixel.y ? r.value : undefined,
      world: r && r.x === pixel.x && r.y === pixel.y ? r.world : undefined,
    }));
    let live = true;
    const t = setTimeout(() => {
      getJson<PixelValues>(`/viewer/values${query({ ...planeQuery, hdu: info.hdu.index, points: `${pixel.x},${pixel.y}` })}`)
        .then((r) => {
          const v = r.values[0];
          if (live && v) setReadout({ x: pixel.x, y: pixel.y, value: v.value, world: v.world });
        })
        .catch(() => undefined);
    }, 60);
    return () => {
      live = false;
      clearTimeout(t);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [pixel?.x, pixel?.y, info, planeQuery]);

  async function measurePhotometry(p: ImagePoint) {
    if (!info) return;
    const { r, rIn, rOut } = photometry;
    const annulus = rIn !== null && rOut !== null && rOut > rIn;
    try {
      const row = await photometryAt(filePath, info.hdu.index, info.hdu.current_slice, p.x, p.y, r, annulus ? rIn : null, annulus ? rOut : null);
      setPhotRow(row);
      setTab('photometry');
      const rings = [circleOutline(row.xcenter, row.ycenter, r, `${fmt(row.aperture_sum, 5)}`), ...(annulus ? [circleOutline(row.xcenter, row.ycenter, rIn), circleOutline(row.xcenter, row.ycenter, rOut)] : [])];
      const existing = listOverlays().find((o) => o.imageFile === filePath && o.kind === 'photometry');
      if (existing) updateOverlay(existing.id, { outlines: [...existing.outlines, ...rings], visible: true });
      else addOverlay({ imageFile: filePath, name: 'apertures', kind: 'photometry', markers: [], outlines: rings, color: '#ffa657' });
    } catch (err) {
      setError(err instanceof ApiError ? err.detail : String(err));
    }
  }

  async function pickSpectrum(p: ImagePoint) {
    if (!info || info.hdu.n_slices < 2) return;
    const x = Math.round(p.x);
    const y = Math.round(p.y);
    try {
      const r = await getJson<{ values: Array<number | null> }>(`/viewer/spectrum${query({ file_path: filePath, hdu: info.hdu.index, x, y })}`);
      setSpectrum({ x, y, values: r.values });
      setTab('spectrum');
    } catch (err) {
      setError(err instanceof ApiError ? err.detail : String(err));
    }
  }

  async function measure(r: RegionShape) {
    setRegion(r);
    try {
      const common = { file_path: filePath, y_origin: 'bottom', slice_index: state.slice ?? -1 };
      const body =
        r.kind === 'rectangle'
          ? { ...common, region_type: 'rectangle', rectangle: { x: Math.max(0, r.x0), y: Math.max(0, r.y0), width: r.x1 - r.x0 + 1, height: r.y1 - r.y0 + 1 } }
          : { ...common, region_type: 'ellipse', ellipse: { cx: Math.max(0, r.cx), cy: Math.max(0, r.cy), rx: r.rx, ry: r.ry } };
      setRegionStats(await postJson<RegionStats>('/analysis/region-statistics', body));
      setTab('region');
    } catch (err) {
      setRegionStats(null);
      setError(err instanceof ApiError ? err.detail : String(err));
      return;
    }
    // On a cube, a rectangle also gives its mean spectrum (NaN-aware, wavelengths from the WCS).
    if (info && info.hdu.n_slices > 1 && r.kind === 'rectangle') {
      const x = Math.max(0, r.x0);
      const y = Math.max(0, r.y0);
      const width = r.x1 - x + 1;
      const height = r.y1 - y + 1;
      try {
        const c = await getJson<{ wavelength_unit: string; data: { WAVELENGTH: Array<number | null>; FLUX: Array<number | null> } }>(
          `/analysis/cube-spectrum${query({ file_path: filePath, hdu: info.hdu.index, x, y, width, height, reduce: 'mean' })}`);
        setSpectrum({ x, y, width, height, values: c.data.FLUX, wavelengths: c.data.WAVELENGTH.map((w, k) => w ?? k + 1), wavelengthUnit: c.wavelength_unit });
      } catch (err) {
        setError(err instanceof ApiError ? err.detail : String(err));
      }
    }
  }

  const unit = info?.hdu.bunit ?? '';
  const readoutText = (() => {
    if (!readout) return 'Move the cursor over the image (tap on a touch screen)';
    const v = readout.value;
    const value = v === undefined ? '…' : v === null ? 'no data (NaN)' : info?.hdu.bit_flags ? `${v} = ${dqBits(v)}` : `${fmt(v, 7)} ${unit}`;
    const pos = `FITS (1-based) x=${readout.x + 1} y=${readout.y + 1} · 0-based x=${readout.x} y=${readout.y}`;
    const w = readout.world;
    const sky = !w ? '' : info?.frame === 'galactic'
      ? ` · l=${w[0].toFixed(6)}° b=${w[1].toFixed(6)}°`
      : ` · RA=${formatRa(w[0])} Dec=${formatDec(w[1])} (${w[0].toFixed(6)}°, ${w[1].toFixed(6)}°)`;
    return `value=${value} · ${pos}${sky}`;
  })();

  const n = info?.hdu.n_slices ?? 1;
  // The slice asked for, at once (the slider must not jump back while its plane loads).
  const currentSlice = state.slice !== undefined && state.slice >= 0 && state.slice < n ? state.slice : info?.hdu.current_slice ?? 0;
  const wave = info?.spectral?.values?.[currentSlice];

  if (!filePath) return <p>Open a file from the <a href="#/library">library</a>.</p>;
  return (
    // "provisional" while the colour limits come from the coarsest tile (the plane's statistics
    // are on their way); tests and tools that read colours wait for "final".
    <section aria-labelledby="viewer-title" data-testid="viewer" data-limits={state.preset === 'manual' && state.lo !== undefined && state.hi !== undefined ? 'final' : stats ? 'final' : 'provisional'}>
      <h1 id="viewer-title" style={{ wordBreak: 'break-all' }}>{filePath}</h1>
      {error && <p className="error" role="alert">{error}</p>}
      {hdus === null && !error && <p className="muted" aria-live="polite">Reading the file…</p>}
      {hdus && !hasImage && <p className="muted">This file has no image HDU: its tables are shown below.</p>}
      {hasImage && <div className="grid-2">
        <div>
          <TiledImage
            plane={plane}
            display={display}
            view={view}
            onView={setView}
            onHover={(p, tileValue) => setHover(p ? { p, tileValue } : null)}
            onPick={(p) => void (photometry.on ? measurePhotometry(p) : pickSpectrum(p))}
            regionMode={regionMode}
            region={region}
            onRegion={setRegion}
            hold={!limits}
            tools={({ size }) => <StageSize size={size} onSize={setStageSize} />}
            overlay={(toScreen, size) => (
              <>
                {grid && state.grid && <GridOverlay grid={grid} toScreen={toScreen} size={size} />}
                {view && <OverlayLayer overlays={overlays} toScreen={toScreen} scale={view.scale} size={size} />}
                {info && view && <CompassAndScale info={info} scale={view.scale} size={size} />}
              </>
            )}
          />
          <p className="readout" aria-live="off" data-testid="cursor-readout" data-x={readout?.x ?? ''} data-y={readout?.y ?? ''}
            data-value={readout?.value === undefined ? '' : String(readout.value)} data-world={readout?.world ? readout.world.join(',') : ''}>{readoutText}</p>
          <Colorbar display={display} unit={unit} />
        </div>
        <div>
          <div className="panel">
            <h2>Display</h2>
            {info && info.hdus.length > 1 && (
              <div className="field">
                <label htmlFor="hdu">Extension</label>
                <select id="hdu" value={info.hdu.index} onChange={(e) => { update({ hdu: Number(e.target.value), preset: 'zscale', lo: undefined, hi: undefined }, true); }}>
                  {info.hdus.map((h) => <option key={h.index} value={h.index}>{h.index}: {h.name || 'unnamed'} ({h.width}×{h.height}{h.n_slices > 1 ? `×${h.n_slices}` : ''}{h.bunit ? `, ${h.bunit}` : ''})</option>)}
                </select>
              </div>
            )}
            <div className="row">
              <div className="field">
                <label htmlFor="stretch">Stretch</label>
                <select id="stretch" value={state.stretch} onChange={(e) => update({ stretch: e.target.value as GpuStretch })}>
                  {GPU_STRETCHES.map((x) => <option key={x} value={x}>{x}</option>)}
                </select>
              </div>
              <div className="field">
                <label htmlFor="cmap">Colormap</label>
                <select id="cmap" value={state.cmap} onChange={(e) => update({ cmap: e.target.value })}>
                  {CMAPS.map((x) => <option key={x} value={x}>{x}</option>)}
                </select>
              </div>
            </div>
            <div className="row" role="group" aria-label="Limits">
              {LIMIT_PRESETS.map((p) => (
                <button key={p} type="button" aria-pressed={state.preset === p} onClick={() => update({ preset: p as LimitPreset, lo: undefined, hi: undefined })}>{presetLabel(p)}</button>
              ))}
            </div>
            <div className="row">
              <NumberField id="lo" label={`Black (${unit || 'value'})`} value={display.vmin} onChange={(v) => update({ preset: 'manual', lo: v, hi: display.vmax })} />
              <NumberField id="hi" label={`White (${unit || 'value'})`} value={display.vmax} onChange={(v) => update({ preset: 'manual', lo: display.vmin, hi: v })} />
            </div>
            <Slider id="gamma" label="Gamma" min={0.1} max={5} step={0.05} value={state.gamma} onChange={(v) => update({ gamma: v })} />
            {state.stretch === 'asinh' && <Slider id="asinh" label="Asinh softening" min={0.001} max={1} step={0.001} value={state.asinhA} onChange={(v) => update({ asinhA: v })} />}
            {n > 1 && (
              <div className="field">
                <label htmlFor="slice">
                  {info?.spectral?.ctype.toUpperCase().startsWith('WAVE') ? 'Wavelength slice' : 'Slice'} {currentSlice + 1} of {n}{wave !== undefined ? ` (${fmt(wave, 6)} ${info?.spectral?.cunit ?? ''})` : ''}
                </label>
                <input id="slice" type="range" min={0} max={n - 1} value={currentSlice} onChange={(e) => update({ slice: Number(e.target.value) })} />
                <p className="muted">Click a pixel to plot its spectrum.</p>
              </div>
            )}
            <label style={{ display: 'flex', gap: 6, alignItems: 'center' }}>
              <input type="checkbox" checked={state.grid} onChange={(e) => update({ grid: e.target.checked })} disabled={!info?.orientation} />
              RA/Dec grid{info && !info.orientation ? ' (no celestial WCS)' : ''}
            </label>
          </div>
          <div className="panel">
            <h2>Region statistics</h2>
            <div className="row" role="radiogroup" aria-label="Region tool">
              {(['none', 'rectangle', 'ellipse'] as const).map((m) => (
                <label key={m} style={{ display: 'flex', gap: 4, alignItems: 'center' }}>
                  <input type="radio" name="region-mode" checked={regionMode === m} onChange={() => setRegionMode(m)} />
                  {m === 'none' ? 'Pan' : m}
                </label>
              ))}
              <button type="button" disabled={!region} onClick={() => region && void measure(region)}>Measure</button>
            </div>
          </div>
          {info && (
            <ToolsPanel imageFile={filePath} hdu={info.hdu.index} slice={info.hdu.current_slice} image={info.hdu} view={view} screen={stageSize}
              drawn={region} photometry={photometry} onPhotometry={setPhotometry} />
          )}
          {info && <OverlayPanel imageFile={filePath} hdu={info.hdu.index} slice={info.hdu.current_slice} frame={info.frame} drawn={region} onChanged={onOverlaysChanged} />}
        </div>
      </div>}
      <div className="panel">
        <div className="tabs" role="tablist" aria-label="Details">
          {(['histogram', 'header', 'table', 'region', ...(n > 1 ? ['spectrum' as const] : []), ...(photRow ? ['photometry' as const] : [])] as const).map((t) => (
            <button key={t} type="button" role="tab" aria-selected={tab === t} onClick={() => setTab(t)}>
              {t === 'header' ? 'Header & HDUs' : t === 'table' ? 'Tables & spectra' : t[0]?.toUpperCase() + t.slice(1)}
            </button>
          ))}
        </div>
        {tab === 'histogram' && (stats ? <DataHistogram stats={stats} vmin={display.vmin} vmax={display.vmax} unit={unit} onLimits={(lo, hi) => update({ preset: 'manual', lo, hi })} /> : <p className="muted">No histogram.</p>)}
        {tab === 'header' && <HeaderPanel hdus={hdus} filePath={filePath} />}
        {tab === 'table' && <TablePanel key={filePath} hdus={hdus} filePath={filePath} />}
        {tab === 'region' && (
          regionStats ? (
            <table data-testid="region-stats" aria-label="Region statistics">
              <tbody>
                {Object.entries(regionStats).filter(([k]) => k !== 'y_origin').map(([k, v]) => (
                  <tr key={k}><th scope="row">{k}</th><td>{fmt(v, 7)}{typeof v === 'number' && k !== 'pixel_count' && !/count|pixels/.test(k) ? ` ${unit}` : ''}</td></tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p className="muted">Choose rectangle or ellipse, drag on the image, then Measure.</p>
          )
        )}
        {tab === 'spectrum' && <SpectrumPanel spectrum={spectrum} info={info} />}
        {tab === 'photometry' && <PhotometryResult row={photRow} unit={unit} />}
      </div>
    </section>
  );
}

/** Passes the stage's size up (for a cutout of the view) without drawing anything. */
function StageSize({ size, onSize }: { size: { width: number; height: number }; onSize: (s: { width: number; height: number }) => void }) {
  useEffect(() => {
    if (size.width > 0) onSize(size);
  }, [size.width, size.height, onSize]); // eslint-disable-line react-hooks/exhaustive-deps
  return null;
}

function viewFromState(s: ViewerUrlState): View | null {
  return s.zoom !== undefined && s.cx !== undefined && s.cy !== undefined ? { scale: s.zoom, cx: s.cx, cy: s.cy } : null;
}

/** A cube's spectrum at one pixel (`/viewer/spectrum`) or the mean over a rectangle (`/analysis/cube-spectrum`). */
interface CubeSpectrumView {
  x: number;
  y: number;
  /** A region's size (absent: one pixel). */
  width?: number;
  height?: number;
  values: Array<number | null>;
  /** The region's wavelengths as the engine gave them (absent: the slice wavelengths of `info`). */
  wavelengths?: number[];
  wavelengthUnit?: string;
}

function SpectrumPanel({ spectrum, info }: { spectrum: CubeSpectrumView | null; info: ImageInfo | null }) {
  const xs = useMemo(() => spectrum?.wavelengths ?? spectrum?.values.map((_, k) => info?.spectral?.values?.[k] ?? k + 1) ?? [], [spectrum, info]);
  const data = useMemo<uPlot.AlignedData>(() => [xs, spectrum?.values ?? []], [xs, spectrum]);
  const options = useMemo<Omit<uPlot.Options, 'width' | 'height'>>(() => ({
    scales: { x: { time: false } },
    axes: [
      { stroke: '#9aa7b4', grid: { stroke: '#30363d' }, label: info?.spectral?.values ? `${info.spectral.ctype || 'wavelength'} (${info.spectral.cunit})` : 'slice' },
      { stroke: '#9aa7b4', grid: { stroke: '#30363d' }, label: info?.hdu.bunit || 'value', size: 70 },
    ],
    series: [{ label: 'wavelength' }, { label: 'value', stroke: '#58a6ff' }],
  }), [info]);
  if (!spectrum) return <p className="muted">Click a pixel of the cube to plot its spectrum, or measure a rectangle for its mean spectrum.</p>;
  if (spectrum.width !== undefined && spectrum.height !== undefined) {
    const what = `Mean spectrum of x=${spectrum.x + 1}–${spectrum.x + spectrum.width}, y=${spectrum.y + 1}–${spectrum.y + spectrum.height}`;
    return (
      <div data-testid="region-spectrum">
        <p className="muted">{what} (FITS, 1-based; {spectrum.width * spectrum.height} pixels, no-data pixels left out){spectrum.wavelengthUnit ? ` against wavelength in ${spectrum.wavelengthUnit}` : ''}</p>
        <UPlotChart data={data} options={options} label={what} />
      </div>
    );
  }
  return (
    <div data-testid="pixel-spectrum">
      <p className="muted">Spectrum of pixel x={spectrum.x + 1}, y={spectrum.y + 1} (FITS, 1-based)</p>
      <UPlotChart data={data} options={options} label={`Spectrum of pixel ${spectrum.x + 1}, ${spectrum.y + 1}`} />
    </div>
  );
}

function Slider({ id, label, min, max, step, value, onChange }: { id: string; label: string; min: number; max: number; step: number; value: number; onChange: (v: number) => void }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}: {value.toFixed(3)}</label>
      <input id={id} type="range" min={min} max={max} step={step} value={value} onChange={(e) => onChange(Number(e.target.value))} />
    </div>
  );
}

function NumberField({ id, label, value, onChange }: { id: string; label: string; value: number; onChange: (v: number) => void }) {
  const [text, setText] = useState(String(+value.toPrecision(6)));
  const focused = useRef(false);
  useEffect(() => {
    if (!focused.current) setText(String(+value.toPrecision(6)));
  }, [value]);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} type="number" step="any" value={text} onFocus={() => { focused.current = true; }}
        onBlur={() => { focused.current = false; setText(String(+value.toPrecision(6))); }}
        onChange={(e) => { setText(e.target.value); const v = Number(e.target.value); if (e.target.value !== '' && Number.isFinite(v)) onChange(v); }} />
    </div>
  );
}
