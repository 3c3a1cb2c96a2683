/**
 * The N-channel composite workbench (POST /composite/generate-nchannel): per channel the files, a
 * label, a colour picker, a hue or luminance (LRGB), the wavelength, stretch (or automatic),
 * black and white points, curve, gamma, softening and weight; for the whole picture background
 * neutralisation, overall levels, sharpening (unsharp mask), saturation, vibrancy and hue shift,
 * seam feathering; rotation and crop by dragging the preview (drag pans when zoomed in,
 * Shift+drag or the rotate mode turns, the crop mode frames a box, the wheel zooms) or by their
 * controls; an exact output canvas (width x height), PNG or JPEG (quality), AVM metadata, forced
 * downscale and coverage masks. While a control is held, only low-resolution previews render
 * (after a short quiet time, each cancelling the one before); the full resolution follows on
 * release (or once typed changes rest). The engine keeps the reprojected channels, so only the
 * first render reprojects. "Generate composite" submits the full resolution as a job
 * (`?async=true`), follows its progress over Server-Sent Events (/api/jobs/{id}/events) and
 * shows its output. A link from a recipe (`#/composite?channels=[{label,color,files}]&feather=..&recipe=..`)
 * fills the channels in.
 */
import { useEffect, useRef, useState, type PointerEvent as ReactPointerEvent, type ReactNode, type WheelEvent as ReactWheelEvent } from 'react';
import { FilePicker } from '../components/FilePicker.js';
import { ImageResult } from '../components/ImageResult.js';
import { ProgressBar } from '../components/ProgressBar.js';
import { withToken } from '../api/client.js';
import { parseLinkedChannels } from '../recipes.js';
import { clamp, cropTo, fillOf, panBy, round, SQUARE, type Fill, type View } from '../composite-view.js';
import {
  AVM_FIELDS, CURVES, OVERALL_STRETCHES, START_LOOK, START_OUTPUT, STRETCHES, blocker, channel, compositeRequest, hueHex, labelOf, rgbOf,
  type Channel, type Look, type Output,
} from '../composite-request.js';

/** Quiet time before a preview: a slider moved for a while renders only where it pauses. */
const PREVIEW_DEBOUNCE_MS = 150;
/** Changes made without holding a pointer (typing, keys) get the full resolution this long after the preview. */
const FULL_DELAY_MS = 600;
/** The longest side of the preview box on the page (CSS px); it has the output canvas's aspect. */
const BOX_PX = 480;

interface Rendered {
  url: string;
  mime: string;
  width: number;
  height: number;
  /** How the picture fills this canvas at crop zoom 1 (from X-Composite-Picture-Size), for drags. */
  fill: Fill;
  quality: Record<string, string>;
  cache: string | null;
  /** What the engine changed or warns about: a shrunk grid, a forced downscale, the masks' warning. */
  notes: string[];
}

/** A render job's progress as its events report it. */
interface JobProgress {
  id: string;
  fraction: number;
  message: string;
}

/** The fields of a job record (GET /api/jobs/{id}, its `job` events) the page reads. */
interface JobWire {
  status: string;
  progress: { fraction: number | null; message: string | null };
  result: { media_type?: string; headers?: Record<string, string> } | null;
  error: string | null;
}

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
const START_VIEW: View = { rotation: 0, zoom: 1, centerX: 0.5, centerY: 0.5 };

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

async function failure(res: Response): Promise<Error> {
  const j = (await res.json().catch(() => ({}))) as { detail?: unknown };
  return new Error(typeof j.detail === 'string' ? j.detail : `Request failed (HTTP ${res.status})`);
}

