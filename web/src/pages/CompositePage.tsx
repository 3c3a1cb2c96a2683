/**
 * The N-channel composite workbench (POST /composite/generate-nchannel): per channel a colour
 * picker or luminance, stretch (or automatic), curve, gamma and weight; saturation; rotation and
 * crop by dragging the preview (drag pans when zoomed in, Shift+drag or the rotate mode turns,
 * the wheel zooms). Every change renders a low-resolution preview at once, then the full
 * resolution once the controls rest; the engine keeps the reprojected channels, so only the first
 * render reprojects. A newer render cancels the one in flight (the engine stops it).
 */
import { useEffect, useRef, useState, type PointerEvent as ReactPointerEvent, type WheelEvent as ReactWheelEvent } from 'react';
import { FilePicker } from '../components/FilePicker.js';
import { ImageResult } from '../components/ImageResult.js';

const STRETCHES = ['auto', 'asinh', 'log', 'sqrt', 'power', 'histeq', 'linear', 'zscale'] as const;
const CURVES = ['linear', 's_curve', 'inverse_s', 'shadows', 'highlights'] as const;
const PREVIEW_PX = 360;
/** The full resolution follows this long after the last change. */
const FULL_DELAY_MS = 900;

interface Channel {
  files: string[];
  color: string;
  luminance: boolean;
  stretch: (typeof STRETCHES)[number];
  curve: (typeof CURVES)[number];
  gamma: number;
  weight: number;
}

interface View {
  rotation: number;
  zoom: number;
  centerX: number;
  centerY: number;
  saturation: number;
}

interface Rendered {
  url: string;
  mime: string;
  width: number;
  quality: Record<string, string>;
  cache: string | null;
}

const channel = (color: string): Channel => ({ files: [], color, luminance: false, stretch: 'auto', curve: 'linear', gamma: 1, weight: 1 });
const START: Channel[] = [channel('#0000ff'), channel('#00ff00'), channel('#ff0000')];
const START_VIEW: View = { rotation: 0, zoom: 1, centerX: 0.5, centerY: 0.5, saturation: 1 };

function rgbOf(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [((n >> 16) & 255) / 255, ((n >> 8) & 255) / 255, (n & 255) / 255];
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
const round = (v: number, d = 3) => Math.round(v * 10 ** d) / 10 ** d;

/** The generate-nchannel request of the page's state. */
function compositeRequest(channels: readonly Channel[], view: View, size: number, format: 'png' | 'jpeg'): Record<string, unknown> {
  return {
    channels: channels.map((c, i) => ({
      file_paths: c.files,
      label: `ch${i + 1}`,
      color: c.luminance ? { luminance: true } : { rgb: rgbOf(c.color) },
      weight: c.weight,
      // 'auto': no tone field, so the engine chooses them from the data
      ...(c.stretch === 'auto' ? {} : { stretch: c.stretch, curve: c.curve, gamma: c.gamma }),
    })),
    rotation_degrees: round(view.rotation, 2),
    crop_zoom: round(view.zoom),
    crop_center_x: round(view.centerX),
    crop_center_y: round(view.centerY),
    saturation: view.saturation === 1 ? null : { saturation: view.saturation },
    output_format: format,
    width: size,
    height: size,
  };
}

async function render(body: Record<string, unknown>, signal: AbortSignal): Promise<Rendered> {
  const res = await fetch('/composite/generate-nchannel', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal });
  if (!res.ok) {
    const j = (await res.json().catch(() => ({}))) as { detail?: unknown };
    throw new Error(typeof j.detail === 'string' ? j.detail : `Request failed (HTTP ${res.status})`);
  }
  const quality: Record<string, string> = {};
  for (const k of ['score', 'snr', 'balance', 'spread', 'coverage']) quality[k] = res.headers.get(`x-quality-${k}`) ?? '';
  const blob = await res.blob();
  return { url: URL.createObjectURL(blob), mime: blob.type || 'image/png', width: Number(body.width), quality, cache: res.headers.get('x-composite-cache') };
}

