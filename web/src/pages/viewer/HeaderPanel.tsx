import { useState } from 'react';
import type { HduInfo } from '../../api/types.js';

function cardLines(h: HduInfo): string {
  const cards = h.header ?? h.cards ?? [];
  return cards
    .map((c) => {
      const [k, v, com] = Array.isArray(c) ? c : [c.keyword, c.value, c.comment ?? ''];
      const value = typeof v === 'string' ? `'${v}'` : v === null || v === undefined ? '' : String(v);
      return `${String(k).padEnd(8)}= ${value.padStart(20)}${com ? ` / ${com}` : ''}`;
    })
    .join('\n');
}

export function HeaderPanel({ hdus, filePath }: { hdus: HduInfo[] | null; filePath: string }) {
  const [index, setIndex] = useState(0);
  if (!hdus) return <p className="muted">No header information for {filePath}.</p>;
  const h = hdus[Math.min(index, hdus.length - 1)];
  return (
    <div className="grid-2" style={{ gridTemplateColumns: 'minmax(200px, 1fr) minmax(0, 3fr)' }}>
      <div>
        <table aria-label="HDUs">
          <thead><tr><th scope="col">#</th><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Size</th></tr></thead>
          <tbody>
            {hdus.map((x, i) => (
              <tr key={i} aria-selected={i === index}>
                <td>{x.index}</td>
                <td><button type="button" onClick={() => setIndex(i)} aria-pressed={i === index}>{x.name || '(primary)'}</button></td>
                <td>{x.type}</td>
                <td>{(x.dimensions ?? x.shape ?? []).join('×') || '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <pre className="cards" tabIndex={0} aria-label={`Header of HDU ${h?.index ?? 0}`}>{h ? cardLines(h) : ''}</pre>
    </div>
  );
}
