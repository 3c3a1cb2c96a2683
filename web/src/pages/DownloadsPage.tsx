import { useCallback, useEffect, useRef, useState } from 'react';
import { deleteJson, getJson, postJson, ApiError, formatBytes, formatDuration, withToken } from '../api/client.js';
import type { JobProgress } from '../api/types.js';
import { ProgressBar } from '../components/ProgressBar.js';
import { href } from '../router.js';

const ACTIVE = new Set(['queued', 'fetching_products', 'downloading']);

export function DownloadsPage() {
  const [jobs, setJobs] = useState<Record<string, JobProgress>>({});
  const [error, setError] = useState<string | null>(null);
  const streams = useRef(new Map<string, EventSource>());

  const follow = useCallback((jobId: string) => {
    if (streams.current.has(jobId)) return;
    const es = new EventSource(withToken(`/mast/download/events/${encodeURIComponent(jobId)}`));
    streams.current.set(jobId, es);
    const onData = (ev: MessageEvent<string>) => {
      try {
        const p = JSON.parse(ev.data) as JobProgress;
        setJobs((j) => ({ ...j, [p.job_id]: p }));
        if (!ACTIVE.has(p.stage)) {
          es.close();
          streams.current.delete(jobId);
        }
      } catch {
        // ignore keep-alives
      }
    };
    es.onmessage = onData;
    es.addEventListener('progress', onData as EventListener);
    es.onerror = () => {
      es.close();
      streams.current.delete(jobId);
    };
  }, []);

  const refresh = useCallback(async () => {
    try {
      const res = await getJson<{ jobs: JobProgress[] }>('/mast/download/jobs');
      const map: Record<string, JobProgress> = {};
      for (const j of res.jobs) {
        map[j.job_id] = j;
        if (ACTIVE.has(j.stage)) follow(j.job_id);
      }
      setJobs(map);
    } catch (err) {
      setError(err instanceof ApiError ? err.detail : String(err));
    }
  }, [follow]);

  useEffect(() => {
    void refresh();
    const all = streams.current;
    return () => {
      for (const es of all.values()) es.close();
      all.clear();
    };
  }, [refresh]);

  async function act(jobId: string, action: 'pause' | 'resume' | 'cancel' | 'dismiss') {
    setError(null);
    try {
      if (action === 'dismiss') await deleteJson(`/mast/download/resumable/${encodeURIComponent(jobId)}?delete_files=false`);
      else await postJson(`/mast/download/${action}/${encodeURIComponent(jobId)}`, {});
      if (action === 'resume') follow(jobId);
      await refresh();
    } catch (err) {
      setError(err instanceof ApiError ? err.detail : String(err));
    }
  }

  const list = Object.values(jobs).sort((a, b) => String(b.started_at).localeCompare(String(a.started_at)));
  return (
    <section aria-labelledby="dl-title">
      <h1 id="dl-title">Downloads</h1>
      <div className="row" style={{ marginBottom: 8 }}>
        <button type="button" onClick={() => void refresh()}>Refresh</button>
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      {list.length === 0 && <p className="muted">No download jobs yet. Start one from an observation's products.</p>}
      {list.map((j) => (
        <article key={j.job_id} className="panel" aria-label={`download job ${j.job_id}`} data-job-id={j.job_id}>
          <div className="row" style={{ justifyContent: 'space-between', alignItems: 'center' }}>
            <div>
              <strong>{j.obs_id}</strong> <span className={`badge ${j.stage === 'complete' ? 'ok' : j.stage === 'failed' || j.stage === 'cancelled' ? 'bad' : 'warn'}`} data-testid="job-stage">{j.stage}</span>
              <div className="muted">{j.message}</div>
            </div>
            <div className="row">
              {ACTIVE.has(j.stage) && <button type="button" onClick={() => void act(j.job_id, 'pause')}>Pause</button>}
              {(j.stage === 'paused' || (j.stage === 'failed' && j.is_resumable)) && <button type="button" onClick={() => void act(j.job_id, 'resume')}>Resume</button>}
              {(ACTIVE.has(j.stage) || j.stage === 'paused') && <button type="button" className="danger" onClick={() => void act(j.job_id, 'cancel')}>Cancel</button>}
              {!ACTIVE.has(j.stage) && <button type="button" onClick={() => void act(j.job_id, 'dismiss')}>Dismiss</button>}
            </div>
          </div>
          <div className="row" style={{ alignItems: 'center', marginTop: 8 }}>
            <div style={{ flex: 1 }}><ProgressBar percent={j.download_progress_percent} label={`job ${j.obs_id} progress`} /></div>
            <span data-testid="job-bytes">{formatBytes(j.downloaded_bytes)} / {formatBytes(j.total_bytes)}</span>
            <span>{formatBytes(j.speed_bytes_per_sec)}/s</span>
            <span>ETA {formatDuration(j.eta_seconds)}</span>
          </div>
          {j.error && <p className="error">{j.error}</p>}
          <details open={j.file_progress.length <= 20}>
            <summary>{j.downloaded_files} of {j.total_files} files</summary>
            <table>
              <thead><tr><th scope="col">File</th><th scope="col">Progress</th><th scope="col">Bytes</th><th scope="col">Status</th></tr></thead>
              <tbody>
                {j.file_progress.map((f) => (
                  <tr key={f.filename}>
                    <td>
                      {f.status === 'complete' && f.relative_path ? <a href={href('viewer', { file: f.relative_path })}>{f.filename}</a> : f.filename}
                    </td>
                    <td style={{ minWidth: 160 }}><ProgressBar percent={f.progress_percent} label={`${f.filename} progress`} /></td>
                    <td>{formatBytes(f.downloaded_bytes)} / {formatBytes(f.total_bytes)}</td>
                    <td>{f.status}{f.error ? `: ${f.error}` : ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        </article>
      ))}
    </section>
  );
}
