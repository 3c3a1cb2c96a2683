/** SVG overlays of the viewer: the sky grid, a compass (N/E) and a scale bar in arcseconds. */
import type { ToScreen } from '../components/TiledImage.js';
import { arcsecLabel, roundArcsec } from './display-math.js';
import type { ImageInfo, SkyGrid } from './types.js';

export function GridOverlay({ grid, toScreen, size }: { grid: SkyGrid; toScreen: ToScreen; size: { width: number; height: number } }) {
  return (
    <g data-testid="sky-grid">
      {grid.lines.map((line, i) => {
        const paths = line.segments.map((seg) => seg.map(([x, y], k) => {
          const [sx, sy] = toScreen({ x, y });
          return `${k ? 'L' : 'M'}${sx.toFixed(1)},${sy.toFixed(1)}`;
        }).join(''));
        // Label where the line first enters the view, kept inside the frame.
        let label: [number, number] | null = null;
        for (const seg of line.segments) {
          for (const [x, y] of seg) {
            const [sx, sy] = toScreen({ x, y });
            if (sx >= 4 && sy >= 12 && sx <= size.width - 60 && sy <= size.height - 4) {
              label = [sx, sy];
              break;
            }
          }
          if (label) break;
        }
        const colour = line.axis === 'lon' ? '#7ee787' : '#79c0ff';
        return (
          <g key={`${line.axis}-${i}`}>
            {paths.map((d, k) => <path key={k} d={d} fill="none" stroke={colour} strokeOpacity={0.7} strokeWidth={1} />)}
            {label && <text x={label[0] + 3} y={label[1] - 3} fill={colour} fontSize={11} style={{ paintOrder: 'stroke' }} stroke="#000" strokeWidth={3}>{line.label}</text>}
          </g>
        );
      })}
    </g>
  );
}

/** North and East arrows (from the WCS at the image centre) and a round-length scale bar. */
export function CompassAndScale({ info, scale, size }: { info: ImageInfo; scale: number; size: { width: number; height: number } }) {
  const o = info.orientation;
  if (!o) return null;
  const len = 36;
  const ox = 50;
  const oy = size.height - 50;
  // Pixel y is up, screen y is down.
  const n: [number, number] = [o.north[0] * len, -o.north[1] * len];
  const e: [number, number] = [o.east[0] * len, -o.east[1] * len];
  const arcsecPerScreenPx = Math.max(...o.pixel_scale_arcsec) / scale;
  const bar = roundArcsec(arcsecPerScreenPx * 100);
  const barPx = bar / arcsecPerScreenPx;
  return (
    <g data-testid="compass" fontSize={12}>
      <line x1={ox} y1={oy} x2={ox + n[0]} y2={oy + n[1]} stroke="#f0b429" strokeWidth={2} />
      <line x1={ox} y1={oy} x2={ox + e[0]} y2={oy + e[1]} stroke="#f0b429" strokeWidth={2} />
      <text x={ox + n[0] * 1.3} y={oy + n[1] * 1.3 + 4} fill="#f0b429" textAnchor="middle" stroke="#000" strokeWidth={3} style={{ paintOrder: 'stroke' }}>N</text>
      <text x={ox + e[0] * 1.3} y={oy + e[1] * 1.3 + 4} fill="#f0b429" textAnchor="middle" stroke="#000" strokeWidth={3} style={{ paintOrder: 'stroke' }}>E</text>
      <g data-testid="scale-bar">
        <line x1={size.width - 20 - barPx} y1={size.height - 20} x2={size.width - 20} y2={size.height - 20} stroke="#fff" strokeWidth={3} />
        <text x={size.width - 20 - barPx / 2} y={size.height - 28} fill="#fff" textAnchor="middle" stroke="#000" strokeWidth={3} style={{ paintOrder: 'stroke' }}>{arcsecLabel(bar)}</text>
      </g>
    </g>
  );
}
