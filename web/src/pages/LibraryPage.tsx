import { useEffect, useState } from 'react';
import { getJson, postJson, ApiError, formatBytes } from '../api/client.js';
import type { LibraryResponse } from '../api/types.js';
import { href } from '../router.js';

function Thumbnail({ filePath }: { filePath: string }) {
  const [src, setSrc] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let live = true;
    postJson<{ thumbnail_base64: string }>('/thumbnail', { file_path: filePath })
      .then((r) => live && setSrc(`data:image/png;base64,${r.thumbnail_base64}`))
      .catch(() => live && setFailed(true));
    return () => {
      live = false;
    };
  }, [filePath]);
  if (failed) return <div className="thumb" aria-hidden="true" />;
  return src ? <img className="thumb" src={src} alt="" /> : <div className="thumb" aria-hidden="true" />;
}

export function LibraryPage() {
  const [lib, setLib] = useState<LibraryResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    getJson<LibraryResponse>('/library').then(setLib, (err) => setError(err instanceof ApiError ? err.detail : String(err)));
  }, []);
  return (
    <section aria-labelledby="lib-title">
      <h1 id="lib-title">Library</h1>
      {error && <p className="error" role="alert">{error}</p>}
      {lib && lib.file_count === 0 && <p className="muted">No FITS files on disk yet.</p>}
      {lib?.groups.map((g) => (
        <div key={`${g.kind}:${g.key}`} className="panel">
          <h2>{g.kind === 'observation' ? `Observation ${g.key}` : g.key || 'Top folder'}</h2>
          <ul style={{ listStyle: 'none', padding: 0, display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(260px, 1fr))', gap: 8 }}>
            {g.files.map((f) => (
              <li key={f.file_path} className="row" style={{ alignItems: 'center', flexWrap: 'nowrap' }}>
                <Thumbnail filePath={f.file_path} />
                <div style={{ minWidth: 0 }}>
                  <a href={href('viewer', { file: f.file_path })} style={{ wordBreak: 'break-all' }}>{f.name}</a>
                  <div className="muted">{formatBytes(f.size_bytes)}</div>
                </div>
              </li>
            ))}
          </ul>
        </div>
      ))}
    </section>
  );
}
