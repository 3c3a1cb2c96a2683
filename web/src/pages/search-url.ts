/**
 * The search form, whether it was run, and the results' page and sort in the URL
 * (`#/search?mode=target&target=NGC+3132&radius=0.2&levels=2,3&run=1&page=2&sort=exptime&dir=desc`),
 * so Back from an observation or the viewer, a reload or a shared link shows the same results.
 * The answers are kept in sessionStorage by that query, so Back shows them with no new request.
 */
export type SearchMode = 'target' | 'coordinates' | 'observation' | 'program' | 'recent';
const MODES: readonly SearchMode[] = ['target', 'coordinates', 'observation', 'program', 'recent'];

export interface SearchForm {
  mode: SearchMode;
  target: string;
  ra: string;
  dec: string;
  radius: string;
  obsId: string;
  program: string;
  daysBack: string;
  instrument: string;
  filter: string;
  levels: number[];
  productType: string;
  includeProprietary: boolean;
}

export interface SearchUrlState {
  form: SearchForm;
  /** The form was submitted: its results belong on the page. */
  run: boolean;
  page: number;
  sort: { key: string; dir: 1 | -1 } | null;
}

export const DEFAULT_FORM: SearchForm = {
  mode: 'target', target: 'NGC 3132', ra: '151.755', dec: '-40.437', radius: '0.2', obsId: '', program: '', daysBack: '30',
  instrument: '', filter: '', levels: [2, 3], productType: '', includeProprietary: false,
};

/** Short URL keys for the form's fields. */
const KEYS: Array<[keyof SearchForm, string]> = [
  ['target', 'target'], ['ra', 'ra'], ['dec', 'dec'], ['radius', 'radius'], ['obsId', 'obs'], ['program', 'program'], ['daysBack', 'days'],
  ['instrument', 'instrument'], ['filter', 'filter'], ['productType', 'type'],
];

const MAX_TEXT = 200;

export function readSearchState(p: URLSearchParams): SearchUrlState {
  const form: SearchForm = { ...DEFAULT_FORM };
  const mode = p.get('mode');
  if (mode && (MODES as readonly string[]).includes(mode)) form.mode = mode as SearchMode;
  for (const [field, key] of KEYS) {
    const v = p.get(key);
    if (v !== null) (form[field] as string) = v.slice(0, MAX_TEXT);
  }
  const levels = p.get('levels');
  if (levels !== null) form.levels = [...new Set(levels.split(',').map(Number).filter((l) => [1, 2, 3, 4].includes(l)))].sort();
  form.includeProprietary = p.get('proprietary') === '1';
  const page = Number(p.get('page') ?? '1');
  const sortKey = p.get('sort');
  return {
    form,
    run: p.get('run') === '1',
    page: Number.isInteger(page) && page >= 1 && page <= 100_000 ? page - 1 : 0,
    sort: sortKey ? { key: sortKey.slice(0, 64), dir: p.get('dir') === 'desc' ? -1 : 1 } : null,
  };
}

/** The query (after `#/search?`): only what differs from the defaults, so links stay short. */
export function searchQuery(s: SearchUrlState): string {
  const q = new URLSearchParams();
  const f = s.form;
  q.set('mode', f.mode);
  for (const [field, key] of KEYS) if (f[field] !== DEFAULT_FORM[field]) q.set(key, String(f[field]));
  if (f.levels.join(',') !== DEFAULT_FORM.levels.join(',')) q.set('levels', f.levels.join(','));
  if (f.includeProprietary) q.set('proprietary', '1');
  if (s.run) q.set('run', '1');
  if (s.page > 0) q.set('page', String(s.page + 1));
  if (s.sort) {
    q.set('sort', s.sort.key);
    if (s.sort.dir === -1) q.set('dir', 'desc');
  }
  return q.toString();
}

/** The part of the query that decides the answer (not the page or the sort): the cache key. */
export function resultsKey(form: SearchForm): string {
  return `jwst-search:${searchQuery({ form, run: true, page: 0, sort: null })}`;
}

export function writeSearchState(s: SearchUrlState): void {
  const hash = `#/search?${searchQuery(s)}`;
  if (window.location.hash !== hash) window.history.replaceState(null, '', hash);
}

export function cachedResults<T>(form: SearchForm): T | null {
  try {
    const text = window.sessionStorage.getItem(resultsKey(form));
    return text ? (JSON.parse(text) as T) : null;
  } catch {
    return null;
  }
}

export function cacheResults(form: SearchForm, results: unknown): void {
  try {
    window.sessionStorage.setItem(resultsKey(form), JSON.stringify(results));
  } catch {
    // A full sessionStorage only costs a new request on Back.
  }
}
