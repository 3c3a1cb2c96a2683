/**
 * The N-channel composite workbench (POST /composite/generate-nchannel): per channel a colour
 * picker or luminance (LRGB), stretch (or automatic), black and white points, curve, gamma and
 * weight; saturation; rotation and crop by dragging the preview (drag pans when zoomed in,
 * Shift+drag or the rotate mode turns, the crop mode frames a box, the wheel zooms). While a
 * control is held, only low-resolution previews render (after a short quiet time, each cancelling
 * the one before); the full resolution follows on release (or once typed changes rest). The engine
 * keeps the reprojected channels, so only the first render reprojects. A link from a recipe
 * (`#/composite?channels=[{label,color,files}]&feather=..&recipe=..`) fills the channels in.
 */
import { useEffect, useRef, useState, type PointerEvent as ReactPointerEvent, type WheelEvent as ReactWheelEvent } from 'react';
import { FilePicker } from '../components/FilePicker.js';
import { ImageResult } from '../components/ImageResult.js';
import { parseLinkedChannels } from '../recipes.js';
import { clamp, cropTo, panBy, round, type View } from '../composite-view.js';

const STRETCHES = ['auto', 'asinh', 'log', 'sqrt', 'power', 'histeq', 'linear', 'zscale'] as const;
const CURVES = ['linear', 's_curve', 'inverse_s', 'shadows', 'highlights'] as const;
const PREVIEW_PX = 360;
/** Quiet time before a preview: a slider moved for a while renders only where it pauses. */
const PREVIEW_DEBOUNCE_MS = 150;
/** Changes made without holding a pointer (typing, keys) get the full resolution this long after the preview. */
const FULL_DELAY_MS = 600;
/** The preview box on the page (CSS px); the canvas it shows is `size` px. */
const BOX_PX = 480;

interface Channel {
  label: string;
  files: string[];
  color: string;
  luminance: boolean;
  stretch: (typeof STRETCHES)[number];
  /** Percentiles (0-1) of the stretched channel that become black and white. */
  black: number;
  white: number;
  curve: (typeof CURVES)[number];
  gamma: number;
  /** asinh softening (the route's asinh_a). */
  asinhA: number;
  weight: number;
}


interface Rendered {
  url: string;
  mime: string;
  width: number;
  quality: Record<string, string>;
  cache: string | null;
}

const channel = (color: string, label = '', files: string[] = []): Channel => ({ label, files, color, luminance: false, stretch: 'auto', black: 0, white: 1, curve: 'linear', gamma: 1, asinhA: 0.05, weight: 1 });
const START: Channel[] = [channel('#0000ff'), channel('#00ff00'), channel('#ff0000')];

/** The page's first channels: a recipe link's, or blue, green and red to fill in. */
function initialChannels(params: URLSearchParams): Channel[] {
  const linked = parseLinkedChannels(params.get('channels'));
  if (linked.length === 0) return START;
  const seen = new Set<string>();
  return linked.map((c, i) => {
    // labels must be unique in a request; a link could repeat one
    const label = c.label && !seen.has(c.label) ? c.label : `ch${i + 1}`;
    seen.add(label);
    return channel(c.color.toLowerCase(), label, c.files);
  });
}

function featherOf(params: URLSearchParams): number | null {
  const raw = params.get('feather');
  const v = raw === null || raw === '' ? NaN : Number(raw);
  return Number.isFinite(v) ? clamp(v, 0, 1) : null;
}
const START_VIEW: View = { rotation: 0, zoom: 1, centerX: 0.5, centerY: 0.5, saturation: 1 };

function rgbOf(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [((n >> 16) & 255) / 255, ((n >> 8) & 255) / 255, (n & 255) / 255];
}


