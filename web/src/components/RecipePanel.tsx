/**
 * Composite recipes for the search's results (POST /discovery/suggest-recipes), each built in one
 * click: the level-3 observations of its filters that the library lacks are downloaded as jobs
 * (POST /mast/download/start-chunked, their i2d products only), followed over the jobs' event
 * streams, then the composite page opens with one channel per filter (its files and the colour of
 * its wavelength) and renders.
 */
import { useEffect, useRef, useState } from 'react';
import { getJson, postJson, withToken, ApiError, formatBytes } from '../api/client.js';
import type { JobProgress, LibraryResponse, MastRow } from '../api/types.js';
import { compositeParams, planRecipe, suggestRequest, targetOf, type LinkedChannel, type Recipe, type RecipePlan, type SuggestRecipesResponse } from '../recipes.js';
import { navigate } from '../router.js';
import { invalidateLibrary } from './FilePicker.js';
import { ProgressBar } from './ProgressBar.js';

const I2D = /_i2d\.fits$/i;
const FINISHED = new Set(['complete', 'failed', 'cancelled', 'paused']);

interface Item {
  obsId: string;
  filter: string;
  state: 'in library' | 'starting' | 'queued' | 'downloading' | 'complete' | 'failed';
  downloaded: number;
  total: number;
  files: string[];
  error?: string;
}

interface Build {
  recipe: string;
  items: Item[];
  error: string | null;
}

/** The job's last progress once it is finished: its event stream, or polling when the stream fails. */
function followJob(jobId: string, onProgress: (p: JobProgress) => void, signal: AbortSignal): Promise<JobProgress> {
  const url = `/mast/download/progress-chunked/${encodeURIComponent(jobId)}`;
  return new Promise<JobProgress>((resolve, reject) => {
    let done = false;
    const finish = (fn: () => void) => {
      if (done) return;
      done = true;
      es.close();
      fn();
    };
    const final = () => getJson<JobProgress>(url).then((p) => finish(() => resolve(p)), (err: unknown) => finish(() => reject(err)));
    const es = new EventSource(withToken(`/mast/download/events/${encodeURIComponent(jobId)}`));
    es.addEventListener('progress', (ev) => {
      try {
        onProgress(JSON.parse((ev as MessageEvent<string>).data) as JobProgress);
      } catch {
        // a malformed event: the next one or the end tells
      }
    });
    es.addEventListener('end', () => void final());
    es.onerror = () => {
      if (done) return;
      es.close();
      // The stream broke (proxy, restart): ask for the progress until the job is finished.
      const poll = async (): Promise<void> => {
        while (!done && !signal.aborted) {
          const p = await getJson<JobProgress>(url);
          onProgress(p);
          if (FINISHED.has(p.stage)) return finish(() => resolve(p));
          await new Promise((r) => setTimeout(r, 1000));
        }
      };
      poll().catch((err: unknown) => finish(() => reject(err)));
    };
    signal.addEventListener('abort', () => finish(() => reject(new DOMException('stopped', 'AbortError'))), { once: true });
  });
}

/** The library's i2d files by observation (the library groups MAST downloads by obs_id). */
async function libraryI2d(): Promise<Map<string, string[]>> {
  const lib = await getJson<LibraryResponse>('/library');
  const out = new Map<string, string[]>();
  for (const g of lib.groups) {
    const files = g.files.map((f) => f.file_path).filter((p) => I2D.test(p));
    if (g.kind === 'observation' && files.length) out.set(g.key, files);
  }
  return out;
}

const message = (err: unknown) => (err instanceof ApiError ? err.detail : String((err as Error).message ?? err));

