import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

interface Props {
  data: uPlot.AlignedData;
  options: Omit<uPlot.Options, 'width' | 'height'>;
  height?: number;
  label: string;
}

/**
 * uPlot in a React component, resized with its container. The range of each scale in view is
 * kept in the container's data-<scale>-min / -max (data-x-min, data-y-max, ...; a drag zooms x, a
 * double-click resets it), so tests and assistive tools can read what the plot shows.
 */
export function UPlotChart({ data, options, height = 220, label }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const showScale = (u: uPlot, key: string): void => {
      el.dataset[`${key}Min`] = String(u.scales[key]?.min ?? '');
      el.dataset[`${key}Max`] = String(u.scales[key]?.max ?? '');
    };
    const hooks = { ...options.hooks, setScale: [...(options.hooks?.setScale ?? []), showScale] };
    const p = new uPlot({ ...options, hooks, width: Math.max(200, el.clientWidth), height }, data, el);
    plot.current = p;
    const ro = new ResizeObserver(() => p.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      p.destroy();
      plot.current = null;
    };
    // Rebuild when the options change shape; data updates go through setData below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [options, height]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  return <div ref={box} role="img" aria-label={label} />;
}
