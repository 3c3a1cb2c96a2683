import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { postJson, ApiError } from '../api/client.js';
import type { AvailabilityResponse, MastRow, Me, SearchResponse } from '../api/types.js';
import { ResultsTable, type Column } from '../components/ResultsTable.js';
import { Footprint } from '../components/Footprint.js';
import { RecipePanel } from '../components/RecipePanel.js';
import { href } from '../router.js';
import { cacheResults, cachedResults, readSearchState, writeSearchState, type SearchForm, type SearchMode } from './search-url.js';
import { fmt, isProprietary, mjdToDate } from '../util.js';

type Mode = SearchMode;

const MODES: Array<[Mode, string]> = [
  ['target', 'Target name'],
  ['coordinates', 'Coordinates'],
  ['observation', 'Observation ID'],
  ['program', 'Program'],
  ['recent', 'Recent releases'],
];

const INSTRUMENTS = ['', 'NIRCAM', 'NIRSPEC', 'MIRI', 'NIRISS', 'FGS'];

const COLUMNS: Column<MastRow>[] = [
  {
    key: 'preview',
    label: 'Preview',
    render: (r) => {
      const src = previewOf(r);
      return src ? <img className="thumb" src={src} alt={`preview of ${r.obs_id ?? ''}`} loading="lazy" /> : <span className="muted">—</span>;
    },
  },
  {
    key: 'obs_id',
    label: 'Observation',
    sortValue: (r) => r.obs_id,
    render: (r) => <a href={href('observation', { obs_id: r.obs_id })}>{r.obs_id}</a>,
  },
  { key: 'target', label: 'Target', sortValue: (r) => r.target_name, render: (r) => fmt(r.target_name) },
  { key: 'instrument', label: 'Instrument', sortValue: (r) => r.instrument_name, render: (r) => fmt(r.instrument_name) },
  { key: 'filters', label: 'Filters', sortValue: (r) => r.filters, render: (r) => fmt(r.filters) },
  { key: 'calib', label: 'Level', sortValue: (r) => r.calib_level, render: (r) => fmt(r.calib_level) },
  { key: 'exptime', label: 'Exposure (s)', sortValue: (r) => r.t_exptime, render: (r) => fmt(r.t_exptime, 5) },
  { key: 'distance', label: 'Distance (″)', sortValue: (r) => distanceOf(r), render: (r) => fmt(distanceOf(r), 3) },
  { key: 'release', label: 'Release', sortValue: (r) => r.t_obs_release, render: (r) => mjdToDate(r.t_obs_release) },
  { key: 'footprint', label: 'Footprint', render: (r) => <Footprint region={r.s_region} /> },
  {
    key: 'rights',
    label: 'Access',
    sortValue: (r) => (isProprietary(r) ? 1 : 0),
    render: (r) => (isProprietary(r) ? <span className="badge warn">proprietary</span> : <span className="badge ok">public</span>),
  },
];

type Availability = AvailabilityResponse['results'];

/** The observation column with the library badge: "already in your library at L3". */
function withAvailability(columns: Column<MastRow>[], available: Availability): Column<MastRow>[] {
  return columns.map((c) => (c.key !== 'obs_id' ? c : {
    ...c,
    render: (r: MastRow) => {
      const a = r.obs_id ? available[r.obs_id] : undefined;
      return (
        <>
          <a href={href('observation', { obs_id: r.obs_id })}>{r.obs_id}</a>
          {a?.available && <> <a className="badge ok availability" href={href('library')} title={`${a.dataIds.length} file(s): ${a.levels.join(', ')}`}>already in your library{a.bestLevel ? ` at ${a.bestLevel}` : ''}</a></>}
        </>
      );
    },
  }));
}

/** Which of the results' observations the library holds (POST /api/jwstdata/check-availability, 50 per request). */
async function checkAvailability(obsIds: string[]): Promise<Availability> {
  const out: Availability = {};
  const ids = [...new Set(obsIds)].slice(0, 500);
  for (let i = 0; i < ids.length; i += 50) {
    const r = await postJson<AvailabilityResponse>('/api/jwstdata/check-availability', { observationIds: ids.slice(i, i + 50) });
    Object.assign(out, r.results);
  }
  return out;
}

/** Cone searches give each row's distance from the centre in arcseconds. */
function distanceOf(r: MastRow): number | undefined {
  return typeof r.distance === 'number' ? r.distance : undefined;
}

/** The engine gives `mast:` preview URIs also as HTTPS URLs (jpegURL_https). */
function previewOf(r: MastRow): string | null {
  const u = typeof r.jpegURL_https === 'string' ? r.jpegURL_https : r.jpegURL;
  return typeof u === 'string' && /^https?:/.test(u) ? u : null;
}

