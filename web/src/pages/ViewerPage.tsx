import { useEffect, useMemo, useState } from 'react';
import type uPlot from 'uplot';
import { getJson, postJson, query, ApiError } from '../api/client.js';
import type { CubeInfo, HduInfo, HistogramResponse, PixelData, RegionStats } from '../api/types.js';
import { ImageStage, type ImagePoint, type RegionShape } from '../components/ImageStage.js';
import { UPlotChart } from '../components/UPlotChart.js';
import { formatDec, formatRa } from '../format-sky.js';
import { fmt } from '../util.js';
import { TablePanel } from './viewer/TablePanel.js';
import { HeaderPanel } from './viewer/HeaderPanel.js';

const STRETCHES = ['zscale', 'asinh', 'log', 'sqrt', 'power', 'histeq', 'linear'];
const CMAPS = ['grayscale', 'inferno', 'magma', 'viridis', 'plasma', 'hot', 'cool', 'rainbow', 'jet'];
const PERCENTILE_KEYS = ['p_0_5', 'p_1', 'p_5', 'p_25', 'p_50', 'p_75', 'p_95', 'p_99', 'p_99_5'];

interface Settings {
  stretch: string;
  cmap: string;
  black_point: number;
  white_point: number;
  gamma: number;
  asinh_a: number;
  slice_index: number;
}

const DEFAULTS: Settings = { stretch: 'zscale', cmap: 'grayscale', black_point: 0, white_point: 1, gamma: 1, asinh_a: 0.1, slice_index: -1 };

/** Waits until a value has stopped changing for `ms` before passing it on (sliders fire often). */
function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

