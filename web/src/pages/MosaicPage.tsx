import { useState } from 'react';
import { ApiError, postJson } from '../api/client.js';
import { postForBlob } from '../api/binary.js';
import { FilePicker } from '../components/FilePicker.js';
import { ImageResult } from '../components/ImageResult.js';

interface Footprints {
  footprints: Array<{ file_path: string; corners_ra: number[]; corners_dec: number[] }>;
  bounding_box: { min_ra: number; max_ra: number; min_dec: number; max_dec: number };
}

export function MosaicPage() {
  const [files, setFiles] = useState<string[]>([]);
  const [format, setFormat] = useState<'png' | 'jpeg' | 'fits'>('png');
  const [combine, setCombine] = useState('mean');
  const [cmap, setCmap] = useState('grayscale');
  const [result, setResult] = useState<{ url: string; mime: string } | null>(null);
  const [footprints, setFootprints] = useState<Footprints | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function run<T>(f: () => Promise<T>): Promise<T | undefined> {
    setBusy(true);
    setError(null);
    try {
      return await f();
    } catch (err) {
      setError(err instanceof ApiError ? err.detail : String(err));
      return undefined;
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="mosaic-title">
      <h1 id="mosaic-title">Mosaic</h1>
      <div className="panel row">
        <FilePicker id="mosaic-files" label="Tiles (choose two or more)" value={files} onChange={setFiles} />
        <div className="field">
          <label htmlFor="mosaic-combine">Combine</label>
          <select id="mosaic-combine" value={combine} onChange={(e) => setCombine(e.target.value)}>
            {['mean', 'median', 'sum', 'first', 'last', 'min', 'max'].map((c) => <option key={c}>{c}</option>)}
          </select>
        </div>
        <div className="field">
          <label htmlFor="mosaic-cmap">Colormap</label>
          <select id="mosaic-cmap" value={cmap} onChange={(e) => setCmap(e.target.value)}>
            {['grayscale', 'inferno', 'magma', 'viridis', 'plasma', 'hot', 'cool', 'rainbow', 'jet'].map((c) => <option key={c}>{c}</option>)}
          </select>
        </div>
        <div className="field">
          <label htmlFor="mosaic-format">Format</label>
          <select id="mosaic-format" value={format} onChange={(e) => setFormat(e.target.value as 'png' | 'jpeg' | 'fits')}>
            <option value="png">PNG</option>
            <option value="jpeg">JPEG</option>
            <option value="fits">FITS</option>
          </select>
        </div>
        <button type="button" disabled={busy || files.length < 1} onClick={() => void run(async () => setFootprints(await postJson<Footprints>('/mosaic/footprint', { file_paths: files })))}>Show footprints</button>
        <button type="button" className="primary" disabled={busy || files.length < 2}
          onClick={() => void run(async () => setResult(await postForBlob('/mosaic/generate', { files: files.map((file_path) => ({ file_path })), output_format: format, combine_method: combine, cmap })))}>
          {busy ? 'Working…' : 'Generate mosaic'}
        </button>
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      {footprints && <FootprintPlot data={footprints} />}
      <ImageResult url={result?.url ?? null} filename={`mosaic.${format === 'jpeg' ? 'jpg' : format}`} mime={result?.mime ?? 'image/png'} />
    </section>
  );
}

function FootprintPlot({ data }: { data: Footprints }) {
  const { min_ra, max_ra, min_dec, max_dec } = data.bounding_box;
  const spanRa = (((max_ra - min_ra) % 360) + 360) % 360 || 1;
  const spanDec = max_dec - min_dec || 1;
  const sx = (ra: number) => 10 + (1 - ((((ra - min_ra) % 360) + 360) % 360) / spanRa) * 380; // east to the left
  const sy = (dec: number) => 10 + (1 - (dec - min_dec) / spanDec) * 280;
  const colours = ['#58a6ff', '#f0b429', '#3fb950', '#f85149', '#d2a8ff', '#79c0ff'];
  return (
    <div className="panel">
      <svg viewBox="0 0 400 300" style={{ width: '100%', maxWidth: 600 }} role="img" aria-label="Footprints of the chosen files on the sky">
        {data.footprints.map((f, i) => (
          <polygon key={f.file_path} points={f.corners_ra.map((ra, k) => `${sx(ra)},${sy(f.corners_dec[k] ?? 0)}`).join(' ')}
            fill="none" stroke={colours[i % colours.length]} strokeWidth={2}>
            <title>{f.file_path}</title>
          </polygon>
        ))}
      </svg>
    </div>
  );
}