/** The generate-nchannel request of the page's state. */
function compositeRequest(channels: readonly Channel[], view: View, size: number, format: 'png' | 'jpeg', feather: number | null): Record<string, unknown> {
  return {
    channels: channels.map((c, i) => ({
      file_paths: c.files,
      label: c.label || `ch${i + 1}`,
      color: c.luminance ? { luminance: true } : { rgb: rgbOf(c.color) },
      weight: c.weight,
      // 'auto': no tone field, so the engine chooses them from the data
      ...(c.stretch === 'auto' ? {} : { stretch: c.stretch, black_point: c.black, white_point: c.white, curve: c.curve, gamma: c.gamma, asinh_a: c.asinhA }),
    })),
    feather_strength: feather,
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

/** The engine's automatic tone of a channel (POST /composite/analyze-channels), as the page's fields. */
async function suggestedTone(c: Channel, label: string): Promise<Partial<Channel>> {
  const res = await fetch('/composite/analyze-channels', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ channels: [{ file_paths: c.files, label, color: c.luminance ? { luminance: true } : { rgb: rgbOf(c.color) } }] }),
  });
  if (!res.ok) return {};
  const body = (await res.json()) as { channels?: Array<{ params?: { black_point?: number; white_point?: number; gamma?: number; asinh_a?: number; curve?: string } }> };
  const p = body.channels?.[0]?.params;
  if (!p) return {};
  const out: Partial<Channel> = {};
  if (typeof p.black_point === 'number') out.black = round(clamp(p.black_point, 0, 0.5), 4);
  if (typeof p.white_point === 'number') out.white = round(clamp(p.white_point, 0.5, 1), 4);
  if (typeof p.gamma === 'number') out.gamma = round(clamp(p.gamma, 0.2, 5), 2);
  if (typeof p.asinh_a === 'number') out.asinhA = round(clamp(p.asinh_a, 0.001, 1), 3);
  if ((CURVES as readonly string[]).includes(p.curve ?? '')) out.curve = p.curve as Channel['curve'];
  return out;
}

async function render(body: Record<string, unknown>, signal: AbortSignal): Promise<Rendered> {
  let res = await fetch('/composite/generate-nchannel', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal });
  // A full render gate (429, renders cancelled a moment ago may still hold their slots until
  // their next step) is a wait, not an error: ask again after Retry-After while still wanted.
  for (let tries = 0; res.status === 429 && tries < 20; tries++) {
    const wait = Math.min(Math.max(Number(res.headers.get('retry-after')) || 1, 0.5), 5) * 1000;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(resolve, wait);
      signal.addEventListener('abort', () => { clearTimeout(t); reject(new DOMException('aborted', 'AbortError')); }, { once: true });
    });
    res = await fetch('/composite/generate-nchannel', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal });
  }
  if (!res.ok) {
    const j = (await res.json().catch(() => ({}))) as { detail?: unknown };
    throw new Error(typeof j.detail === 'string' ? j.detail : `Request failed (HTTP ${res.status})`);
  }
  const quality: Record<string, string> = {};
  for (const k of ['score', 'snr', 'balance', 'spread', 'coverage']) quality[k] = res.headers.get(`x-quality-${k}`) ?? '';
  const blob = await res.blob();
  return { url: URL.createObjectURL(blob), mime: blob.type || 'image/png', width: Number(body.width), quality, cache: res.headers.get('x-composite-cache') };
}

