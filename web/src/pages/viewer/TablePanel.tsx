import { useEffect, useMemo, useState } from 'react';
import type uPlot from 'uplot';
import { getJson, query, ApiError } from '../../api/client.js';
import type { HduInfo } from '../../api/types.js';
import { UPlotChart } from '../../components/UPlotChart.js';
import { fmt } from '../../util.js';

interface TableResponse {
  columns: Array<{ name: string; format?: string; unit?: string | null }>;
  rows: Array<Record<string, unknown>>;
  total_rows?: number;
  n_rows?: number;
}

const WAVE = /^(WAVELENGTH|WAVE|LAMBDA)$/i;
const FLUX = /^(FLUX|SURF_BRIGHT|FLUX_DENSITY)$/i;

export function TablePanel({ hdus, filePath }: { hdus: HduInfo[] | null; filePath: string }) {
  const tables = (hdus ?? []).filter((h) => /table/i.test(h.type) && !/compressed/i.test(h.type) && h.name !== 'ASDF');
  const [hdu, setHdu] = useState<number | null>(null);
  const [offset, setOffset] = useState(0);
  const [data, setData] = useState<TableResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const chosen = hdu ?? tables[0]?.index ?? null;
  const limit = 100;

  useEffect(() => {
    if (chosen === null) return;
    setError(null);
    getJson<TableResponse>(`/fits/table${query({ file_path: filePath, hdu: chosen, offset, limit })}`)
      .then(setData, (err) => setError(err instanceof ApiError ? err.detail : String(err)));
  }, [filePath, chosen, offset]);

  const spectrum = useMemo(() => {
    if (!data) return null;
    const w = data.columns.find((c) => WAVE.test(c.name));
    const f = data.columns.find((c) => FLUX.test(c.name));
    if (!w || !f) return null;
    const xs: number[] = [];
    const ys: Array<number | null> = [];
    for (const r of data.rows) {
      const x = Number(r[w.name]);
      const y = r[f.name] === null ? null : Number(r[f.name]);
      if (Number.isFinite(x)) {
        xs.push(x);
        ys.push(y !== null && Number.isFinite(y) ? y : null);
      }
    }
    return { data: [xs, ys] as uPlot.AlignedData, x: w, y: f };
  }, [data]);

  const options = useMemo<Omit<uPlot.Options, 'width' | 'height'>>(
    () => ({
      scales: { x: { time: false } },
      axes: [{ stroke: '#9aa7b4', label: spectrum ? `${spectrum.x.name} ${spectrum.x.unit ?? ''}` : '' }, { stroke: '#9aa7b4', label: spectrum ? `${spectrum.y.name} ${spectrum.y.unit ?? ''}` : '' }],
      series: [{}, { label: spectrum?.y.name ?? 'flux', stroke: '#f0b429', spanGaps: false }],
    }),
    [spectrum],
  );

  if (tables.length === 0) return <p className="muted">This file has no table HDUs.</p>;
  const total = data?.total_rows ?? data?.n_rows;
  return (
    <div>
      <div className="row">
        <div className="field">
          <label htmlFor="table-hdu">Table HDU</label>
          <select id="table-hdu" value={chosen ?? ''} onChange={(e) => { setHdu(Number(e.target.value)); setOffset(0); }}>
            {tables.map((t) => <option key={t.index} value={t.index}>{t.index}: {t.name || t.type}</option>)}
          </select>
        </div>
        <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - limit))}>Previous rows</button>
        <button type="button" disabled={total !== undefined && offset + limit >= total} onClick={() => setOffset(offset + limit)}>Next rows</button>
        {total !== undefined && <span className="muted">rows {offset + 1}–{Math.min(total, offset + limit)} of {total}</span>}
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      {spectrum && <UPlotChart data={spectrum.data} options={options} label="Spectrum plot" height={260} />}
      {data && (
        <div className="table-wrap" style={{ maxHeight: 400, overflow: 'auto' }}>
          <table>
            <thead><tr>{data.columns.map((c) => <th key={c.name} scope="col">{c.name}{c.unit ? ` [${c.unit}]` : ''}</th>)}</tr></thead>
            <tbody>
              {data.rows.map((r, i) => (
                <tr key={i}>{data.columns.map((c) => <td key={c.name}>{cell(r[c.name])}</td>)}</tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function cell(v: unknown): string {
  if (Array.isArray(v)) return `[${v.slice(0, 6).map((x) => fmt(x, 5)).join(', ')}${v.length > 6 ? ', …' : ''}]`;
  return fmt(v, 6);
}
