import { useState } from 'react';
import { ApiError } from '../api/client.js';
import { postForBlob } from '../api/binary.js';
import { FilePicker } from '../components/FilePicker.js';
import { ImageResult } from '../components/ImageResult.js';

interface Channel {
  files: string[];
  color: string;
  stretch: string;
  black_point: number;
  white_point: number;
}

const START: Channel[] = [
  { files: [], color: '#ff0000', stretch: 'asinh', black_point: 0, white_point: 1 },
  { files: [], color: '#00ff00', stretch: 'asinh', black_point: 0, white_point: 1 },
  { files: [], color: '#0000ff', stretch: 'asinh', black_point: 0, white_point: 1 },
];

function rgbOf(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [((n >> 16) & 255) / 255, ((n >> 8) & 255) / 255, (n & 255) / 255];
}

export function CompositePage() {
  const [channels, setChannels] = useState<Channel[]>(START);
  const [format, setFormat] = useState<'png' | 'jpeg'>('png');
  const [size, setSize] = useState(1000);
  const [result, setResult] = useState<{ url: string; mime: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const update = (i: number, c: Partial<Channel>) => setChannels((cs) => cs.map((x, j) => (j === i ? { ...x, ...c } : x)));

  async function generate() {
    setBusy(true);
    setError(null);
    try {
      const body = {
        channels: channels.map((c) => ({ file_paths: c.files, rgb: rgbOf(c.color), stretch: c.stretch, black_point: c.black_point, white_point: c.white_point })),
        output_format: format,
        width: size,
        height: size,
      };
      setResult(await postForBlob('/composite/generate', body));
    } catch (err) {
      setError(err instanceof ApiError ? err.detail : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="comp-title">
      <h1 id="comp-title">Colour composite</h1>
      {channels.map((c, i) => (
        <fieldset key={i} className="panel">
          <legend>Channel {i + 1}</legend>
          <div className="row">
            <FilePicker id={`ch${i}-files`} label="Files" value={c.files} onChange={(files) => update(i, { files })} />
            <div className="field">
              <label htmlFor={`ch${i}-color`}>Colour</label>
              <input id={`ch${i}-color`} type="color" value={c.color} onChange={(e) => update(i, { color: e.target.value })} />
            </div>
            <div className="field">
              <label htmlFor={`ch${i}-stretch`}>Stretch</label>
              <select id={`ch${i}-stretch`} value={c.stretch} onChange={(e) => update(i, { stretch: e.target.value })}>
                {['zscale', 'asinh', 'log', 'sqrt', 'power', 'histeq', 'linear'].map((s) => <option key={s}>{s}</option>)}
              </select>
            </div>
            {channels.length > 1 && <button type="button" className="danger" onClick={() => setChannels((cs) => cs.filter((_, j) => j !== i))}>Remove channel</button>}
          </div>
        </fieldset>
      ))}
      <div className="row panel">
        <button type="button" onClick={() => setChannels((cs) => [...cs, { files: [], color: '#ff00ff', stretch: 'asinh', black_point: 0, white_point: 1 }])}>Add channel</button>
        <div className="field">
          <label htmlFor="comp-format">Format</label>
          <select id="comp-format" value={format} onChange={(e) => setFormat(e.target.value as 'png' | 'jpeg')}>
            <option value="png">PNG</option>
            <option value="jpeg">JPEG</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="comp-size">Longest side (px)</label>
          <input id="comp-size" type="number" min={64} max={4096} value={size} onChange={(e) => setSize(Number(e.target.value))} />
        </div>
        <button type="button" className="primary" disabled={busy || channels.some((c) => c.files.length === 0)} onClick={() => void generate()}>
          {busy ? 'Generating…' : 'Generate composite'}
        </button>
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      <ImageResult url={result?.url ?? null} filename={`composite.${format === 'png' ? 'png' : 'jpg'}`} mime={result?.mime ?? 'image/png'} />
    </section>
  );
}