/** A rendered picture with what its headers say (quality, cache, grid changes, warnings). */
function rendered(blob: Blob, body: Record<string, unknown>, header: (name: string) => string | null | undefined): Rendered {
  const quality: Record<string, string> = {};
  for (const k of ['score', 'snr', 'balance', 'spread', 'coverage']) quality[k] = header(`x-quality-${k}`) ?? '';
  const notes: string[] = [];
  if (header('x-composite-was-downscaled') === 'true') {
    notes.push(`grid shrunk for memory: ${header('x-composite-original-shape') ?? '?'} → ${header('x-composite-output-shape') ?? '?'} (side ×${header('x-composite-side-factor') ?? '?'}${header('x-composite-budget-status') === 'forced' ? ', forced' : ''})`);
  }
  const warning = header('x-debug-warning');
  if (warning) notes.push(warning);
  const masks = header('x-debug-channels');
  if (masks) notes.push(`coverage masks of ${masks}`);
  const [pw, ph] = (header('x-composite-picture-size') ?? '').split(',').map(Number);
  const width = Number(body.width), height = Number(body.height);
  const fill = fillOf(width, height, pw ?? NaN, ph ?? NaN);
  return { url: URL.createObjectURL(blob), mime: blob.type || 'image/png', width, height, fill, quality, cache: header('x-composite-cache') ?? null, notes };
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
  if (!res.ok) throw await failure(res);
  return rendered(await res.blob(), body, (n) => res.headers.get(n));
}

const FINISHED = ['succeeded', 'failed', 'cancelled'];

/**
 * Follows a job to its end over its Server-Sent Events (`job` records, then `end`); if the stream
 * cannot be opened or is closed for good, asks GET /api/jobs/{id} every second instead.
 */
function followJob(id: string, eventsUrl: string, signal: AbortSignal, onProgress: (p: JobProgress) => void): Promise<JobWire> {
  return new Promise((resolve, reject) => {
    let over = false;
    let poll: ReturnType<typeof setInterval> | null = null;
    const es = new EventSource(withToken(eventsUrl));
    const finish = (settle: () => void) => {
      if (over) return;
      over = true;
      es.close();
      if (poll) clearInterval(poll);
      signal.removeEventListener('abort', onAbort);
      settle();
    };
    const seen = (j: JobWire) => {
      onProgress({ id, fraction: j.progress.fraction ?? 0, message: j.progress.message ?? j.status });
      if (!FINISHED.includes(j.status)) return;
      finish(() => (j.status === 'succeeded' ? resolve(j) : reject(new Error(j.error ?? `The render job was ${j.status}`))));
    };
    const onAbort = () => finish(() => reject(new DOMException('aborted', 'AbortError')));
    signal.addEventListener('abort', onAbort, { once: true });
    es.addEventListener('job', (e) => seen(JSON.parse((e as MessageEvent<string>).data) as JobWire));
    es.addEventListener('end', (e) => {
      const { status } = JSON.parse((e as MessageEvent<string>).data) as { status: string };
      // the last `job` event settled a finished job; `removed` has none
      finish(() => reject(new Error(`The render job was ${status}`)));
    });
    es.onerror = () => {
      if (es.readyState !== EventSource.CLOSED || over || poll) return;
      poll = setInterval(() => {
        void fetch(`/api/jobs/${encodeURIComponent(id)}`, { signal }).then(async (res) => {
          if (res.ok) seen((await res.json()) as JobWire);
          else finish(() => void failure(res).then(reject));
        }, () => undefined);
      }, 1000);
    };
  });
}

/** The full resolution as a job of the jobs API: submitted, followed, then its output fetched. */
async function renderAsJob(body: Record<string, unknown>, signal: AbortSignal, onProgress: (p: JobProgress) => void): Promise<Rendered> {
  const res = await fetch('/composite/generate-nchannel?async=true', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal });
  if (res.status !== 202) throw await failure(res);
  const job = (await res.json()) as { job_id: string; events_url: string; output_url: string };
  onProgress({ id: job.job_id, fraction: 0, message: 'queued' });
  // cancelling the page's wait cancels the job too
  const cancel = () => void fetch(`/api/jobs/${encodeURIComponent(job.job_id)}/cancel`, { method: 'POST' }).catch(() => undefined);
  signal.addEventListener('abort', cancel, { once: true });
  try {
    const done = await followJob(job.job_id, job.events_url, signal, onProgress);
    const file = await fetch(job.output_url, { signal });
    if (!file.ok) throw await failure(file);
    // the download is an attachment (octet-stream): the job's result names the type
    const blob = new Blob([await file.arrayBuffer()], { type: done.result?.media_type ?? 'image/png' });
    const headers = done.result?.headers ?? {};
    return rendered(blob, body, (n) => headers[n]);
  } finally {
    signal.removeEventListener('abort', cancel);
  }
}

