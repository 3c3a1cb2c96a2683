import { useEffect, useRef } from 'react';
import type { Display } from './gl-renderer.js';
import { displayPosition, shortNumber, ticks } from './display-math.js';

/** The colormap across the limits, ticks at round data values placed where the stretch puts them. */
export function Colorbar({ display, unit }: { display: Display; unit: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  // Painted once the browser is idle, after the image's frame: a display change is drawn first.
  useEffect(() => {
    const paint = () => {
      const c = canvas.current;
      const ctx = c?.getContext('2d');
      if (!c || !ctx) return;
      for (let i = 0; i < c.width; i++) {
        const v = display.vmin + ((display.vmax - display.vmin) * i) / (c.width - 1);
        const x = displayPosition(v, display);
        ctx.fillStyle = display.colors[Math.min(display.colors.length - 1, Math.floor(x * display.colors.length))] ?? '#000';
        ctx.fillRect(i, 0, 1, c.height);
      }
    };
    if (typeof requestIdleCallback !== 'function') {
      const t = window.setTimeout(paint, 50);
      return () => window.clearTimeout(t);
    }
    const id = requestIdleCallback(paint, { timeout: 500 });
    return () => cancelIdleCallback(id);
  }, [display]);
  if (display.flags) return null;
  const tv = ticks(display.vmin, display.vmax, 5);
  return (
    <figure className="colorbar" data-testid="colorbar" aria-label={`Colour bar from ${shortNumber(display.vmin)} to ${shortNumber(display.vmax)} ${unit}`}>
      <canvas ref={canvas} width={512} height={12} style={{ width: '100%', height: 12, display: 'block' }} />
      <div style={{ position: 'relative', height: 16, fontSize: 11 }}>
        {tv.map((v) => (
          <span key={v} style={{ position: 'absolute', left: `${((v - display.vmin) / (display.vmax - display.vmin || 1)) * 100}%`, transform: 'translateX(-50%)' }}>{shortNumber(v)}</span>
        ))}
      </div>
      <figcaption className="muted" style={{ fontSize: 11 }}>{unit || 'data value'} (linear positions; colours follow the {display.stretch} stretch)</figcaption>
    </figure>
  );
}