export function CompositePage() {
  const [channels, setChannels] = useState<Channel[]>(START);
  const [view, setView] = useState<View>(START_VIEW);
  const [format, setFormat] = useState<'png' | 'jpeg'>('png');
  const [size, setSize] = useState(1000);
  const [dragMode, setDragMode] = useState<'pan' | 'rotate'>('pan');
  const [shown, setShown] = useState<Rendered | null>(null);
  const [state, setState] = useState<'idle' | 'preview' | 'full' | 'done'>('idle');
  const [result, setResult] = useState<Rendered | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const inflight = useRef<AbortController | null>(null);
  const drag = useRef<{ x: number; y: number; view: View; rotate: boolean; angle: number } | null>(null);
  const box = useRef<HTMLDivElement | null>(null);

  const update = (i: number, c: Partial<Channel>) => setChannels((cs) => cs.map((x, j) => (j === i ? { ...x, ...c } : x)));
  const ready = channels.every((c) => c.files.length > 0) && channels.some((c) => !c.luminance) && channels.filter((c) => c.luminance).length <= 1;

  // Live preview: low resolution at once, full resolution once the controls rest.
  useEffect(() => {
    if (!ready) return undefined;
    inflight.current?.abort();
    const ctl = new AbortController();
    inflight.current = ctl;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const show = (r: Rendered) => {
      setShown((old) => {
        if (old) URL.revokeObjectURL(old.url);
        return r;
      });
    };
    const run = async () => {
      try {
        setState('preview');
        show(await render(compositeRequest(channels, view, PREVIEW_PX, 'jpeg'), ctl.signal));
        setError(null);
        timer = setTimeout(() => {
          setState('full');
          render(compositeRequest(channels, view, size, format), ctl.signal).then((r) => {
            show(r);
            setState('done');
          }, (err: unknown) => {
            if (!ctl.signal.aborted) setError(String((err as Error).message ?? err));
          });
        }, FULL_DELAY_MS);
      } catch (err) {
        if (!ctl.signal.aborted) {
          setError(String((err as Error).message ?? err));
          setState('idle');
        }
      }
    };
    const debounce = setTimeout(() => void run(), 150);
    return () => {
      clearTimeout(debounce);
      if (timer) clearTimeout(timer);
      ctl.abort();
    };
  }, [channels, view, size, format, ready]);

  async function generate() {
    setBusy(true);
    setError(null);
    try {
      setResult(await render(compositeRequest(channels, view, size, format), new AbortController().signal));
    } catch (err) {
      setError(String((err as Error).message ?? err));
    } finally {
      setBusy(false);
    }
  }

  const angleAt = (e: { clientX: number; clientY: number }) => {
    const r = box.current!.getBoundingClientRect();
    return (Math.atan2(e.clientY - (r.top + r.height / 2), e.clientX - (r.left + r.width / 2)) * 180) / Math.PI;
  };
  const onPointerDown = (e: ReactPointerEvent<HTMLDivElement>) => {
    (e.currentTarget as HTMLElement).setPointerCapture?.(e.pointerId);
    drag.current = { x: e.clientX, y: e.clientY, view, rotate: dragMode === 'rotate' || e.shiftKey, angle: angleAt(e) };
  };
  const onPointerMove = (e: ReactPointerEvent<HTMLDivElement>) => {
    const d = drag.current;
    if (!d || !box.current) return;
    const r = box.current.getBoundingClientRect();
    if (d.rotate) {
      // clockwise on screen = positive degrees (the request's convention)
      let rot = d.view.rotation + (angleAt(e) - d.angle);
      rot = ((rot + 540) % 360) - 180;
      setView((v) => ({ ...v, rotation: round(rot, 1) }));
    } else {
      const z = Math.max(d.view.zoom, 1);
      setView((v) => ({
        ...v,
        centerX: round(clamp(d.view.centerX - (e.clientX - d.x) / r.width / z, 0, 1)),
        centerY: round(clamp(d.view.centerY - (e.clientY - d.y) / r.height / z, 0, 1)),
      }));
    }
  };
  const onPointerUp = () => {
    drag.current = null;
  };
  const onWheel = (e: ReactWheelEvent<HTMLDivElement>) => {
    setView((v) => ({ ...v, zoom: round(clamp(v.zoom * (e.deltaY < 0 ? 1.1 : 1 / 1.1), 0.1, 5)) }));
  };

  return (
    <section aria-labelledby="comp-title">
      <h1 id="comp-title">Colour composite</h1>
      {channels.map((c, i) => (
        <fieldset key={i} className="panel">
          <legend>Channel {i + 1}</legend>
          <div className="row">
            <FilePicker id={`ch${i}-files`} label="Files" value={c.files} onChange={(files) => update(i, { files })} />
            <div className="field">
              <label htmlFor={`ch${i}-color`}>Colour</label>
              <input id={`ch${i}-color`} type="color" value={c.color} disabled={c.luminance} onChange={(e) => update(i, { color: e.target.value })} />
            </div>
            <div className="field">
              <label htmlFor={`ch${i}-lum`}>Luminance</label>
              <input id={`ch${i}-lum`} type="checkbox" checked={c.luminance} onChange={(e) => update(i, { luminance: e.target.checked })} />
            </div>
            <div className="field">
              <label htmlFor={`ch${i}-stretch`}>Stretch</label>
              <select id={`ch${i}-stretch`} value={c.stretch} onChange={(e) => update(i, { stretch: e.target.value as Channel['stretch'] })}>
                {STRETCHES.map((s) => <option key={s} value={s}>{s === 'auto' ? 'automatic' : s}</option>)}
              </select>
            </div>
            <div className="field">
              <label htmlFor={`ch${i}-curve`}>Curve</label>
              <select id={`ch${i}-curve`} value={c.curve} disabled={c.stretch === 'auto'} onChange={(e) => update(i, { curve: e.target.value as Channel['curve'] })}>
                {CURVES.map((s) => <option key={s}>{s}</option>)}
              </select>
            </div>
            <div className="field">
              <label htmlFor={`ch${i}-gamma`}>Gamma {c.gamma.toFixed(2)}</label>
              <input id={`ch${i}-gamma`} type="range" min={0.2} max={3} step={0.05} value={c.gamma} disabled={c.stretch === 'auto'} onChange={(e) => update(i, { gamma: Number(e.target.value) })} />
            </div>
            <div className="field">
              <label htmlFor={`ch${i}-weight`}>Weight {c.weight.toFixed(2)}</label>
              <input id={`ch${i}-weight`} type="range" min={0} max={2} step={0.05} value={c.weight} onChange={(e) => update(i, { weight: Number(e.target.value) })} />
            </div>
            {channels.length > 1 && <button type="button" className="danger" onClick={() => setChannels((cs) => cs.filter((_, j) => j !== i))}>Remove channel</button>}
          </div>
        </fieldset>
      ))}
      <div className="row panel">
        <button type="button" onClick={() => setChannels((cs) => [...cs, channel('#ff00ff')])}>Add channel</button>
        <div className="field">
          <label htmlFor="comp-saturation">Saturation {view.saturation.toFixed(2)}</label>
          <input id="comp-saturation" type="range" min={0} max={2} step={0.05} value={view.saturation} onChange={(e) => setView((v) => ({ ...v, saturation: Number(e.target.value) }))} />
        </div>
        <div className="field">
          <label htmlFor="comp-rotation">Rotation (°, clockwise)</label>
          <input id="comp-rotation" type="number" min={-180} max={180} step={0.1} value={view.rotation} onChange={(e) => setView((v) => ({ ...v, rotation: clamp(Number(e.target.value), -180, 180) }))} />
        </div>
        <div className="field">
          <label htmlFor="comp-zoom">Zoom</label>
          <input id="comp-zoom" type="number" min={0.1} max={5} step={0.1} value={view.zoom} onChange={(e) => setView((v) => ({ ...v, zoom: clamp(Number(e.target.value), 0.1, 5) }))} />
        </div>
        <div className="field">
          <label htmlFor="comp-drag">Dragging the preview</label>
          <select id="comp-drag" value={dragMode} onChange={(e) => setDragMode(e.target.value as 'pan' | 'rotate')}>
            <option value="pan">pans (Shift: rotates)</option>
            <option value="rotate">rotates</option>
          </select>
        </div>
        <button type="button" onClick={() => setView(START_VIEW)}>Reset view</button>
        <div className="field">
          <label htmlFor="comp-format">Format</label>
          <select id="comp-format" value={format} onChange={(e) => setFormat(e.target.value as 'png' | 'jpeg')}>
            <option value="png">PNG</option>
            <option value="jpeg">JPEG</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="comp-size">Size (px)</label>
          <input id="comp-size" type="number" min={64} max={4096} value={size} onChange={(e) => setSize(clamp(Number(e.target.value), 64, 4096))} />
        </div>
        <button type="button" className="primary" disabled={busy || !ready} onClick={() => void generate()}>
          {busy ? 'Generating…' : 'Generate composite'}
        </button>
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      {shown && (
        <div className="panel">
          <p className="muted" data-testid="preview-state">
            {state === 'done' ? `Full resolution (${shown.width} px)` : `Preview (${shown.width} px)${state === 'full' ? ', full resolution on the way…' : ''}`}
            {' · '}
            <span data-testid="quality-score" title={`SNR ${shown.quality.snr}, balance ${shown.quality.balance}, spread ${shown.quality.spread}, coverage ${shown.quality.coverage}`}>
              quality {shown.quality.score} / 5
            </span>
            {shown.cache && <span className="muted"> · channels from cache {shown.cache}</span>}
          </p>
          <div
            ref={box}
            data-testid="composite-preview"
            style={{ display: 'inline-block', cursor: dragMode === 'rotate' ? 'crosshair' : 'grab', touchAction: 'none', userSelect: 'none' }}
            onPointerDown={onPointerDown}
            onPointerMove={onPointerMove}
            onPointerUp={onPointerUp}
            onPointerCancel={onPointerUp}
            onWheel={onWheel}
          >
            <img src={shown.url} alt="Composite preview" draggable={false} style={{ width: 480, height: 480, background: '#000', display: 'block' }} />
          </div>
        </div>
      )}
      <ImageResult url={result?.url ?? null} filename={`composite.${format === 'png' ? 'png' : 'jpg'}`} mime={result?.mime ?? 'image/png'} />
    </section>
  );
}
