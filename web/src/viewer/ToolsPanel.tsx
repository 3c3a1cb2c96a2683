/**
 * Tools from the view: aperture photometry of a clicked source (the engine's exact-overlap
 * `aperture_photometry`, annulus background optional) and FITS cutouts of the current view or of
 * the drawn region (`/fits/cutout`, WCS kept: CRPIX shifted).
 */
import { query } from '../api/client.js';
import { fmt } from '../util.js';
import type { View } from './gl-renderer.js';
import { shapeRect, viewRect, type DrawnShape } from './overlay-geometry.js';
import type { PhotometryRow } from './overlay-sources.js';

export interface PhotometrySettings {
  on: boolean;
  r: number;
  rIn: number | null;
  rOut: number | null;
}

interface Props {
  imageFile: string;
  hdu: number;
  slice: number;
  image: { width: number; height: number };
  view: View | null;
  screen: { width: number; height: number };
  drawn: DrawnShape | null;
  photometry: PhotometrySettings;
  onPhotometry: (p: PhotometrySettings) => void;
}

function cutoutHref(imageFile: string, hdu: number, slice: number, r: { x: number; y: number; width: number; height: number }): string {
  return `/fits/cutout${query({ file_path: imageFile, hdu, slice_index: slice, ...r })}`;
}

const num = (v: string): number | null => (v.trim() === '' || !Number.isFinite(Number(v)) ? null : Number(v));

export function ToolsPanel({ imageFile, hdu, slice, image, view, screen, drawn, photometry, onPhotometry }: Props) {
  const inView = view ? viewRect(view, screen, image) : null;
  const inRegion = drawn ? shapeRect(drawn, image) : null;
  const stem = imageFile.split('/').pop()?.replace(/\.fits(\.gz)?$/i, '') ?? 'cutout';
  return (
    <div className="panel" data-testid="tools-panel">
      <h2>Tools</h2>
      <label style={{ display: 'flex', gap: 6, alignItems: 'center' }}>
        <input type="checkbox" checked={photometry.on} onChange={(e) => onPhotometry({ ...photometry, on: e.target.checked })} />
        Click a source for aperture photometry
      </label>
      {photometry.on && (
        <div className="row">
          <NumberInput id="phot-r" label="r (px)" value={photometry.r} onChange={(v) => v !== null && v > 0 && onPhotometry({ ...photometry, r: v })} />
          <NumberInput id="phot-rin" label="annulus in" value={photometry.rIn} onChange={(v) => onPhotometry({ ...photometry, rIn: v })} />
          <NumberInput id="phot-rout" label="annulus out" value={photometry.rOut} onChange={(v) => onPhotometry({ ...photometry, rOut: v })} />
        </div>
      )}
      <div className="row" style={{ marginTop: 8 }}>
        {inView ? (
          <a className="button-like" href={cutoutHref(imageFile, hdu, slice, inView)} download={`${stem}_cutout.fits`} data-testid="cutout-view">
            FITS cutout of the view ({inView.width}×{inView.height})
          </a>
        ) : <span className="muted">The view shows no pixels.</span>}
        {inRegion && (
          <a className="button-like" href={cutoutHref(imageFile, hdu, slice, inRegion)} download={`${stem}_region.fits`} data-testid="cutout-region">
            FITS cutout of the region ({inRegion.width}×{inRegion.height})
          </a>
        )}
      </div>
    </div>
  );
}

function NumberInput({ id, label, value, onChange }: { id: string; label: string; value: number | null; onChange: (v: number | null) => void }) {
  return (
    <div className="field" style={{ width: 90 }}>
      <label htmlFor={id}>{label}</label>
      <input id={id} type="number" step="any" min={0} defaultValue={value ?? ''} onChange={(e) => onChange(num(e.target.value))} />
    </div>
  );
}

/** The photometry of the last clicked source. */
export function PhotometryResult({ row, unit }: { row: PhotometryRow | null; unit: string }) {
  if (!row) return <p className="muted">Tick "Click a source for aperture photometry" under Tools, then click a source.</p>;
  const keys = Object.keys(row).filter((k) => !/^id$/.test(k));
  return (
    <table data-testid="photometry-result" aria-label="Aperture photometry">
      <tbody>
        {keys.map((k) => {
          const v = row[k];
          const sumUnit = /aperture_sum|annulus_median|background|residual/.test(k) && unit ? ` (${unit}${/median/.test(k) ? '' : ' × pixel'})` : '';
          return <tr key={k}><th scope="row">{k}{sumUnit}</th><td>{typeof v === 'number' || v === null ? fmt(v as number | null, 8) : String(v)}</td></tr>;
        })}
      </tbody>
    </table>
  );
}