export function ViewerPage({ filePath }: { filePath: string }) {
  const [settings, setSettings] = useState<Settings>(DEFAULTS);
  const s = useDebounced(settings, 150);
  const [cube, setCube] = useState<CubeInfo | null>(null);
  const [hdus, setHdus] = useState<HduInfo[] | null>(null);
  const [pixels, setPixels] = useState<{ meta: PixelData; values: Float32Array } | null>(null);
  const [histogram, setHistogram] = useState<HistogramResponse | null>(null);
  const [hover, setHover] = useState<ImagePoint | null>(null);
  const [regionMode, setRegionMode] = useState<'none' | 'rectangle' | 'ellipse'>('none');
  const [region, setRegion] = useState<RegionShape | null>(null);
  const [regionStats, setRegionStats] = useState<RegionStats | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tab, setTab] = useState<'histogram' | 'header' | 'table' | 'region'>('histogram');
  const [loading, setLoading] = useState(true);
  const [world, setWorld] = useState<{ x: number; y: number; lon: number; lat: number; frame: string } | null>(null);
  const [hasWcs, setHasWcs] = useState(true);

  const dataId = 'viewer';
  // A file without an image (an x1d spectrum, a catalogue) opens on its tables instead.
  const hasImage = hdus !== null && hdus.some((h) => /image/.test(h.type) && (h.dimensions?.length ?? 0) >= 2 && (h.dimensions ?? []).every((n) => n > 0));
  useEffect(() => {
    if (hdus && !hasImage) setTab('table');
  }, [hdus, hasImage]);
  const common = useMemo(() => ({ file_path: filePath, slice_index: s.slice_index }), [filePath, s.slice_index]);
  const previewSrc = `/preview/${dataId}${query({ ...common, stretch: s.stretch, cmap: s.cmap, black_point: s.black_point, white_point: s.white_point, gamma: s.gamma, asinh_a: s.asinh_a, width: 1600, height: 1600 })}`;

  useEffect(() => {
    if (!filePath) return;
    setError(null);
    setRegion(null);
    setRegionStats(null);
    getJson<CubeInfo>(`/cubeinfo/${dataId}${query({ file_path: filePath })}`).then(setCube, () => setCube(null));
    setHdus(null);
    getJson<{ hdus: HduInfo[] }>(`/fits/info${query({ file_path: filePath })}`).then(
      (r) => setHdus(r.hdus),
      (err) => setError(err instanceof ApiError ? err.detail : String(err)),
    );
  }, [filePath]);

  useEffect(() => {
    if (!filePath || !hasImage) return;
    let live = true;
    getJson<PixelData>(`/pixeldata/${dataId}${query({ ...common, max_size: 1200 })}`)
      .then((meta) => {
        if (!live) return;
        const bin = Uint8Array.from(atob(meta.pixels), (c) => c.charCodeAt(0));
        setPixels({ meta, values: new Float32Array(bin.buffer, bin.byteOffset, bin.byteLength / 4) });
      })
      .catch((err) => live && setError(err instanceof ApiError ? err.detail : String(err)));
    return () => {
      live = false;
    };
  }, [filePath, common, hasImage]);

  useEffect(() => {
    if (!filePath || !hasImage) return;
    let live = true;
    getJson<HistogramResponse>(`/histogram/${dataId}${query({ ...common, bins: 256, stretch: s.stretch, gamma: s.gamma, black_point: s.black_point, white_point: s.white_point, asinh_a: s.asinh_a })}`)
      .then((h) => live && setHistogram(h))
      .catch(() => live && setHistogram(null));
    return () => {
      live = false;
    };
  }, [filePath, common, hasImage, s.stretch, s.gamma, s.black_point, s.white_point, s.asinh_a]);

  // RA/Dec under the cursor from the engine's own WCS (SIP and every projection), asked for once the
  // cursor rests for a moment; the newest answer wins.
  useEffect(() => {
    if (!hover || !filePath || !hasWcs) return;
    let live = true;
    const t = setTimeout(() => {
      postJson<{ world: Array<Array<number | null>>; frame: string }>('/wcs/pixel-to-world', { file_path: filePath, pixels: [[hover.x, hover.y]] })
        .then((r) => {
          const [lon, lat] = r.world[0] ?? [];
          if (live && typeof lon === 'number' && typeof lat === 'number') setWorld({ x: hover.x, y: hover.y, lon, lat, frame: r.frame });
        })
        .catch((err) => {
          if (live && err instanceof ApiError && err.status === 400) setHasWcs(false); // no celestial WCS
        });
    }, 40);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [hover, filePath, hasWcs]);

  useEffect(() => {
    setHasWcs(true);
    setWorld(null);
  }, [filePath]);

  async function measure(r: RegionShape) {
    setRegion(r);
    try {
      const body =
        r.kind === 'rectangle'
          ? { file_path: filePath, region_type: 'rectangle', rectangle: { x: Math.max(0, r.x0), y: Math.max(0, r.y0), width: r.x1 - r.x0 + 1, height: r.y1 - r.y0 + 1 }, y_origin: 'bottom', slice_index: s.slice_index }
          : { file_path: filePath, region_type: 'ellipse', ellipse: { cx: Math.max(0, r.cx), cy: Math.max(0, r.cy), rx: r.rx, ry: r.ry }, y_origin: 'bottom', slice_index: s.slice_index };
      setRegionStats(await postJson<RegionStats>('/analysis/region-statistics', body));
      setTab('region');
    } catch (err) {
      setRegionStats(null);
      setError(err instanceof ApiError ? err.detail : String(err));
    }
  }

  const [origH, origW] = pixels?.meta.original_shape ?? [0, 0];
  const readout = (() => {
    if (!hover || !pixels) return 'Move the cursor over the image';
    const { meta, values } = pixels;
    const [ph, pw] = meta.preview_shape;
    const px = Math.min(pw - 1, Math.max(0, Math.floor(((hover.x + 0.5) / origW) * pw)));
    const py = Math.min(ph - 1, Math.max(0, Math.floor(((hover.y + 0.5) / origH) * ph)));
    const v = values[py * pw + px];
    const value = v === undefined || Number.isNaN(v) ? 'no data' : `${fmt(v, 6)} ${meta.units}`;
    const pos = `x=${(hover.x + 1).toFixed(1)} y=${(hover.y + 1).toFixed(1)}`;
    const near = world && Math.abs(world.x - hover.x) < 2 && Math.abs(world.y - hover.y) < 2;
    if (!near || !world) return `${pos}  value=${value}`;
    const sky = world.frame === 'galactic'
      ? `l=${world.lon.toFixed(6)}° b=${world.lat.toFixed(6)}°`
      : `RA=${formatRa(world.lon)} Dec=${formatDec(world.lat)} (${world.lon.toFixed(6)}°, ${world.lat.toFixed(6)}°)`;
    return `${pos}  value=${value}  ${sky}`;
  })();

  const currentSlice = settings.slice_index >= 0 ? settings.slice_index : Math.floor((cube?.n_slices ?? 1) / 2);
  const spectralValue = cube?.axis3 ? cube.axis3.crval3 + (currentSlice + 1 - cube.axis3.crpix3) * cube.axis3.cdelt3 : null;

  if (!filePath) return <p>Open a file from the <a href="#/library">library</a>.</p>;
  return (
    <section aria-labelledby="viewer-title">
      <h1 id="viewer-title" style={{ wordBreak: 'break-all' }}>{filePath}</h1>
      {error && <p className="error" role="alert">{error}</p>}
      {hdus === null && !error && <p className="muted" aria-live="polite">Reading the file…</p>}
      {hdus && !hasImage && <p className="muted">This file has no image HDU: its tables are shown below.</p>}
      {hasImage && <div className="grid-2">
        <div>
          <ImageStage
            src={previewSrc}
            originalWidth={origW || 1}
            originalHeight={origH || 1}
            regionMode={regionMode}
            region={region}
            onHover={setHover}
            onRegion={(r) => setRegion(r)}
            onLoad={() => setLoading(false)}
          />
          <p className="readout" aria-live="off" data-testid="cursor-readout">{readout}</p>
          {loading && <p className="muted" aria-live="polite">Rendering…</p>}
        </div>
        <div>
          <div className="panel">
            <h2>Display</h2>
            <div className="row">
              <div className="field">
                <label htmlFor="stretch">Stretch</label>
                <select id="stretch" value={settings.stretch} onChange={(e) => setSettings({ ...settings, stretch: e.target.value })}>
                  {STRETCHES.map((x) => <option key={x} value={x}>{x}</option>)}
                </select>
              </div>
              <div className="field">
                <label htmlFor="cmap">Colormap</label>
                <select id="cmap" value={settings.cmap} onChange={(e) => setSettings({ ...settings, cmap: e.target.value })}>
                  {CMAPS.map((x) => <option key={x} value={x}>{x}</option>)}
                </select>
              </div>
            </div>
            <Slider id="bp" label="Black point" min={0} max={0.99} step={0.005} value={settings.black_point} onChange={(v) => setSettings({ ...settings, black_point: Math.min(v, settings.white_point - 0.01) })} />
            <Slider id="wp" label="White point" min={0.01} max={1} step={0.005} value={settings.white_point} onChange={(v) => setSettings({ ...settings, white_point: Math.max(v, settings.black_point + 0.01) })} />
            <Slider id="gamma" label="Gamma" min={0.1} max={5} step={0.05} value={settings.gamma} onChange={(v) => setSettings({ ...settings, gamma: v })} />
            <Slider id="asinh" label="Asinh softening" min={0.001} max={1} step={0.001} value={settings.asinh_a} onChange={(v) => setSettings({ ...settings, asinh_a: v })} />
            {cube?.is_cube && (
              <div className="field">
                <label htmlFor="slice">
                  {cube.slice_label} slice {currentSlice + 1} of {cube.n_slices}
                  {spectralValue !== null ? ` (${fmt(spectralValue, 6)} ${cube.slice_unit})` : ''}
                </label>
                <input id="slice" type="range" min={0} max={cube.n_slices - 1} value={currentSlice} onChange={(e) => setSettings({ ...settings, slice_index: Number(e.target.value) })} />
              </div>
            )}
            <div className="row" style={{ marginTop: 8 }}>
              <button type="button" onClick={() => setSettings(DEFAULTS)}>Reset</button>
              <a href={previewSrc.replace('width=1600&height=1600', 'width=4000&height=4000')} download="preview.png">Download PNG</a>
            </div>
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
        </div>
      </div>}
      <div className="panel">
        <div className="tabs" role="tablist" aria-label="Details">
          {(['histogram', 'header', 'table', 'region'] as const).map((t) => (
            <button key={t} type="button" role="tab" aria-selected={tab === t} onClick={() => setTab(t)}>
              {t === 'header' ? 'Header & HDUs' : t === 'table' ? 'Tables & spectra' : t[0]?.toUpperCase() + t.slice(1)}
            </button>
          ))}
        </div>
        {tab === 'histogram' && <HistogramPanel histogram={histogram} />}
        {tab === 'header' && <HeaderPanel hdus={hdus} filePath={filePath} />}
        {tab === 'table' && <TablePanel hdus={hdus} filePath={filePath} />}
        {tab === 'region' && (
          regionStats ? (
            <table data-testid="region-stats" aria-label="Region statistics">
              <tbody>
                {Object.entries(regionStats).map(([k, v]) => (
                  <tr key={k}><th scope="row">{k}</th><td>{fmt(v, 7)}</td></tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p className="muted">Choose rectangle or ellipse, drag on the image, then Measure.</p>
          )
        )}
      </div>
    </section>
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

function HistogramPanel({ histogram }: { histogram: HistogramResponse | null }) {
  const data = useMemo<uPlot.AlignedData>(() => (histogram ? [histogram.histogram.bin_centers, histogram.histogram.counts] : [[], []]), [histogram]);
  const options = useMemo<Omit<uPlot.Options, 'width' | 'height'>>(() => {
    const marks = histogram ? PERCENTILE_KEYS.map((k) => [k, histogram.percentiles[k]] as const).filter((m): m is readonly [string, number] => typeof m[1] === 'number') : [];
    return {
      scales: { x: { time: false }, y: { distr: 3 } },
      axes: [{ stroke: '#9aa7b4', grid: { stroke: '#30363d' } }, { stroke: '#9aa7b4', grid: { stroke: '#30363d' } }],
      series: [{ label: 'stretched value' }, { label: 'pixels', stroke: '#58a6ff', fill: 'rgba(88,166,255,0.3)', paths: undefined }],
      legend: { show: true },
      hooks: {
        draw: [
          (u: uPlot) => {
            const ctx = u.ctx;
            ctx.save();
            ctx.strokeStyle = '#f0b429';
            ctx.fillStyle = '#f0b429';
            ctx.font = `${10 * devicePixelRatio}px sans-serif`;
            for (const [k, v] of marks) {
              const x = u.valToPos(v, 'x', true);
              ctx.beginPath();
              ctx.moveTo(x, u.bbox.top);
              ctx.lineTo(x, u.bbox.top + u.bbox.height);
              ctx.stroke();
              ctx.fillText(k.replace('p_', '').replace('_', '.'), x + 2, u.bbox.top + 12 * devicePixelRatio);
            }
            ctx.restore();
          },
        ],
      },
    };
  }, [histogram]);
  if (!histogram) return <p className="muted">No histogram.</p>;
  return (
    <div>
      <UPlotChart data={data} options={options} label="Histogram of the stretched image with percentile markers" />
      <p className="muted">
        {Object.entries(histogram.stats).map(([k, v]) => `${k} ${fmt(v, 5)}`).join(' · ')}
      </p>
    </div>
  );
}
