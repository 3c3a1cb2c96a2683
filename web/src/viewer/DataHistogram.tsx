import { useRef, useState, type PointerEvent } from 'react';
import { shortNumber, ticks } from './display-math.js';
import type { PlaneStats } from './types.js';

const WIDTH = 560;
const HEIGHT = 200;
const PAD = { left: 56, right: 10, top: 8, bottom: 30 };

/**
 * The plane's histogram in data units with a log count axis (labelled 1, 10, 100, ...), and the
 * black and white points as handles to drag along it.
 */
export function DataHistogram({ stats, vmin, vmax, unit, onLimits }: { stats: PlaneStats; vmin: number; vmax: number; unit: string; onLimits: (lo: number, hi: number) => void }) {
  const svg = useRef<SVGSVGElement>(null);
  const [dragging, setDragging] = useState<'lo' | 'hi' | null>(null);
  const h = stats.histogram;
  if (!h) return <p className="muted">No finite pixels.</p>;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const maxCount = Math.max(1, ...h.counts);
  const decades = Math.max(1, Math.ceil(Math.log10(maxCount + 1)));
  const yOf = (c: number) => PAD.top + plotH - (Math.log10(c + 1) / decades) * plotH;
  const xOf = (v: number) => PAD.left + ((v - h.lo) / (h.hi - h.lo)) * plotW;
  const valueAt = (sx: number) => h.lo + ((sx - PAD.left) / plotW) * (h.hi - h.lo);
  const bw = plotW / h.counts.length;
  let d = `M${PAD.left},${PAD.top + plotH}`;
  h.counts.forEach((c, i) => {
    const y = yOf(c);
    d += `L${PAD.left + i * bw},${y}L${PAD.left + (i + 1) * bw},${y}`;
  });
  d += `L${PAD.left + plotW},${PAD.top + plotH}Z`;
  const xt = ticks(h.lo, h.hi, 5);

  function move(e: PointerEvent<SVGSVGElement>) {
    if (!dragging || !svg.current) return;
    const r = svg.current.getBoundingClientRect();
    const v = valueAt(((e.clientX - r.left) / r.width) * WIDTH);
    if (dragging === 'lo') onLimits(Math.min(v, vmax - (h!.hi - h!.lo) * 1e-4), vmax);
    else onLimits(vmin, Math.max(v, vmin + (h!.hi - h!.lo) * 1e-4));
  }
  const handle = (which: 'lo' | 'hi', v: number) => {
    const x = Math.max(PAD.left, Math.min(PAD.left + plotW, xOf(v)));
    return (
      <g key={which} style={{ cursor: 'ew-resize' }} onPointerDown={(e) => { (e.currentTarget.ownerSVGElement ?? svg.current)?.setPointerCapture(e.pointerId); setDragging(which); }} data-testid={`histogram-${which}`}>
        <line x1={x} x2={x} y1={PAD.top} y2={PAD.top + plotH} stroke={which === 'lo' ? '#9aa7b4' : '#ffffff'} strokeWidth={2} />
        <rect x={x - 6} y={PAD.top} width={12} height={plotH} fill="transparent" />
        <text x={x + (which === 'lo' ? -4 : 4)} y={PAD.top + 12} fontSize={11} fill="#f0b429" textAnchor={which === 'lo' ? 'end' : 'start'}>{which === 'lo' ? 'black' : 'white'} {shortNumber(v)}</text>
      </g>
    );
  };
  return (
    <div>
      <svg ref={svg} viewBox={`0 0 ${WIDTH} ${HEIGHT}`} width="100%" role="img" aria-label={`Histogram of the pixel values in ${unit || 'data units'}, log count axis; drag the black and white points`} data-testid="data-histogram"
        onPointerMove={move} onPointerUp={() => setDragging(null)} style={{ touchAction: 'none', maxWidth: WIDTH }}>
        <path d={d} fill="rgba(88,166,255,0.35)" stroke="#58a6ff" strokeWidth={1} />
        {Array.from({ length: decades + 1 }, (_, k) => (
          <g key={k}>
            <line x1={PAD.left - 4} x2={PAD.left + plotW} y1={yOf(10 ** k - 1)} y2={yOf(10 ** k - 1)} stroke="#30363d" />
            <text x={PAD.left - 6} y={yOf(10 ** k - 1) + 4} fontSize={11} fill="#9aa7b4" textAnchor="end">{k === 0 ? '0' : k < 4 ? String(10 ** k) : `1e${k}`}</text>
          </g>
        ))}
        {xt.map((v) => (
          <text key={v} x={xOf(v)} y={HEIGHT - 12} fontSize={11} fill="#9aa7b4" textAnchor="middle">{shortNumber(v)}</text>
        ))}
        <text x={PAD.left + plotW / 2} y={HEIGHT - 1} fontSize={11} fill="#9aa7b4" textAnchor="middle">{unit || 'data value'}</text>
        {handle('lo', vmin)}
        {handle('hi', vmax)}
      </svg>
      <p className="muted" data-testid="histogram-stats">
        min {shortNumber(stats.min ?? NaN)} · max {shortNumber(stats.max ?? NaN)} · mean {shortNumber(stats.mean ?? NaN)} · std {shortNumber(stats.std ?? NaN)} {unit}
        {' '}· {stats.count.toLocaleString('en-US')} pixels{stats.nan_count ? `, ${stats.nan_count.toLocaleString('en-US')} no data` : ''}
        {h.below || h.above ? ` · ${h.below} below / ${h.above} above the plotted range` : ''}
      </p>
    </div>
  );
}
