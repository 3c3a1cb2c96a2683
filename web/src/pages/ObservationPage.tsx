import { useEffect, useMemo, useState } from 'react';
import { postJson, ApiError, formatBytes } from '../api/client.js';
import type { Product, ProductsResponse } from '../api/types.js';
import { navigate } from '../router.js';
import { fmt } from '../util.js';

export function ObservationPage({ obsId }: { obsId: string }) {
  const [products, setProducts] = useState<Product[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [typeFilter, setTypeFilter] = useState('SCIENCE');
  const [starting, setStarting] = useState(false);

  useEffect(() => {
    if (!obsId) return;
    setProducts(null);
    setError(null);
    postJson<ProductsResponse>('/mast/products', { obs_id: obsId, product_type: 'ALL', extension: '*' })
      .then((r) => setProducts(r.products))
      .catch((err) => setError(err instanceof ApiError ? err.detail : String(err)));
  }, [obsId]);

  const visible = useMemo(
    () => (products ?? []).filter((p) => !typeFilter || String(p.productType ?? '').toUpperCase() === typeFilter),
    [products, typeFilter],
  );
  const totalSelected = visible.filter((p) => selected.has(String(p.productFilename))).reduce((s, p) => s + (Number(p.size) || 0), 0);

  async function download(files: Product[]) {
    setStarting(true);
    setError(null);
    try {
      await postJson('/mast/download/start-chunked', {
        obs_id: obsId,
        product_type: typeFilter || 'SCIENCE',
        product_filenames: files.map((f) => String(f.productFilename)),
      });
      navigate('downloads');
    } catch (err) {
      setError(err instanceof ApiError ? err.detail : String(err));
    } finally {
      setStarting(false);
    }
  }

  if (!obsId) return <p>Choose an observation from the <a href="#/search">search</a>.</p>;
  return (
    <section aria-labelledby="obs-title">
      <h1 id="obs-title">Observation {obsId}</h1>
      {error && <p className="error" role="alert">{error}</p>}
      {!products && !error && <p aria-live="polite">Loading products…</p>}
      {products && (
        <div className="panel">
          <div className="row" style={{ marginBottom: 8 }}>
            <div className="field">
              <label htmlFor="ptype-filter">Product type</label>
              <select id="ptype-filter" value={typeFilter} onChange={(e) => setTypeFilter(e.target.value)}>
                <option value="">All</option>
                <option value="SCIENCE">SCIENCE</option>
                <option value="PREVIEW">PREVIEW</option>
                <option value="AUXILIARY">AUXILIARY</option>
                <option value="INFO">INFO</option>
              </select>
            </div>
            <button type="button" onClick={() => setSelected(new Set(visible.map((p) => String(p.productFilename))))}>Select all</button>
            <button type="button" onClick={() => setSelected(new Set())}>Select none</button>
            <button type="button" className="primary" disabled={starting || selected.size === 0}
              onClick={() => download(visible.filter((p) => selected.has(String(p.productFilename))))}>
              Download selected ({selected.size}, {formatBytes(totalSelected)})
            </button>
            <button type="button" disabled={starting || visible.length === 0} onClick={() => download(visible)}>Download all shown</button>
          </div>
          <div className="table-wrap">
            <table>
              <caption className="muted" style={{ textAlign: 'left' }}>{visible.length} of {products.length} products</caption>
              <thead>
                <tr><th scope="col">Select</th><th scope="col">File</th><th scope="col">Type</th><th scope="col">Subgroup</th><th scope="col">Level</th><th scope="col">Size</th></tr>
              </thead>
              <tbody>
                {visible.map((p) => {
                  const name = String(p.productFilename);
                  return (
                    <tr key={String(p.dataURI ?? name)}>
                      <td>
                        <input type="checkbox" aria-label={`select ${name}`} checked={selected.has(name)}
                          onChange={(e) => setSelected((s) => { const n = new Set(s); if (e.target.checked) n.add(name); else n.delete(name); return n; })} />
                      </td>
                      <td>{name}</td>
                      <td>{fmt(p.productType)}</td>
                      <td>{fmt(p.productSubGroupDescription)}</td>
                      <td>{fmt(p.calib_level)}</td>
                      <td>{formatBytes(Number(p.size))}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </div>
      )}
    </section>
  );
}