export function RecipePanel({ rows, target }: { rows: readonly MastRow[]; target: string }) {
  const [answer, setAnswer] = useState<SuggestRecipesResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [build, setBuild] = useState<Build | null>(null);
  const stop = useRef<AbortController | null>(null);
  // Open beside the results on wide screens; on a phone it would push the results out of sight.
  const [open, setOpen] = useState(() => typeof window.matchMedia !== 'function' || window.matchMedia('(min-width: 700px)').matches);

  useEffect(() => {
    setAnswer(null);
    setError(null);
    const body = suggestRequest(rows, target || targetOf(rows));
    if ((body.observations as unknown[]).length === 0) return undefined;
    const ctl = new AbortController();
    postJson<SuggestRecipesResponse>('/discovery/suggest-recipes', body, ctl.signal)
      .then(setAnswer, (err: unknown) => !ctl.signal.aborted && setError(message(err)));
    return () => ctl.abort();
  }, [rows, target]);

  // Leaving the page stops following the downloads (the jobs go on; the Downloads page shows them).
  useEffect(() => () => stop.current?.abort(), []);

  async function run(recipe: Recipe, plan: RecipePlan) {
    stop.current?.abort();
    const ctl = new AbortController();
    stop.current = ctl;
    const items: Item[] = plan.channels.flatMap((c) => c.obsIds.map((obsId) => ({ obsId, filter: c.filter, state: 'starting' as const, downloaded: 0, total: 0, files: [] })));
    const patch = (obsId: string, p: Partial<Item>) => setBuild((b) => (b && b.recipe === recipe.name ? { ...b, items: b.items.map((x) => (x.obsId === obsId ? { ...x, ...p } : x)) } : b));
    setBuild({ recipe: recipe.name, items, error: null });
    try {
      const have = await libraryI2d();
      const results = await Promise.all(items.map(async (item): Promise<Item> => {
        const present = have.get(item.obsId);
        if (present) {
          patch(item.obsId, { state: 'in library', files: present });
          return { ...item, files: present };
        }
        const started = await postJson<{ job_id: string }>('/mast/download/start-chunked', {
          obs_id: item.obsId, product_type: 'SCIENCE', calib_level: [3], subgroup: ['I2D'],
        }, ctl.signal);
        patch(item.obsId, { state: 'queued' });
        const last = await followJob(started.job_id, (p) => patch(item.obsId, {
          state: p.stage === 'downloading' ? 'downloading' : p.stage === 'complete' ? 'complete' : 'queued',
          downloaded: p.downloaded_bytes, total: p.total_bytes,
        }), ctl.signal);
        const files = (last.relative_files ?? []).filter((f) => I2D.test(f));
        const failed = last.stage !== 'complete' || files.length === 0;
        const error = last.stage !== 'complete' ? `download ${last.stage}${last.error ? `: ${last.error}` : ''}` : files.length === 0 ? 'no i2d product' : undefined;
        patch(item.obsId, { state: failed ? 'failed' : 'complete', downloaded: last.downloaded_bytes, total: last.total_bytes, files, error });
        return { ...item, state: failed ? 'failed' : 'complete', files, error };
      }));
      const bad = results.filter((r) => r.state === 'failed');
      if (bad.length) throw new Error(bad.map((r) => `${r.obsId}: ${r.error ?? 'failed'}`).join('; '));
      invalidateLibrary();
      const channels: LinkedChannel[] = plan.channels.map((c) => ({
        label: c.filter,
        color: c.color,
        files: results.filter((r) => r.filter === c.filter).flatMap((r) => r.files),
      }));
      navigate('composite', compositeParams(channels, recipe.recommended_feather_strength, recipe.name));
    } catch (err) {
      if (!ctl.signal.aborted) setBuild((b) => (b && b.recipe === recipe.name ? { ...b, error: message(err) } : b));
    }
  }

  if (!answer && !error) return null;
  const recipes = answer?.recipes ?? [];
  const building = build !== null && build.error === null;
  return (
    <details className="panel recipes" open={open} onToggle={(e) => setOpen((e.currentTarget as HTMLDetailsElement).open)}>
      <summary><h2 id="recipes-title">Colour composite recipes{answer?.target?.common_name ? ` for ${answer.target.common_name}` : ''}{answer ? ` (${recipes.length})` : ''}</h2></summary>
      {error && <p className="error" role="alert">Recipes: {error}</p>}
      {answer && recipes.length === 0 && <p className="muted">No imaging filters in these results to combine.</p>}
      {build && <BuildProgress build={build} />}
      <ul className="recipe-list">
        {recipes.map((r) => {
          const plan = planRecipe(r, rows);
          return (
            <li key={`${r.name}-${r.rank}`} className="recipe" data-testid="recipe" title={r.description || undefined}>
              <button type="button" className="primary" aria-label={`Build composite: ${r.name}`}
                disabled={building || plan.channels.length === 0 || plan.unavailable.length > 0}
                onClick={() => void run(r, plan)}>
                Build
              </button>
              <strong>{r.name}</strong>
              {r.tag && <span className="badge ok">{r.tag}</span>}
              <span className="filters" aria-label="filters, shortest wavelength first">
                {r.filters.map((f) => (
                  <span key={f} className="filter-chip" style={{ borderColor: r.color_mapping[f] ?? '#888' }}>
                    <span className="swatch" style={{ background: r.color_mapping[f] ?? '#888' }} aria-hidden="true" />{f}
                  </span>
                ))}
              </span>
              <span className="muted">{r.instruments.join(' + ')}{r.requires_mosaic ? ' · mosaic' : ''}</span>
              {r.overlap_warning && <p className="warn recipe-note" role="note">{r.overlap_warning}</p>}
              {plan.unavailable.length > 0 && <p className="muted recipe-note">No level-3 product in these results for {plan.unavailable.join(', ')}.</p>}
            </li>
          );
        })}
      </ul>
    </details>
  );
}

function BuildProgress({ build }: { build: Build }) {
  const total = build.items.reduce((s, i) => s + i.total, 0);
  const done = build.items.reduce((s, i) => s + (i.state === 'in library' ? 0 : i.downloaded), 0);
  const pending = build.items.filter((i) => i.state !== 'in library' && i.state !== 'complete').length;
  return (
    <div className="build" aria-live="polite" data-testid="recipe-build">
      <p>
        <strong>{build.recipe}</strong>:{' '}
        {build.error ? 'stopped' : pending > 0 ? `downloading ${pending} observation${pending === 1 ? '' : 's'} (${formatBytes(done)} of ${formatBytes(total)})…` : 'opening the composite…'}
      </p>
      {build.error && <p className="error" role="alert">{build.error}</p>}
      <ul className="build-items">
        {build.items.map((i) => (
          <li key={i.obsId}>
            <span className="muted">{i.filter}</span> {i.obsId}: <span data-testid="build-state">{i.state}</span>
            {i.state !== 'in library' && <ProgressBar percent={i.total > 0 ? (100 * i.downloaded) / i.total : i.state === 'complete' ? 100 : 0} label={`download ${i.obsId}`} />}
          </li>
        ))}
      </ul>
    </div>
  );
}
