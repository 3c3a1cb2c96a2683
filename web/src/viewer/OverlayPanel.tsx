/**
 * The viewer's overlay panel: a catalogue table (ECSV or FITS: the observation's own `_cat.ecsv`,
 * any table with RA/Dec or x/y columns), sources found by find_stars or segmentation, footprints
 * of other files, DS9 region files read and written; the list of overlays with show/hide/remove.
 */
import { useEffect, useState, type ChangeEvent } from 'react';
import { getJson, ApiError } from '../api/client.js';
import type { LibraryResponse } from '../api/types.js';
import { formatDs9, type Ds9Region } from './ds9-regions.js';
import { drawnToDs9, type DrawnShape } from './overlay-geometry.js';
import { addOverlay, removeOverlay, updateOverlay, useOverlays } from './overlays.js';
import { catalogueOverlay, detectionOverlay, footprintOverlay, regionsOverlay, type OverlayFields } from './overlay-sources.js';
import { catalogueSource, detectionSource, footprintSource, regionFileOverlay, regionFileSource } from './overlay-url.js';

/** The catalogue a JWST pipeline writes beside an i2d image: `..._i2d.fits` -> `..._cat.ecsv`. */
export function catalogueOf(imageFile: string): string {
  return imageFile.replace(/_(i2d|s2d|cal|crf)\.fits(\.gz)?$/i, '_cat.ecsv');
}

/** Starts a browser download of some text. */
export function downloadText(name: string, text: string, type = 'text/plain'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

interface Props {
  imageFile: string;
  hdu: number;
  slice: number;
  frame: string | null;
  /** The rectangle or ellipse drawn on the image, exported with the regions. */
  drawn: DrawnShape | null;
  /** Called after an overlay was added, removed, shown or hidden (the page writes the URL). */
  onChanged?: (what: 'added' | 'removed' | 'shown') => void;
}

export function OverlayPanel({ imageFile, hdu, slice, frame, drawn, onChanged }: Props) {
  const overlays = useOverlays(imageFile);
  const [table, setTable] = useState(() => catalogueOf(imageFile));
  const [files, setFiles] = useState<string[]>([]);
  const [others, setOthers] = useState<string[]>([]);
  const [regionPath, setRegionPath] = useState('');
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => setTable(catalogueOf(imageFile)), [imageFile]);
  useEffect(() => {
    getJson<LibraryResponse>('/library').then((l) => setFiles(l.groups.flatMap((g) => g.files.map((f) => f.file_path)).filter((f) => f !== imageFile)), () => setFiles([]));
  }, [imageFile]);

  /** Loads an overlay; `source` names it in the URL when it can be loaded again (overlay-url.ts). */
  async function run(what: string, make: () => Promise<OverlayFields>, source?: string) {
    setBusy(what);
    setError(null);
    try {
      addOverlay({ ...(await make()), ...(source ? { source } : {}) });
      onChanged?.('added');
    } catch (err) {
      setError(err instanceof ApiError ? err.detail : err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(null);
    }
  }

  async function onRegionFile(e: ChangeEvent<HTMLInputElement>) {
    const f = e.target.files?.[0];
    e.target.value = '';
    if (f) await run('regions', async () => regionsOverlay(imageFile, f.name, await f.text(), frame));
  }

  function exportRegions() {
    const regions: Ds9Region[] = [...(drawn ? [drawnToDs9(drawn)] : []), ...overlays.filter((o) => o.visible).flatMap((o) => o.regions ?? [])];
    downloadText(`${imageFile.split('/').pop()?.replace(/\.fits(\.gz)?$/i, '') ?? 'regions'}.reg`, formatDs9(regions));
  }

  return (
    <div className="panel" data-testid="overlay-panel">
      <h2>Overlays</h2>
      <div className="field">
        <label htmlFor="overlay-table">Catalogue (ECSV or FITS table with RA/Dec or x/y)</label>
        <input id="overlay-table" list="overlay-files" value={table} onChange={(e) => setTable(e.target.value)} />
        <datalist id="overlay-files">{files.map((f) => <option key={f} value={f} />)}</datalist>
      </div>
      <div className="row">
        <button type="button" disabled={!!busy || !table} onClick={() => void run('catalogue', () => catalogueOverlay(imageFile, table), catalogueSource(table))}>Show catalogue</button>
        <button type="button" disabled={!!busy} onClick={() => void run('find_stars', () => detectionOverlay(imageFile, hdu, slice, 'find_stars'), detectionSource('find_stars', hdu, slice))}>Find stars</button>
        <button type="button" disabled={!!busy} onClick={() => void run('segmentation', () => detectionOverlay(imageFile, hdu, slice, 'segmentation'), detectionSource('segmentation', hdu, slice))}>Segmentation</button>
      </div>
      <div className="row">
        <label className="button-like">
          DS9 regions (.reg)…
          <input type="file" accept=".reg,.txt,text/plain" aria-label="Load DS9 regions" onChange={(e) => void onRegionFile(e)} style={{ display: 'none' }} />
        </label>
        <button type="button" onClick={exportRegions} disabled={!drawn && !overlays.some((o) => o.regions?.length)}>Save regions (.reg)</button>
      </div>
      <div className="row" style={{ alignItems: 'flex-end' }}>
        <div className="field" style={{ flex: 1, minWidth: 0 }}>
          <label htmlFor="overlay-region-path">Region file on the engine (.reg, kept in the link)</label>
          <input id="overlay-region-path" value={regionPath} placeholder="path/in/DATA_DIR.reg" onChange={(e) => setRegionPath(e.target.value)} />
        </div>
        <button type="button" disabled={!!busy || !regionPath.trim()} onClick={() => void run('regions', () => regionFileOverlay(imageFile, regionPath.trim(), frame), regionFileSource(regionPath.trim()))}>Show regions</button>
      </div>
      <div className="row" style={{ alignItems: 'flex-end' }}>
        <div className="field" style={{ flex: 1, minWidth: 0 }}>
          <label htmlFor="overlay-footprints">Footprints of other files</label>
          <select id="overlay-footprints" multiple size={Math.min(4, Math.max(2, files.length))} value={others} onChange={(e) => setOthers(Array.from(e.target.selectedOptions).map((o) => o.value))}>
            {files.filter((f) => /\.fits(\.gz)?$/i.test(f)).map((f) => <option key={f} value={f}>{f}</option>)}
          </select>
        </div>
        <button type="button" disabled={!!busy || others.length === 0} onClick={() => void run('footprints', () => footprintOverlay(imageFile, others), footprintSource(others))}>Show footprints</button>
      </div>
      {busy && <p className="muted" aria-live="polite">Loading {busy}…</p>}
      {error && <p className="error" role="alert">{error}</p>}
      {overlays.length > 0 && (
        <ul className="overlay-list" aria-label="Overlays">
          {overlays.map((o) => (
            <li key={o.id} data-testid="overlay-item">
              <label style={{ display: 'flex', gap: 6, alignItems: 'center' }}>
                <input type="checkbox" checked={o.visible} onChange={(e) => { updateOverlay(o.id, { visible: e.target.checked }); onChanged?.('shown'); }} />
                <span style={{ color: o.color }}>●</span> {o.name}: {o.markers.length ? `${o.markers.length} markers` : `${o.outlines.length} shapes`}
              </label>
              {o.warnings?.map((w) => <p key={w} className="muted" style={{ margin: '2px 0 0 24px' }}>{w}</p>)}
              <button type="button" aria-label={`Remove ${o.name}`} onClick={() => { removeOverlay(o.id); onChanged?.('removed'); }}>×</button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