const sizeText = (r: { width: number; height: number }) => (r.width === r.height ? `${r.width} px` : `${r.width} × ${r.height} px`);

/** A labelled range input with its value in the label. */
function Slider({ id, label, value, min, max, step, disabled, onChange }: { id: string; label: ReactNode; value: number; min: number; max: number; step: number; disabled?: boolean; onChange: (v: number) => void }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} type="range" min={min} max={max} step={step} value={value} disabled={disabled} onChange={(e) => onChange(Number(e.target.value))} />
    </div>
  );
}

/** A labelled checkbox. */
function Check({ id, label, checked, onChange }: { id: string; label: string; checked: boolean; onChange: (v: boolean) => void }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} />
    </div>
  );
}

/** A whole-number field that commits only values in range (typing "4" on the way to "400" does not render a 4 px canvas). */
function SizeField({ id, label, value, onChange }: { id: string; label: string; value: number; onChange: (v: number) => void }) {
  const [draft, setDraft] = useState<string | null>(null);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} type="number" min={16} max={4096} step={1} value={draft ?? value} onBlur={() => setDraft(null)}
        onChange={(e) => {
          const v = Number(e.target.value);
          setDraft(e.target.value);
          if (Number.isInteger(v) && v >= 16 && v <= 4096) onChange(v);
        }} />
    </div>
  );
}

