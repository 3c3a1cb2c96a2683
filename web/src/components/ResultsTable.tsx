import { useMemo, useState, type ReactNode } from 'react';

export interface Column<T> {
  key: string;
  label: string;
  /** Sort value; columns without one are not sortable. */
  sortValue?: (row: T) => string | number | null | undefined;
  render: (row: T) => ReactNode;
}

interface Props<T> {
  rows: T[];
  columns: Column<T>[];
  rowKey: (row: T, index: number) => string;
  caption: string;
  pageSize?: number;
  /** Page (0-based) and sort held by the caller (e.g. in the URL); the table keeps its own otherwise. */
  page?: number;
  onPage?: (page: number) => void;
  sort?: { key: string; dir: 1 | -1 } | null;
  onSort?: (sort: { key: string; dir: 1 | -1 }) => void;
}

/** A sortable, paged table with keyboard-reachable headers; on a phone each row is a card of labelled cells (styles.css). */
export function ResultsTable<T>({ rows, columns, rowKey, caption, pageSize = 25, ...held }: Props<T>) {
  const [ownSort, setOwnSort] = useState<{ key: string; dir: 1 | -1 } | null>(null);
  const [ownPage, setOwnPage] = useState(0);
  const sort = held.onSort ? held.sort ?? null : ownSort;
  const page = held.onPage ? held.page ?? 0 : ownPage;
  const setPage = (p: number) => (held.onPage ?? setOwnPage)(p);
  const setSort = (f: (s: { key: string; dir: 1 | -1 } | null) => { key: string; dir: 1 | -1 }) => (held.onSort ?? setOwnSort)(f(sort));
  const sorted = useMemo(() => {
    if (!sort) return rows;
    const col = columns.find((c) => c.key === sort.key);
    if (!col?.sortValue) return rows;
    const get = col.sortValue;
    return [...rows].sort((a, b) => {
      const va = get(a);
      const vb = get(b);
      if (va === vb) return 0;
      if (va === null || va === undefined) return 1;
      if (vb === null || vb === undefined) return -1;
      return (va < vb ? -1 : 1) * sort.dir;
    });
  }, [rows, columns, sort]);
  const pages = Math.max(1, Math.ceil(sorted.length / pageSize));
  const current = Math.min(page, pages - 1);
  const visible = sorted.slice(current * pageSize, (current + 1) * pageSize);

  return (
    <div>
      <div className="table-wrap">
        <table className="cards-on-phone">
          <caption className="muted" style={{ textAlign: 'left' }}>{caption}</caption>
          <thead>
            <tr>
              {columns.map((c) => (
                <th key={c.key} scope="col" aria-sort={sort?.key === c.key ? (sort.dir === 1 ? 'ascending' : 'descending') : undefined}>
                  {c.sortValue ? (
                    <button type="button" onClick={() => setSort((s) => ({ key: c.key, dir: s?.key === c.key && s.dir === 1 ? -1 : 1 }))}>
                      {c.label} {sort?.key === c.key ? (sort.dir === 1 ? '▲' : '▼') : ''}
                    </button>
                  ) : (
                    c.label
                  )}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {visible.map((row, i) => (
              <tr key={rowKey(row, i + current * pageSize)}>
                {columns.map((c) => (
                  <td key={c.key} data-label={c.label}>{c.render(row)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {pages > 1 && (
        <nav className="row" aria-label="Pages" style={{ marginTop: 8, alignItems: 'center' }}>
          <button type="button" onClick={() => setPage(Math.max(0, current - 1))} disabled={current === 0}>Previous</button>
          <span>Page {current + 1} of {pages}</span>
          <button type="button" onClick={() => setPage(Math.min(pages - 1, current + 1))} disabled={current >= pages - 1}>Next</button>
        </nav>
      )}
    </div>
  );
}
