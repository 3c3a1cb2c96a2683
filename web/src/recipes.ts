/**
 * Composite recipes for a search's observations (POST /discovery/suggest-recipes) and what the
 * workbench needs to build one: which level-3 observation gives each filter, and the composite
 * page's link with its channels (files and colours). Pure: no requests, no React.
 */
import type { MastRow } from './api/types.js';

/** One recipe as /discovery/suggest-recipes answers it (snake_case, the upstream contract). */
export interface Recipe {
  name: string;
  rank: number;
  /** In chromatic order: shortest wavelength first. */
  filters: string[];
  /** Filter -> `#rrggbb`, the colour of its wavelength. */
  color_mapping: Record<string, string>;
  instruments: string[];
  requires_mosaic: boolean;
  estimated_time_seconds: number;
  observation_ids: string[];
  description: string;
  overlap_warning: string | null;
  tag: string | null;
  recommended_feather_strength: number | null;
}

export interface SuggestRecipesResponse {
  target: { name: string; common_name: string | null } | null;
  recipes: Recipe[];
}

/** The route's limits (src/routes/discovery.ts): longer strings would make the whole request a 422. */
const MAX_OBSERVATIONS = 5000;
const MAX_TEXT = 64;

/** The suggest-recipes request of search results: only rows with a filter and an instrument. */
export function suggestRequest(rows: readonly MastRow[], target: string): Record<string, unknown> {
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const observations = rows
    .filter((r) => typeof r.filters === 'string' && r.filters !== '' && r.filters.length <= MAX_TEXT
      && typeof r.instrument_name === 'string' && r.instrument_name.length <= MAX_TEXT)
    .slice(0, MAX_OBSERVATIONS)
    .map((r) => ({
      filter: r.filters,
      instrument: r.instrument_name,
      observation_id: typeof r.obs_id === 'string' ? r.obs_id.slice(0, 256) : null,
      t_obs_release: num(r.t_obs_release),
      dataproduct_type: typeof r.dataproduct_type === 'string' ? r.dataproduct_type.slice(0, 32) : null,
      s_ra: num(r.s_ra),
      s_dec: num(r.s_dec),
    }));
  return { target_name: target.slice(0, 256) || null, observations };
}

/** The target the results are about: the one most rows name. */
export function targetOf(rows: readonly MastRow[]): string {
  const counts = new Map<string, number>();
  for (const r of rows) if (typeof r.target_name === 'string' && r.target_name) counts.set(r.target_name, (counts.get(r.target_name) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
}

/** Narrow bands win when an observation lists several filters (F444W;F470N is an F470N picture), as the engine decides. */
function bandRank(filter: string): number {
  if (/N$/.test(filter)) return 3;
  if (/M$/.test(filter)) return 2;
  return 1;
}

export interface PlannedChannel {
  filter: string;
  color: string;
  /** The level-3 observations whose products (i2d) make this channel. */
  obsIds: string[];
}

export interface RecipePlan {
  channels: PlannedChannel[];
  /** Filters of the recipe with no level-3 observation among the rows. */
  unavailable: string[];
}

/**
 * Which level-3 observations of the rows give each of the recipe's filters. An observation
 * listing several filters counts for the narrowest of them that the recipe uses; several
 * observations of one filter (a mosaic) all go into its channel.
 */
export function planRecipe(recipe: Recipe, rows: readonly MastRow[]): RecipePlan {
  const wanted = new Set(recipe.filters.map((f) => f.toUpperCase()));
  const ids = new Set(recipe.observation_ids);
  const byFilter = new Map<string, string[]>();
  for (const r of rows) {
    if (typeof r.obs_id !== 'string' || !ids.has(r.obs_id) || Number(r.calib_level) < 3) continue;
    const parts = String(r.filters ?? '').toUpperCase().split(/[;,+\s]+/).filter((p) => wanted.has(p));
    const filter = parts.sort((a, b) => bandRank(b) - bandRank(a))[0];
    if (!filter) continue;
    const list = byFilter.get(filter) ?? [];
    if (!list.includes(r.obs_id)) list.push(r.obs_id);
    byFilter.set(filter, list);
  }
  const channels: PlannedChannel[] = [];
  const unavailable: string[] = [];
  for (const f of recipe.filters) {
    const obsIds = byFilter.get(f.toUpperCase());
    if (obsIds?.length) channels.push({ filter: f, color: recipe.color_mapping[f] ?? '#ffffff', obsIds });
    else unavailable.push(f);
  }
  return { channels, unavailable };
}

/** A channel as the composite page's link carries it. */
export interface LinkedChannel {
  label: string;
  color: string;
  files: string[];
}

const HEX = /^#[0-9a-f]{6}$/i;

/** The composite page's link parameters: `channels` (JSON) and the recipe's feather strength. */
export function compositeParams(channels: readonly LinkedChannel[], feather: number | null, recipe: string): Record<string, string | undefined> {
  return {
    channels: JSON.stringify(channels.map((c) => ({ label: c.label, color: c.color, files: c.files }))),
    feather: feather === null ? undefined : String(feather),
    recipe,
  };
}

/** The channels of a composite link; anything malformed is left out (a link is user input). */
export function parseLinkedChannels(raw: string | null): LinkedChannel[] {
  if (!raw) return [];
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return [];
  }
  if (!Array.isArray(value)) return [];
  const out: LinkedChannel[] = [];
  for (const c of value.slice(0, 20) as unknown[]) {
    if (typeof c !== 'object' || c === null) continue;
    const { label, color, files } = c as Record<string, unknown>;
    if (!Array.isArray(files)) continue;
    const paths = files.filter((f): f is string => typeof f === 'string' && f !== '' && f.length <= 1024).slice(0, 100);
    if (paths.length === 0) continue;
    out.push({ label: typeof label === 'string' ? label.slice(0, 64) : '', color: typeof color === 'string' && HEX.test(color) ? color : '#ffffff', files: paths });
  }
  return out;
}