export function CompositePage({ params = new URLSearchParams() }: { params?: URLSearchParams } = {}) {
  const [channels, setChannels] = useState<Channel[]>(() => initialChannels(params));
  const [recipe] = useState(() => params.get('recipe')?.slice(0, 120) ?? null);
  const [look, setLook] = useState<Look>(() => ({ ...START_LOOK, feather: featherOf(params) }));
  const [out, setOut] = useState<Output>(START_OUTPUT);
  const [view, setView] = useState<View>(START_VIEW);
  const [dragMode, setDragMode] = useState<'pan' | 'rotate' | 'crop'>('pan');
  const [shown, setShown] = useState<Rendered | null>(null);
  const [state, setState] = useState<'idle' | 'preview' | 'full' | 'done'>('idle');
  const [result, setResult] = useState<Rendered | null>(null);
  const [job, setJob] = useState<JobProgress | null>(null);
  const jobCtl = useRef<AbortController | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [cropBox, setCropBox] = useState<{ x0: number; y0: number; x1: number; y1: number } | null>(null);
  const drag = useRef<{ x: number; y: number; view: View; mode: 'pan' | 'rotate' | 'crop'; angle: number; rect: DOMRect } | null>(null);
  /** A pointer is held somewhere on the page (a slider, the preview): previews only until it is released. */
  const held = useRef(false);
  /** The render of the current settings: its cancellation, timers, and whether its full resolution started. */
  const live = useRef<{ ctl: AbortController; preview: AbortController; timers: Array<ReturnType<typeof setTimeout>>; full: boolean; fullBody: Record<string, unknown> } | null>(null);

  const update = (i: number, c: Partial<Channel>) => setChannels((cs) => cs.map((x, j) => (j === i ? { ...x, ...c } : x)));
  const tune = (l: Partial<Look>) => setLook((v) => ({ ...v, ...l }));
  const tuneOverall = (o: Partial<Look['overall']>) => setLook((v) => ({ ...v, overall: { ...v.overall, ...o } }));
  const tuneSharpen = (o: Partial<Look['sharpen']>) => setLook((v) => ({ ...v, sharpen: { ...v.sharpen, ...o } }));
  const setOutput = (o: Partial<Output>) => setOut((v) => ({ ...v, ...o }));
  /** Leaving automatic starts from the engine's automatic tone of the channel, so the picture does not jump. */
  const changeStretch = async (i: number, stretch: Channel['stretch']) => {
    const c = channels[i]!;
    let tone: Partial<Channel> = {};
    if (c.stretch === 'auto' && stretch !== 'auto' && c.files.length > 0) tone = await suggestedTone(c, labelOf(c, i)).catch(() => ({}));
    update(i, { ...tone, stretch });
  };
  const blocked = blocker(channels);
  const ready = blocked === null;

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
  const previewBody = ready ? compositeRequest(channels, view, look, out, true) : null;
  const fullBody = ready ? compositeRequest(channels, view, look, out) : null;
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
      jobCtl.current?.abort();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  /** The full resolution as a job, with its progress; its output shown and downloadable. */
  async function generate() {
    const ctl = new AbortController();
    jobCtl.current = ctl;
    setJob({ id: '', fraction: 0, message: 'submitting' });
    setError(null);
    try {
      const r = await renderAsJob(compositeRequest(channels, view, look, out), ctl.signal, setJob);
      setResult((old) => {
        if (old) URL.revokeObjectURL(old.url);
        return r;
      });
    } catch (err) {
      setError(ctl.signal.aborted ? 'The render job was cancelled.' : String((err as Error).message ?? err));
    } finally {
      if (jobCtl.current === ctl) jobCtl.current = null;
      setJob(null);
    }
  }

  // A drag keeps the box's place from its start: a render landing mid-drag may move the page.
  const angleAt = (e: { clientX: number; clientY: number }, r: DOMRect) => (Math.atan2(e.clientY - (r.top + r.height / 2), e.clientX - (r.left + r.width / 2)) * 180) / Math.PI;
  /** Where the pointer is in the box, 0-1 on each axis (the box has the canvas's aspect). */
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
      const pan = panBy(d.view, (e.clientX - d.x) / r.width, (e.clientY - d.y) / r.height, shown?.fill ?? SQUARE);
      if (pan) setView((v) => ({ ...v, ...pan }));
    }
  };
  const onPointerUp = () => {
    const d = drag.current;
    drag.current = null;
    if (d?.mode === 'crop' && cropBox) {
      setCropBox(null);
      const framed = cropTo(d.view, cropBox, shown?.fill ?? SQUARE);
      if (framed) setView((v) => ({ ...v, ...framed }));
    }
  };
  const onWheel = (e: ReactWheelEvent<HTMLDivElement>) => {
    setView((v) => ({ ...v, zoom: round(clamp(v.zoom * (e.deltaY < 0 ? 1.1 : 1 / 1.1), 0.1, 5)) }));
  };
  const longest = Math.max(out.width, out.height);
  const boxW = Math.round((BOX_PX * out.width) / longest);
  const boxH = Math.round((BOX_PX * out.height) / longest);
  const o = look.overall;

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
                  <label htmlFor={`ch${i}-label`}>Label</label>
                  <input id={`ch${i}-label`} type="text" maxLength={64} value={c.label} placeholder={`ch${i + 1}`} onChange={(e) => update(i, { label: e.target.value })} />
                </div>
                <div className="field">
                  <label htmlFor={`ch${i}-color`}>Colour</label>
                  <input id={`ch${i}-color`} type="color" value={c.hue !== null ? hueHex(c.hue) : c.color} disabled={c.luminance} onChange={(e) => update(i, { color: e.target.value, hue: null })} />
                </div>
                <div className="field">
                  <label htmlFor={`ch${i}-hue`}>Hue (°, blank: the colour)</label>
                  <input id={`ch${i}-hue`} type="number" min={0} max={360} step={1} value={c.hue ?? ''} placeholder="—" disabled={c.luminance}
                    onChange={(e) => update(i, e.target.value === '' ? { hue: null } : { hue: clamp(Number(e.target.value), 0, 360) })} />
                </div>
                <div className="field">
                  <label htmlFor={`ch${i}-lum`}>Luminance</label>
                  <input id={`ch${i}-lum`} type="checkbox" checked={c.luminance} onChange={(e) => update(i, { luminance: e.target.checked })} />
                </div>
                <div className="field">
                  <label htmlFor={`ch${i}-wavelength`}>Wavelength (µm)</label>
                  <input id={`ch${i}-wavelength`} type="number" min={0.01} max={1000} step={0.001} value={c.wavelength ?? ''} placeholder="—"
                    onChange={(e) => update(i, { wavelength: e.target.value === '' || !(Number(e.target.value) > 0) ? null : clamp(Number(e.target.value), 0.001, 1000) })} />
                </div>
                <div className="field">
                  <label htmlFor={`ch${i}-stretch`}>Stretch</label>
                  <select id={`ch${i}-stretch`} value={c.stretch} onChange={(e) => void changeStretch(i, e.target.value as Channel['stretch'])}>
                    {STRETCHES.map((s) => <option key={s} value={s}>{s === 'auto' ? 'automatic' : s}</option>)}
                  </select>
                </div>
                <Slider id={`ch${i}-black`} label={`Black point ${(c.black * 100).toFixed(1)} %`} min={0} max={0.5} step={0.005} value={c.black} disabled={c.stretch === 'auto'}
                  onChange={(v) => update(i, { black: Math.min(v, c.white - 0.005) })} />
                <Slider id={`ch${i}-white`} label={`White point ${(c.white * 100).toFixed(1)} %`} min={0.5} max={1} step={0.0025} value={c.white} disabled={c.stretch === 'auto'}
                  onChange={(v) => update(i, { white: Math.max(v, c.black + 0.005) })} />
                <div className="field">
                  <label htmlFor={`ch${i}-curve`}>Curve</label>
                  <select id={`ch${i}-curve`} value={c.curve} disabled={c.stretch === 'auto'} onChange={(e) => update(i, { curve: e.target.value as Channel['curve'] })}>
                    {CURVES.map((s) => <option key={s}>{s}</option>)}
                  </select>
                </div>
                <Slider id={`ch${i}-gamma`} label={`Gamma ${c.gamma.toFixed(2)}`} min={0.2} max={5} step={0.05} value={c.gamma} disabled={c.stretch === 'auto'} onChange={(v) => update(i, { gamma: v })} />
                <Slider id={`ch${i}-asinh`} label={`Softening ${c.asinhA.toFixed(3)}`} min={0.001} max={1} step={0.001} value={c.asinhA} disabled={c.stretch !== 'asinh'} onChange={(v) => update(i, { asinhA: v })} />
                <Slider id={`ch${i}-weight`} label={`Weight ${c.weight.toFixed(2)}`} min={0} max={2} step={0.05} value={c.weight} onChange={(v) => update(i, { weight: v })} />
                {channels.length > 1 && <button type="button" className="danger" onClick={() => setChannels((cs) => cs.filter((_, j) => j !== i))}>Remove channel</button>}
              </div>
            </fieldset>
          ))}
          <div className="row panel">
            <button type="button" onClick={() => setChannels((cs) => [...cs, channel('#ff00ff')])}>Add channel</button>
          </div>
          <fieldset className="panel">
            <legend>Whole picture</legend>
            <div className="row">
              <Check id="comp-neutralize" label="Neutral background" checked={look.neutralize} onChange={(neutralize) => tune({ neutralize })} />
              <div className="field">
                <label htmlFor="comp-feather">Seam feather (blank: automatic)</label>
                <input id="comp-feather" type="number" min={0} max={1} step={0.01} value={look.feather ?? ''} placeholder="auto"
                  onChange={(e) => tune({ feather: e.target.value === '' ? null : clamp(Number(e.target.value), 0, 1) })} />
              </div>
              <Slider id="comp-saturation" label={`Saturation ${look.saturation.toFixed(2)}`} min={0} max={2} step={0.05} value={look.saturation} onChange={(v) => tune({ saturation: v })} />
              <Slider id="comp-vibrancy" label={`Vibrancy ${look.vibrancy.toFixed(2)}`} min={0} max={1} step={0.05} value={look.vibrancy} onChange={(v) => tune({ vibrancy: v })} />
              <Slider id="comp-hue-shift" label={`Hue shift ${look.hueShift.toFixed(0)}°`} min={-30} max={30} step={1} value={look.hueShift} onChange={(v) => tune({ hueShift: v })} />
            </div>
            <div className="row">
              <Slider id="comp-sharpen-amount" label={`Sharpening ${look.sharpen.amount.toFixed(2)}${look.sharpen.amount === 0 ? ' (off)' : ''}`} min={0} max={3} step={0.05} value={look.sharpen.amount} onChange={(v) => tuneSharpen({ amount: v })} />
              <Slider id="comp-sharpen-radius" label={`Radius ${look.sharpen.radius.toFixed(1)} px`} min={0.5} max={10} step={0.1} value={look.sharpen.radius} disabled={look.sharpen.amount === 0} onChange={(v) => tuneSharpen({ radius: v })} />
              <Slider id="comp-sharpen-threshold" label={`Threshold ${look.sharpen.threshold.toFixed(2)}`} min={0} max={1} step={0.01} value={look.sharpen.threshold} disabled={look.sharpen.amount === 0} onChange={(v) => tuneSharpen({ threshold: v })} />
            </div>
            <div className="row">
              <Check id="comp-overall" label="Overall levels" checked={o.on} onChange={(on) => tuneOverall({ on })} />
              <div className="field">
                <label htmlFor="comp-overall-stretch">Overall stretch</label>
                <select id="comp-overall-stretch" value={o.stretch} disabled={!o.on} onChange={(e) => tuneOverall({ stretch: e.target.value as Look['overall']['stretch'] })}>
                  {OVERALL_STRETCHES.map((s) => <option key={s}>{s}</option>)}
                </select>
              </div>
              <Slider id="comp-overall-black" label={`Black ${(o.black * 100).toFixed(1)} %`} min={0} max={0.5} step={0.005} value={o.black} disabled={!o.on} onChange={(v) => tuneOverall({ black: Math.min(v, o.white - 0.005) })} />
              <Slider id="comp-overall-white" label={`White ${(o.white * 100).toFixed(1)} %`} min={0.5} max={1} step={0.0025} value={o.white} disabled={!o.on} onChange={(v) => tuneOverall({ white: Math.max(v, o.black + 0.005) })} />
              <Slider id="comp-overall-gamma" label={`Gamma ${o.gamma.toFixed(2)}`} min={0.2} max={5} step={0.05} value={o.gamma} disabled={!o.on} onChange={(v) => tuneOverall({ gamma: v })} />
              <Slider id="comp-overall-asinh" label={`Softening ${o.asinhA.toFixed(3)}`} min={0.001} max={1} step={0.001} value={o.asinhA} disabled={!o.on || o.stretch !== 'asinh'} onChange={(v) => tuneOverall({ asinhA: v })} />
            </div>
          </fieldset>
          <fieldset className="panel">
            <legend>Framing</legend>
            <div className="row">
              <Slider id="comp-rotation-slider" label="Rotation" min={-180} max={180} step={0.5} value={view.rotation} onChange={(v) => setView((w) => ({ ...w, rotation: v }))} />
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
              <button type="button" onClick={() => setView(START_VIEW)}>Reset view</button>
            </div>
          </fieldset>
          <fieldset className="panel">
            <legend>Output</legend>
            <div className="row">
              <SizeField id="comp-width" label="Width (px)" value={out.width} onChange={(width) => setOutput({ width })} />
              <SizeField id="comp-height" label="Height (px)" value={out.height} onChange={(height) => setOutput({ height })} />
              <div className="field">
                <label htmlFor="comp-format">Format</label>
                <select id="comp-format" value={out.format} onChange={(e) => setOutput({ format: e.target.value as Output['format'] })}>
                  <option value="png">PNG</option>
                  <option value="jpeg">JPEG</option>
                </select>
              </div>
              <Slider id="comp-quality" label={`JPEG quality ${out.quality}`} min={1} max={100} step={1} value={out.quality} disabled={out.format !== 'jpeg'} onChange={(v) => setOutput({ quality: v })} />
              <Check id="comp-force" label="Shrink to fit memory" checked={out.forceDownscale} onChange={(forceDownscale) => setOutput({ forceDownscale })} />
              <Check id="comp-masks" label="Coverage masks" checked={out.masks} onChange={(masks) => setOutput({ masks })} />
              <Check id="comp-avm" label="Sky position (AVM)" checked={out.embedAvm} onChange={(embedAvm) => setOutput({ embedAvm })} />
            </div>
            <details>
              <summary>AVM metadata</summary>
              <div className="row">
                {AVM_FIELDS.map(([k, name]) => (
                  <div className="field" key={k}>
                    <label htmlFor={`comp-avm-${k}`}>{name}</label>
                    <input id={`comp-avm-${k}`} type="text" maxLength={k === 'description' ? 2000 : 200} value={out.avm[k]} disabled={!out.embedAvm}
                      placeholder={k === 'facility' ? 'JWST' : ''} onChange={(e) => setOut((v) => ({ ...v, avm: { ...v.avm, [k]: e.target.value } }))} />
                  </div>
                ))}
              </div>
            </details>
            <div className="row">
              <button type="button" className="primary" disabled={job !== null || !ready} onClick={() => void generate()}>
                {job ? 'Generating…' : 'Generate composite'}
              </button>
              {job && <button type="button" onClick={() => jobCtl.current?.abort()}>Cancel</button>}
            </div>
            {job && (
              <div data-testid="composite-job">
                <ProgressBar percent={job.fraction * 100} label="Render job" />
                <p className="muted">{job.id ? `Job ${job.id}: ` : ''}{job.message} ({Math.round(job.fraction * 100)} %)</p>
              </div>
            )}
          </fieldset>
        </div>
        <div className="composite-view">
          {error && <p className="error" role="alert">{error}</p>}
          {!shown && <p className="panel muted">{ready ? 'Rendering the preview…' : blocked}</p>}
          {shown && !ready && <p className="muted" role="status">{blocked}</p>}
          {shown && (
            <div className="panel">
              <p className="muted preview-state" data-testid="preview-state">
                <span className="line">{state === 'done' ? `Full resolution (${sizeText(shown)})` : `Preview (${sizeText(shown)})${state === 'full' ? ', full resolution on the way…' : ''}`}</span>
                <span data-testid="quality-score" title={`SNR ${shown.quality.snr}, balance ${shown.quality.balance}, spread ${shown.quality.spread}, coverage ${shown.quality.coverage}`}>
                  {shown.quality.score ? `quality ${shown.quality.score} / 5` : ''}
                  {shown.cache && <span className="muted"> · channels from cache {shown.cache}</span>}
                </span>
                {shown.notes.length > 0 && <span className="line" data-testid="render-notes">{shown.notes.join('; ')}</span>}
              </p>
              <div
                data-testid="composite-preview"
                data-fill={`${shown.fill.x.toFixed(4)},${shown.fill.y.toFixed(4)}`}
                style={{ display: 'inline-block', position: 'relative', overflow: 'hidden', cursor: dragMode === 'pan' ? 'grab' : 'crosshair', touchAction: 'none', userSelect: 'none' }}
                onPointerDown={onPointerDown}
                onPointerMove={onPointerMove}
                onPointerUp={onPointerUp}
                onPointerCancel={onPointerUp}
                onWheel={onWheel}
              >
                <img src={shown.url} alt="Composite preview" draggable={false} style={{ width: boxW, height: boxH, objectFit: 'contain', background: '#000', display: 'block' }} />
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
      {result && (
        <p className="muted" data-testid="job-result">
          Rendered by the job: {sizeText(result)}{result.quality.score ? `, quality ${result.quality.score} / 5` : ''}{result.notes.length > 0 ? ` (${result.notes.join('; ')})` : ''}
        </p>
      )}
      <ImageResult url={result?.url ?? null} filename={`composite.${result?.mime === 'image/jpeg' ? 'jpg' : 'png'}`} mime={result?.mime ?? 'image/png'} />
    </section>
  );
}
