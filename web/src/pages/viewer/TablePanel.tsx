import { useEffect, useMemo, useState } from 'react';
import type uPlot from 'uplot';
import { getJson, query, ApiError } from '../../api/client.js';
import type { HduInfo } from '../../api/types.js';
import { UPlotChart } from '../../components/UPlotChart.js';
import { fmt } from '../../util.js';

/** GET /analysis/table-data (server-side search -> sort -> page). */
interface TablePage {
  columns: Array<{ name: string; dtype?: string; unit?: string | null }>;
  rows: Array<Record<string, unknown>>;
  total_rows: number;
  page: number;
  page_size: number;
  sort_column: string | null;
  sort_direction: 'asc' | 'desc';
}

/** GET /analysis/spectral-data. */
interface Spectrum {
  wavelength_column: string;
  columns: Array<{ name: string; unit: string | null }>;
  data: Record<string, Array<number | null>>;
}

const FLUX = /^(FLUX|SURF_BRIGHT|FLUX_DENSITY)$/i;
const WAVELENGTH_UNITS = ['', 'um', 'nm', 'Angstrom'];
const FLUX_UNITS = ['', 'MJy/sr', 'Jy', 'ABmag', 'erg/s/cm2/Angstrom'];
const PAGE_SIZE = 100;

/** Any table of the file in a sortable (click a header), searchable, paged grid; spectra plotted with unit choice (drag to zoom, double-click to reset). */
export function TablePanel({ hdus, filePath }: { hdus: HduInfo[] | null; filePath: string }) {
  const tables = (hdus ?? []).filter((h) => /table/i.test(h.type) && !/compressed/i.test(h.type) && h.name !== 'ASDF');
  const [hdu, setHdu] = useState<number | null>(null);
  const [page, setPage] = useState(0);
  const [sort, setSort] = useState<{ column: string; direction: 'asc' | 'desc' } | null>(null);
  const [searchText, setSearchText] = useState('');
  const [search, setSearch] = useState('');
  const [data, setData] = useState<TablePage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [waveUnit, setWaveUnit] = useState('');
  const [fluxUnit, setFluxUnit] = useState('');
  const [spectrum, setSpectrum] = useState<Spectrum | null>(null);
  const chosen = hdu ?? tables[0]?.index ?? null;

  useEffect(() => {
    if (chosen === null) return;
    setError(null);
    const q = { file_path: filePath, hdu_index: chosen, page, page_size: PAGE_SIZE, ...(sort ? { sort_column: sort.column, sort_direction: sort.direction } : {}), ...(search ? { search } : {}) };
    // Answers to an older request (another file, HDU, page or search) arrive late: drop them.
    let current = true;
    getJson<TablePage>(`/analysis/table-data${query(q)}`).then(
      (r) => { if (current) setData(r); },
      (err) => { if (current) setError(err instanceof ApiError ? err.detail : String(err)); },
    );
    return () => { current = false; };
  }, [filePath, chosen, page, sort, search]);

  const hasWavelength = data?.columns.some((c) => /^(WAVELENGTH|WAVE|LAMBDA)$/i.test(c.name)) ?? false;
  useEffect(() => {
    setSpectrum(null);
    if (chosen === null || !hasWavelength) return;
    const q = { file_path: filePath, hdu_index: chosen, ...(waveUnit ? { wavelength_unit: waveUnit } : {}), ...(fluxUnit ? { flux_unit: fluxUnit } : {}) };
    let current = true;
    getJson<Spectrum>(`/analysis/spectral-data${query(q)}`).then((r) => { if (current) setSpectrum(r); }, () => { if (current) setSpectrum(null); });
    return () => { current = false; };
  }, [filePath, chosen, hasWavelength, waveUnit, fluxUnit]);

  const plot = useMemo(() => {
    if (!spectrum) return null;
    const y = spectrum.columns.find((c) => FLUX.test(c.name));
    const x = spectrum.columns.find((c) => c.name === spectrum.wavelength_column);
    if (!x || !y) return null;
    const xs = spectrum.data[x.name] ?? [];
    const ys = spectrum.data[y.name] ?? [];
    const px: number[] = [];
    const py: Array<number | null> = [];
    xs.forEach((v, i) => {
      if (v !== null && Number.isFinite(v)) {
        px.push(v);
        const f = ys[i];
        py.push(f !== null && f !== undefined && Number.isFinite(f) ? f : null);
      }
    });
    return { data: [px, py] as uPlot.AlignedData, x, y };
  }, [spectrum]);

  const options = useMemo<Omit<uPlot.Options, 'width' | 'height'>>(
    () => ({
      scales: { x: { time: false } },
      cursor: { drag: { x: true, y: false } },
      axes: [{ stroke: '#9aa7b4', label: plot ? `${plot.x.name} ${plot.x.unit ?? ''}` : '' }, { stroke: '#9aa7b4', label: plot ? `${plot.y.name} ${plot.y.unit ?? ''}` : '' }],
      series: [{}, { label: plot?.y.name ?? 'flux', stroke: '#f0b429', spanGaps: false }],
    }),
    [plot],
  );

  if (tables.length === 0) return <p className="muted">This file has no table HDUs.</p>;
  const total = data?.total_rows;
  const first = data ? data.page * data.page_size : 0;
  const toggleSort = (column: string): void => {
    setSort(sort?.column === column ? { column, direction: sort.direction === 'asc' ? 'desc' : 'asc' } : { column, direction: 'asc' });
    setPage(0);
  };
  return (
    <div>
      <div className="row">
        <div className="field">
          <label htmlFor="table-hdu">Table HDU</label>
          <select id="table-hdu" value={chosen ?? ''} onChange={(e) => { setHdu(Number(e.target.value)); setPage(0); setSort(null); setSearch(''); setSearchText(''); }}>
            {tables.map((t) => <option key={t.index} value={t.index}>{t.index}: {t.name || t.type}</option>)}
          </select>
        </div>
        <form className="field" onSubmit={(e) => { e.preventDefault(); setSearch(searchText.trim()); setPage(0); }}>
          <label htmlFor="table-search">Search rows</label>
          <input id="table-search" type="search" maxLength={200} value={searchText} onChange={(e) => setSearchText(e.target.value)} />
        </form>
        <button type="button" disabled={!data || data.page === 0} onClick={() => setPage(Math.max(0, (data?.page ?? 1) - 1))}>Previous rows</button>
        <button type="button" disabled={total === undefined || first + PAGE_SIZE >= total} onClick={() => setPage((data?.page ?? 0) + 1)}>Next rows</button>
        {total !== undefined && <span className="muted" data-testid="table-range">rows {total === 0 ? 0 : first + 1}–{Math.min(total, first + PAGE_SIZE)} of {total}{search ? ` matching “${search}”` : ''}</span>}
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      {plot && (
        <>
          <div className="row">
            <div className="field">
              <label htmlFor="spectrum-wave-unit">Wavelength unit</label>
              <select id="spectrum-wave-unit" value={waveUnit} onChange={(e) => setWaveUnit(e.target.value)}>
                {WAVELENGTH_UNITS.map((u) => <option key={u} value={u}>{u || 'as stored'}</option>)}
              </select>
            </div>
            <div className="field">
              <label htmlFor="spectrum-flux-unit">Flux unit</label>
              <select id="spectrum-flux-unit" value={fluxUnit} onChange={(e) => setFluxUnit(e.target.value)}>
                {FLUX_UNITS.map((u) => <option key={u} value={u}>{u || 'as stored'}</option>)}
              </select>
            </div>
            <span className="muted">Drag across the plot to zoom, double-click to reset.</span>
          </div>
          <UPlotChart data={plot.data} options={options} label="Spectrum plot" height={260} />
        </>
      )}
      {data && (
        <div className="table-wrap" style={{ maxHeight: 400, overflow: 'auto' }}>
          <table>
            <thead>
              <tr>
                {data.columns.map((c) => {
                  const active = data.sort_column === c.name;
                  return (
                    <th key={c.name} scope="col" aria-sort={active ? (data.sort_direction === 'asc' ? 'ascending' : 'descending') : 'none'}>
                      <button type="button" className="link" onClick={() => toggleSort(c.name)} title={`Sort by ${c.name}`}>
                        {c.name}{c.unit ? ` [${c.unit}]` : ''}{active ? (data.sort_direction === 'asc' ? ' ▲' : ' ▼') : ''}
                      </button>
                    </th>
                  );
                })}
              </tr>
            </thead>
            <tbody>
              {data.rows.map((r, i) => (
                <tr key={i}>{data.columns.map((c) => <td key={c.name}>{fmt(r[c.name], 6)}</td>)}</tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