export function CompositePage({ params = new URLSearchParams() }: { params?: URLSearchParams } = {}) {
  const [channels, setChannels] = useState<Channel[]>(() => initialChannels(params));
  const [recipe] = useState(() => params.get('recipe')?.slice(0, 120) ?? null);
  const [feather, setFeather] = useState<number | null>(() => featherOf(params));
  const [view, setView] = useState<View>(START_VIEW);
  const [format, setFormat] = useState<'png' | 'jpeg'>('png');
  const [size, setSize] = useState(1000);
  const [dragMode, setDragMode] = useState<'pan' | 'rotate' | 'crop'>('pan');
  const [shown, setShown] = useState<Rendered | null>(null);
  const [state, setState] = useState<'idle' | 'preview' | 'full' | 'done'>('idle');
  const [result, setResult] = useState<Rendered | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [cropBox, setCropBox] = useState<{ x0: number; y0: number; x1: number; y1: number } | null>(null);
  const drag = useRef<{ x: number; y: number; view: View; mode: 'pan' | 'rotate' | 'crop'; angle: number; rect: DOMRect } | null>(null);
  const box = useRef<HTMLDivElement | null>(null);
  /** A pointer is held somewhere on the page (a slider, the preview): previews only until it is released. */
  const held = useRef(false);
  /** The render of the current settings: its cancellation, timers, and whether its full resolution started. */
  const live = useRef<{ ctl: AbortController; preview: AbortController; timers: Array<ReturnType<typeof setTimeout>>; full: boolean; fullBody: Record<string, unknown> } | null>(null);

  const update = (i: number, c: Partial<Channel>) => setChannels((cs) => cs.map((x, j) => (j === i ? { ...x, ...c } : x)));
  /** Leaving automatic starts from the engine's automatic tone of the channel, so the picture does not jump. */
  const changeStretch = async (i: number, stretch: Channel['stretch']) => {
    const c = channels[i]!;
    let tone: Partial<Channel> = {};
    if (c.stretch === 'auto' && stretch !== 'auto' && c.files.length > 0) tone = await suggestedTone(c, c.label || `ch${i + 1}`).catch(() => ({}));
    update(i, { ...tone, stretch });
  };
  const ready = channels.every((c) => c.files.length > 0) && channels.some((c) => !c.luminance) && channels.filter((c) => c.luminance).length <= 1
    && channels.every((c) => c.stretch === 'auto' || c.white > c.black);

  const show = (r: Rendered) => setShown((old) => {
    if (old) URL.revokeObjectURL(old.url);
    return r;
  });
  const failed = (ctl: AbortController, err: unknown) => {
    if (ctl.signal.aborted) return;
    setError(String((err as Error).message ?? err));
    setState('idle');
  };
  /** The full resolution of the current settings, once (the preview still on its way is dropped). */
  const startFull = () => {
    const run = live.current;
    if (!run || run.full || run.ctl.signal.aborted) return;
    run.full = true;
    for (const t of run.timers) clearTimeout(t);
    // the preview still on its way is of no use now: the engine can stop it
    run.preview.abort();
    setState('full');
    render(run.fullBody, run.ctl.signal).then((r) => {
      if (run.ctl.signal.aborted) return URL.revokeObjectURL(r.url);
      show(r);
      setError(null);
      setState('done');
    }, (err: unknown) => failed(run.ctl, err));
  };

  // Live rendering: every change cancels the render in flight; a preview after a short quiet
  // time, then the full resolution on release (or FULL_DELAY_MS after the preview when no
  // pointer is held: typed values, keys, the colour dialog).
  const previewBody = ready ? compositeRequest(channels, view, PREVIEW_PX, 'jpeg', feather) : null;
  const fullBody = ready ? compositeRequest(channels, view, size, format, feather) : null;
  const key = JSON.stringify([previewBody, fullBody]);
  useEffect(() => {
    if (!previewBody || !fullBody) return undefined;
    const ctl = new AbortController();
    const run = { ctl, preview: new AbortController(), timers: [] as Array<ReturnType<typeof setTimeout>>, full: false, fullBody };
    live.current = run;
    run.timers.push(setTimeout(() => {
      setState('preview');
      render(previewBody, AbortSignal.any([ctl.signal, run.preview.signal])).then((r) => {
        if (run.full || ctl.signal.aborted) return URL.revokeObjectURL(r.url);
        show(r);
        setError(null);
        if (!held.current) run.timers.push(setTimeout(startFull, FULL_DELAY_MS));
      }, (err: unknown) => {
        if (!run.preview.signal.aborted) failed(ctl, err);
      });
    }, PREVIEW_DEBOUNCE_MS));
    return () => {
      for (const t of run.timers) clearTimeout(t);
      ctl.abort();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);

  useEffect(() => {
    const down = () => { held.current = true; };
    const up = () => {
      if (!held.current) return;
      held.current = false;
      // after the page's own handlers: a crop framed on release is the view to render
      setTimeout(startFull, 0);
    };
    window.addEventListener('pointerdown', down, true);
    window.addEventListener('pointerup', up, true);
    window.addEventListener('pointercancel', up, true);
    // a release outside the window may never arrive: leaving the window ends the hold
    window.addEventListener('blur', up);
    return () => {
      window.removeEventListener('blur', up);
      window.removeEventListener('pointerdown', down, true);
      window.removeEventListener('pointerup', up, true);
      window.removeEventListener('pointercancel', up, true);
      live.current?.ctl.abort();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  async function generate() {
    setBusy(true);
    setError(null);
    try {
      setResult(await render(compositeRequest(channels, view, size, format, feather), new AbortController().signal));
    } catch (err) {
      setError(String((err as Error).message ?? err));
    } finally {
      setBusy(false);
    }
  }

  // A drag keeps the box's place from its start: a render landing mid-drag may move the page.
  const angleAt = (e: { clientX: number; clientY: number }, r: DOMRect) => (Math.atan2(e.clientY - (r.top + r.height / 2), e.clientX - (r.left + r.width / 2)) * 180) / Math.PI;
  /** Where the pointer is in the box, 0-1 (the canvas is square). */
  const fractionAt = (e: { clientX: number; clientY: number }, r: DOMRect) => ({ x: clamp((e.clientX - r.left) / r.width, 0, 1), y: clamp((e.clientY - r.top) / r.height, 0, 1) });
  const onPointerDown = (e: ReactPointerEvent<HTMLDivElement>) => {
    (e.currentTarget as HTMLElement).setPointerCapture?.(e.pointerId);
    const mode = e.shiftKey ? 'rotate' : dragMode;
    const rect = e.currentTarget.getBoundingClientRect();
    drag.current = { x: e.clientX, y: e.clientY, view, mode, angle: angleAt(e, rect), rect };
    if (mode === 'crop') {
      const f = fractionAt(e, rect);
      setCropBox({ x0: f.x, y0: f.y, x1: f.x, y1: f.y });
    }
  };
  const onPointerMove = (e: ReactPointerEvent<HTMLDivElement>) => {
    const d = drag.current;
    if (!d) return;
    const r = d.rect;
    if (d.mode === 'rotate') {
      // clockwise on screen = positive degrees (the request's convention)
      let rot = d.view.rotation + (angleAt(e, r) - d.angle);
      rot = ((rot + 540) % 360) - 180;
      setView((v) => ({ ...v, rotation: round(rot, 1) }));
    } else if (d.mode === 'crop') {
      const f = fractionAt(e, r);
      setCropBox((b) => (b ? { ...b, x1: f.x, y1: f.y } : b));
    } else {
      const pan = panBy(d.view, (e.clientX - d.x) / r.width, (e.clientY - d.y) / r.height);
      if (pan) setView((v) => ({ ...v, ...pan }));
    }
  };
  const onPointerUp = () => {
    const d = drag.current;
    drag.current = null;
    if (d?.mode === 'crop' && cropBox) {
      setCropBox(null);
      const framed = cropTo(d.view, cropBox);
      if (framed) setView((v) => ({ ...v, ...framed }));
    }
  };
  const onWheel = (e: ReactWheelEvent<HTMLDivElement>) => {
    setView((v) => ({ ...v, zoom: round(clamp(v.zoom * (e.deltaY < 0 ? 1.1 : 1 / 1.1), 0.1, 5)) }));
  };

  return (
    <section aria-labelledby="comp-title">
      <h1 id="comp-title">Colour composite</h1>
      {recipe && <p className="muted" data-testid="composite-recipe">Recipe: {recipe} ({channels.map((c) => c.label).join(', ')})</p>}
      <div className="composite-layout">
        <div className="composite-controls">
          {channels.map((c, i) => (
            <fieldset key={i} className="panel">
              <legend>Channel {i + 1}{c.label ? ` · ${c.label}` : ''}</legend>
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
                  <select id={`ch${i}-stretch`} value={c.stretch} onChange={(e) => void changeStretch(i, e.target.value as Channel['stretch'])}>
                    {STRETCHES.map((s) => <option key={s} value={s}>{s === 'auto' ? 'automatic' : s}</option>)}
                  </select>
                </div>
                <div className="field">
                  <label htmlFor={`ch${i}-black`}>Black point {(c.black * 100).toFixed(1)} %</label>
                  <input id={`ch${i}-black`} type="range" min={0} max={0.5} step={0.005} value={c.black} disabled={c.stretch === 'auto'}
                    onChange={(e) => update(i, { black: Math.min(Number(e.target.value), c.white - 0.005) })} />
                </div>
                <div className="field">
                  <label htmlFor={`ch${i}-white`}>White point {(c.white * 100).toFixed(1)} %</label>
                  <input id={`ch${i}-white`} type="range" min={0.5} max={1} step={0.0025} value={c.white} disabled={c.stretch === 'auto'}
                    onChange={(e) => update(i, { white: Math.max(Number(e.target.value), c.black + 0.005) })} />
                </div>
                <div className="field">
                  <label htmlFor={`ch${i}-curve`}>Curve</label>
                  <select id={`ch${i}-curve`} value={c.curve} disabled={c.stretch === 'auto'} onChange={(e) => update(i, { curve: e.target.value as Channel['curve'] })}>
                    {CURVES.map((s) => <option key={s}>{s}</option>)}
                  </select>
                </div>
                <div className="field">
                  <label htmlFor={`ch${i}-gamma`}>Gamma {c.gamma.toFixed(2)}</label>
                  <input id={`ch${i}-gamma`} type="range" min={0.2} max={5} step={0.05} value={c.gamma} disabled={c.stretch === 'auto'} onChange={(e) => update(i, { gamma: Number(e.target.value) })} />
                </div>
                <div className="field">
                  <label htmlFor={`ch${i}-asinh`}>Softening {c.asinhA.toFixed(3)}</label>
                  <input id={`ch${i}-asinh`} type="range" min={0.001} max={1} step={0.001} value={c.asinhA} disabled={c.stretch !== 'asinh'} onChange={(e) => update(i, { asinhA: Number(e.target.value) })} />
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
              <select id="comp-drag" value={dragMode} onChange={(e) => setDragMode(e.target.value as 'pan' | 'rotate' | 'crop')}>
                <option value="pan">pans (Shift: rotates)</option>
                <option value="rotate">rotates</option>
                <option value="crop">frames a crop</option>
              </select>
            </div>
            <div className="field">
              <label htmlFor="comp-feather">Seam feather (blank: automatic)</label>
              <input id="comp-feather" type="number" min={0} max={1} step={0.01} value={feather ?? ''} placeholder="auto"
                onChange={(e) => setFeather(e.target.value === '' ? null : clamp(Number(e.target.value), 0, 1))} />
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
        </div>
        <div className="composite-view">
          {error && <p className="error" role="alert">{error}</p>}
          {!shown && <p className="panel muted">{ready ? 'Rendering the preview…' : 'Choose each channel’s files: the preview renders as soon as every channel has one.'}</p>}
          {shown && (
            <div className="panel">
              <p className="muted preview-state" data-testid="preview-state">
                <span className="line">{state === 'done' ? `Full resolution (${shown.width} px)` : `Preview (${shown.width} px)${state === 'full' ? ', full resolution on the way…' : ''}`}</span>
                <span data-testid="quality-score" title={`SNR ${shown.quality.snr}, balance ${shown.quality.balance}, spread ${shown.quality.spread}, coverage ${shown.quality.coverage}`}>
                  quality {shown.quality.score} / 5
                  {shown.cache && <span className="muted"> · channels from cache {shown.cache}</span>}
                </span>
              </p>
              <div
                ref={box}
                data-testid="composite-preview"
                style={{ display: 'inline-block', position: 'relative', overflow: 'hidden', cursor: dragMode === 'pan' ? 'grab' : 'crosshair', touchAction: 'none', userSelect: 'none' }}
                onPointerDown={onPointerDown}
                onPointerMove={onPointerMove}
                onPointerUp={onPointerUp}
                onPointerCancel={onPointerUp}
                onWheel={onWheel}
              >
                <img src={shown.url} alt="Composite preview" draggable={false} style={{ width: BOX_PX, height: BOX_PX, background: '#000', display: 'block' }} />
                {cropBox && (
                  <div data-testid="crop-box" aria-hidden="true" style={{
                    position: 'absolute', border: '1px dashed #fff', boxShadow: '0 0 0 9999px rgba(0,0,0,0.35)', pointerEvents: 'none',
                    left: `${Math.min(cropBox.x0, cropBox.x1) * 100}%`, top: `${Math.min(cropBox.y0, cropBox.y1) * 100}%`,
                    width: `${Math.abs(cropBox.x1 - cropBox.x0) * 100}%`, height: `${Math.abs(cropBox.y1 - cropBox.y0) * 100}%`,
                  }} />
                )}
              </div>
            </div>
          )}
        </div>
      </div>
      <ImageResult url={result?.url ?? null} filename={`composite.${format === 'png' ? 'png' : 'jpg'}`} mime={result?.mime ?? 'image/png'} />
    </section>
  );
}
