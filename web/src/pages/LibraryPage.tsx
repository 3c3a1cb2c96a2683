/**
 * The data library (GET /api/jwstdata): "My data" (the signed-in user's records) or the public
 * library, filtered by level, instrument, filter and target, newest first, paged by X-Next-Cursor.
 * Each file shows its thumbnail, facts, owner and lineage ("made from ... by job ...").
 * Without users (single-user engine) there is one view: every file.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { ApiError, getJson, getJsonPage, query, withToken, formatBytes } from '../api/client.js';
import type { DataRecord, Lineage, Me } from '../api/types.js';
import { href } from '../router.js';

type View = 'mine' | 'public' | 'all';
const LEVELS = ['', 'L1', 'L2a', 'L2b', 'L3'];
const PAGE = 60;

interface Filters {
  level: string;
  instrument: string;
  filter: string;
  target: string;
}
const NO_FILTERS: Filters = { level: '', instrument: '', filter: '', target: '' };

function Thumbnail({ record }: { record: DataRecord }) {
  const [failed, setFailed] = useState(false);
  if (!record.hasThumbnail || failed) return <div className="thumb" aria-hidden="true" />;
  return <img className="thumb" src={withToken(`/api/jwstdata/${encodeURIComponent(record.id)}/thumbnail`)} alt="" loading="lazy" onError={() => setFailed(true)} />;
}

/** "made from A, B by job J" for a file a job produced (or that was made from other records). */
function LineageLine({ record }: { record: DataRecord }) {
  const [lineage, setLineage] = useState<Lineage | null>(null);
  const made = Boolean(record.jobId) || record.derivedFrom.length > 0;
  useEffect(() => {
    if (!made) return;
    let live = true;
    getJson<Lineage>(`/api/jwstdata/${encodeURIComponent(record.id)}/lineage`).then((l) => live && setLineage(l), () => undefined);
    return () => {
      live = false;
    };
  }, [record.id, made]);
  if (!made || !lineage) return null;
  const inputs = lineage.inputs.map((i) => i.fileName ?? 'a record you cannot see');
  if (lineage.source === 'download') return <div className="muted lineage">downloaded from MAST{lineage.jobId ? <> by job <code>{lineage.jobId}</code></> : null}</div>;
  return (
    <div className="muted lineage">
      made from {inputs.length ? inputs.join(', ') : 'nothing recorded'}
      {lineage.jobId ? <> by job <code>{lineage.jobId}</code></> : null}
    </div>
  );
}

function RecordCard({ record, me }: { record: DataRecord; me: Me | null }) {
  const info = record.imageInfo ?? {};
  const mine = Boolean(me?.user && record.userId === me.user.userId);
  return (
    <li className="row library-record" style={{ alignItems: 'flex-start', flexWrap: 'nowrap' }} data-testid="library-record">
      <Thumbnail record={record} />
      <div style={{ minWidth: 0 }}>
        <a href={href('viewer', { file: record.filePath })} style={{ wordBreak: 'break-all' }}>{record.fileName}</a>
        <div className="row" style={{ gap: 4, flexWrap: 'wrap' }}>
          <span className="badge">{record.processingLevel}</span>
          {info.instrument && <span className="badge">{info.instrument}</span>}
          {info.filter && <span className="badge">{info.filter}</span>}
          {info.targetName && <span className="badge">{info.targetName}</span>}
          {record.isPublic ? <span className="badge ok">public</span> : <span className="badge warn">private</span>}
          {mine && <span className="badge">yours</span>}
        </div>
        <div className="muted">{formatBytes(record.fileSize)}{record.observationBaseId ? ` · ${record.observationBaseId}` : ''}</div>
        <LineageLine record={record} />
      </div>
    </li>
  );
}

/** Records grouped by observation, groups in the order of their newest file. */
function byObservation(records: DataRecord[]): Array<[string | null, DataRecord[]]> {
  const groups = new Map<string | null, DataRecord[]>();
  for (const r of records) {
    const key = r.observationBaseId ?? null;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.entries()];
}