export function SearchPage({ me }: { me?: Me | null } = {}) {
  // The form, the search that was run and the results' page and sort live in the URL (search-url.ts).
  const [initial] = useState(() => readSearchState(new URLSearchParams(window.location.hash.split('?')[1] ?? '')));
  const [mode, setMode] = useState<Mode>(initial.form.mode);
  const [target, setTarget] = useState(initial.form.target);
  const [ra, setRa] = useState(initial.form.ra);
  const [dec, setDec] = useState(initial.form.dec);
  const [radius, setRadius] = useState(initial.form.radius);
  const [obsId, setObsId] = useState(initial.form.obsId);
  const [program, setProgram] = useState(initial.form.program);
  const [daysBack, setDaysBack] = useState(initial.form.daysBack);
  const [instrument, setInstrument] = useState(initial.form.instrument);
  const [filter, setFilter] = useState(initial.form.filter);
  const [levels, setLevels] = useState<number[]>(initial.form.levels);
  const [productType, setProductType] = useState(initial.form.productType);
  const [includeProprietary, setIncludeProprietary] = useState(initial.form.includeProprietary);
  const [busy, setBusy] = useState(false);
  const [available, setAvailable] = useState<Availability>({});
  const [error, setError] = useState<string | null>(null);
  const [ran, setRan] = useState<SearchForm | null>(initial.run ? initial.form : null);
  const [result, setResult] = useState<SearchResponse | null>(() => (initial.run ? cachedResults<SearchResponse>(initial.form) : null));
  const [page, setPage] = useState(initial.page);
  const [sort, setSort] = useState(initial.sort);
  const form: SearchForm = { mode, target, ra, dec, radius, obsId, program, daysBack, instrument, filter, levels, productType, includeProprietary };

  // The URL follows the form as typed, the search run, and the results' page and sort.
  const formKey = JSON.stringify(form);
  useEffect(() => {
    writeSearchState({ form: ran ?? form, run: ran !== null, page, sort });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [formKey, ran, page, sort]);

  // A link or reload with run=1 whose answer is not kept in this tab: search again.
  useEffect(() => {
    if (initial.run && !result) void runSearch(initial.form, initial.page);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    await runSearch(form, 0);
  }

  async function runSearch(f: SearchForm, firstPage: number) {
    const { mode, target, ra, dec, radius, obsId, program, daysBack, instrument, filter, levels, productType, includeProprietary } = f;
    setBusy(true);
    setError(null);
    const filters: Record<string, unknown> = {};
    if (instrument) filters.instrument = instrument;
    if (filter) filters.filter = filter;
    if (productType) filters.dataproduct_type = productType;
    if (includeProprietary) filters.include_proprietary = true;
    const calib_level = levels.length ? levels : undefined;
    try {
      let res: SearchResponse;
      switch (mode) {
        case 'target':
          res = await postJson('/mast/search/target', { target_name: target, radius: Number(radius), calib_level, filters, limit: 500 });
          break;
        case 'coordinates':
          res = await postJson('/mast/search/coordinates', { ra: numberOrText(ra), dec: numberOrText(dec), radius: Number(radius), calib_level, filters, limit: 500 });
          break;
        case 'observation':
          res = await postJson('/mast/search/observation', { obs_id: obsId, calib_level, filters, limit: 500 });
          break;
        case 'program':
          res = await postJson('/mast/search/program', { program_id: program, calib_level, filters, limit: 500 });
          break;
        default:
          res = await postJson('/mast/search/recent', { days_back: Number(daysBack), instrument: instrument || undefined, limit: 200, offset: 0 });
      }
      setResult(res);
      setRan(f);
      setPage(firstPage);
      cacheResults(f, res);
    } catch (err) {
      setResult(null);
      setRan(null);
      setError(err instanceof ApiError ? `${err.detail} (HTTP ${err.status})` : String(err));
    } finally {
      setBusy(false);
    }
  }

  // The library badge: asked again for new results and when the signed-in user changes.
  useEffect(() => {
    const ids = (result?.results ?? []).map((r) => r.obs_id).filter((x): x is string => typeof x === 'string' && x !== '');
    if (ids.length === 0) return setAvailable({});
    let live = true;
    checkAvailability(ids).then((a) => live && setAvailable(a), () => live && setAvailable({}));
    return () => {
      live = false;
    };
  }, [result, me]);
  const columns = useMemo(() => withAvailability(COLUMNS, available), [available]);

  return (
    <section aria-labelledby="search-title">
      <h1 id="search-title">Search MAST for JWST observations</h1>
      <form className="panel" onSubmit={onSubmit}>
        <div className="tabs" role="tablist" aria-label="Search by">
          {MODES.map(([m, label]) => (
            <button key={m} type="button" role="tab" aria-selected={mode === m} onClick={() => setMode(m)}>{label}</button>
          ))}
        </div>
        <div className="row">
          {mode === 'target' && (
            <div className="field">
              <label htmlFor="target">Target name</label>
              <input id="target" value={target} onChange={(e) => setTarget(e.target.value)} required />
            </div>
          )}
          {mode === 'coordinates' && (
            <>
              <div className="field">
                <label htmlFor="ra">RA (deg or hh:mm:ss)</label>
                <input id="ra" value={ra} onChange={(e) => setRa(e.target.value)} required />
              </div>
              <div className="field">
                <label htmlFor="dec">Dec (deg or dd:mm:ss)</label>
                <input id="dec" value={dec} onChange={(e) => setDec(e.target.value)} required />
              </div>
            </>
          )}
          {(mode === 'target' || mode === 'coordinates') && (
            <div className="field">
              <label htmlFor="radius">Radius (deg)</label>
              <input id="radius" type="number" step="any" min="0.0001" max="10" value={radius} onChange={(e) => setRadius(e.target.value)} />
            </div>
          )}
          {mode === 'observation' && (
            <div className="field">
              <label htmlFor="obsid">Observation ID (* wildcards)</label>
              <input id="obsid" value={obsId} onChange={(e) => setObsId(e.target.value)} placeholder="jw02733-o001*" required />
            </div>
          )}
          {mode === 'program' && (
            <div className="field">
              <label htmlFor="program">Program ID</label>
              <input id="program" value={program} onChange={(e) => setProgram(e.target.value)} placeholder="2733" required />
            </div>
          )}
          {mode === 'recent' && (
            <div className="field">
              <label htmlFor="days">Released in the last (days)</label>
              <input id="days" type="number" min="1" max="365" value={daysBack} onChange={(e) => setDaysBack(e.target.value)} />
            </div>
          )}
          <div className="field">
            <label htmlFor="instrument">Instrument</label>
            <select id="instrument" value={instrument} onChange={(e) => setInstrument(e.target.value)}>
              {INSTRUMENTS.map((i) => <option key={i} value={i}>{i || 'Any'}</option>)}
            </select>
          </div>
          {mode !== 'recent' && (
            <>
              <div className="field">
                <label htmlFor="filter">Filter</label>
                <input id="filter" value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="F444W" />
              </div>
              <div className="field">
                <label htmlFor="ptype">Product type</label>
                <select id="ptype" value={productType} onChange={(e) => setProductType(e.target.value)}>
                  <option value="">Any</option>
                  <option value="image">image</option>
                  <option value="spectrum">spectrum</option>
                  <option value="cube">cube</option>
                  <option value="timeseries">timeseries</option>
                </select>
              </div>
              <fieldset className="field" style={{ border: 'none', padding: 0 }}>
                <legend className="label">Calibration level</legend>
                <div className="row">
                  {[1, 2, 3, 4].map((l) => (
                    <label key={l} style={{ display: 'flex', gap: 4, alignItems: 'center' }}>
                      <input type="checkbox" checked={levels.includes(l)} onChange={(e) => setLevels((ls) => (e.target.checked ? [...ls, l].sort() : ls.filter((x) => x !== l)))} />
                      {l}
                    </label>
                  ))}
                </div>
              </fieldset>
              <label style={{ display: 'flex', gap: 6, alignItems: 'center' }}>
                <input type="checkbox" checked={includeProprietary} onChange={(e) => setIncludeProprietary(e.target.checked)} />
                Include proprietary
              </label>
            </>
          )}
          <button type="submit" className="primary" disabled={busy}>{busy ? 'Searching…' : 'Search'}</button>
        </div>
      </form>
      {error && <p className="error" role="alert">{error}</p>}
      {result && <RecipePanel rows={result.results} target={ran?.mode === 'target' ? ran.target : ''} />}
      {result && (
        <div className="panel" aria-live="polite">
          <ResultsTable
            rows={result.results}
            columns={columns}
            rowKey={(r, i) => `${r.obs_id ?? ''}-${String(r.obsid ?? i)}`}
            page={page}
            onPage={setPage}
            sort={sort}
            onSort={setSort}
            caption={`${result.result_count} observation${result.result_count === 1 ? '' : 's'}${result.total_count !== undefined && result.total_count !== result.result_count ? ` of ${result.total_count}` : ''}`}
          />
        </div>
      )}
    </section>
  );
}

function numberOrText(v: string): number | string {
  const n = Number(v);
  return v.trim() !== '' && Number.isFinite(n) ? n : v.trim();
}