export function LibraryPage({ me }: { me: Me | null }) {
  const users = Boolean(me?.authEnabled);
  const signedIn = Boolean(me?.user);
  const [view, setView] = useState<View>('all');
  const [form, setForm] = useState<Filters>(NO_FILTERS);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [records, setRecords] = useState<DataRecord[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // Only the latest request's answer is shown (the view may change while one is in flight).
  const latest = useRef(0);

  // The view follows who is signed in: my data for a user, the public library otherwise.
  useEffect(() => {
    setView(!users ? 'all' : signedIn ? 'mine' : 'public');
  }, [users, signedIn]);

  const url = (after: string | null) => `/api/jwstdata${query({
    limit: PAGE,
    cursor: after,
    mine: view === 'mine' ? true : undefined,
    isPublic: view === 'public' ? true : undefined,
    level: filters.level || undefined,
    instrument: filters.instrument.trim() || undefined,
    filter: filters.filter.trim() || undefined,
    target: filters.target.trim() || undefined,
  })}`;

  const load = async (after: string | null) => {
    const mine = ++latest.current;
    setBusy(true);
    setError(null);
    try {
      const { body, headers } = await getJsonPage<DataRecord[]>(url(after));
      if (mine !== latest.current) return;
      setRecords((prev) => (after && prev ? [...prev, ...body] : body));
      setCursor(headers.get('x-next-cursor'));
    } catch (err) {
      if (mine === latest.current) setError(err instanceof ApiError ? err.detail : String(err));
    } finally {
      if (mine === latest.current) setBusy(false);
    }
  };

  useEffect(() => {
    void load(null);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [view, filters, me]);

  const apply = (e: FormEvent) => {
    e.preventDefault();
    setFilters(form);
  };
  const field = (key: keyof Filters) => ({ value: form[key], onChange: (e: { target: { value: string } }) => setForm({ ...form, [key]: e.target.value }) });

  return (
    <section aria-labelledby="lib-title">
      <h1 id="lib-title">Library</h1>
      {users && (
        <div className="row" role="group" aria-label="Which library" style={{ gap: 4, marginBottom: 8 }}>
          <button type="button" aria-pressed={view === 'mine'} disabled={!signedIn} title={signedIn ? undefined : 'Sign in to see your data'} onClick={() => setView('mine')}>My data</button>
          <button type="button" aria-pressed={view === 'public'} onClick={() => setView('public')}>Public library</button>
        </div>
      )}
      <form className="panel row" style={{ gap: 8, alignItems: 'flex-end', flexWrap: 'wrap' }} onSubmit={apply} aria-label="Library filters">
        <div><label htmlFor="lib-level">Level</label> <select id="lib-level" {...field('level')}>{LEVELS.map((l) => <option key={l} value={l}>{l || 'any'}</option>)}</select></div>
        <div><label htmlFor="lib-instrument">Instrument</label> <input id="lib-instrument" {...field('instrument')} placeholder="NIRCAM" maxLength={64} /></div>
        <div><label htmlFor="lib-filter">Filter</label> <input id="lib-filter" {...field('filter')} placeholder="F444W" maxLength={64} /></div>
        <div><label htmlFor="lib-target">Target</label> <input id="lib-target" {...field('target')} placeholder="starts with…" maxLength={200} /></div>
        <button type="submit" className="primary">Apply</button>
      </form>
      {error && <p className="error" role="alert">{error}</p>}
      {records && records.length === 0 && (
        <p className="muted">{view === 'mine' ? 'None of your files match.' : 'No files match.'}</p>
      )}
      {records && byObservation(records).map(([obs, group]) => (
        <div key={obs ?? ''} className="panel">
          <h2>{obs ? `Observation ${obs}` : 'Other files'}</h2>
          <ul style={{ listStyle: 'none', padding: 0, display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(300px, 1fr))', gap: 8 }}>
            {group.map((r) => <RecordCard key={r.id} record={r} me={me} />)}
          </ul>
        </div>
      ))}
      {cursor && <button type="button" disabled={busy} onClick={() => void load(cursor)}>{busy ? 'Loading…' : 'Load more'}</button>}
    </section>
  );
}
