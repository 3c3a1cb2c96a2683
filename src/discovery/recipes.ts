/**
 * Composite recipes from an observation list (upstream-latest §2, `generate_recipes`): which
 * filters to combine, in which colours, for a target's JWST imaging. Cross-instrument recipes
 * (per spatial cluster) come first, then per instrument All / Classic / Narrowband / Broadband,
 * with curated recipes for famous targets ahead of everything. Pure: no I/O, today passed in.
 */
import { buildColorMapping, buildCrossInstrumentColorMapping } from './colors.js';
import { CURATED_RECIPES, canonicalTargetName } from './curated.js';
import { BANDPASS_RANK, bandpassOf, fieldOfViewArcmin, FILTER_WAVELENGTHS, normalizeFilter, normalizeInstrument, pixelScaleArcsec } from './filters.js';

export interface ObservationInput {
  readonly filter: string;
  readonly instrument: string;
  readonly wavelength_um?: number | null;
  readonly observation_id?: string | null;
  /** MJD. */
  readonly t_obs_release?: number | null;
  readonly dataproduct_type?: string | null;
  /** The gateways' spelling (upstream defect 19): accepted too. */
  readonly data_product_type?: string | null;
  readonly s_ra?: number | null;
  readonly s_dec?: number | null;
}

export interface Recipe {
  name: string;
  rank: number;
  filters: string[];
  color_mapping: Record<string, string>;
  instruments: string[];
  requires_mosaic: boolean;
  estimated_time_seconds: number;
  observation_ids: string[];
  description: string;
  overlap_warning: string | null;
  tag: 'NASA-style' | 'Recommended' | 'All data' | null;
  recommended_feather_strength: number | null;
}

export interface SuggestRecipesResponse {
  target: { name: string; common_name: string | null; ra: number | null; dec: number | null; category: string | null } | null;
  recipes: Recipe[];
}

/** One usable observation, normalised. */
interface Obs {
  readonly filter: string;
  readonly instrument: string;
  readonly wavelength: number;
  readonly id: string | undefined;
  readonly ra: number | undefined;
  readonly dec: number | undefined;
}

const MAX_FILTERS = 7;

/** MJD of a date. */
export function mjdOf(date: Date): number {
  return date.getTime() / 86_400_000 + 40_587;
}

export function isBackgroundTarget(name: string): boolean {
  const n = name.trim().toUpperCase();
  return n.includes('BACKGROUND') || /[-_](BKG|BG|CAL)$/.test(n);
}

/** Drops mosaic-product ids (`-c1234_`) of a filter+instrument that also has observation ids (`-o001_`). */
export function deduplicateMosaicObservations<T extends { filter: string; instrument: string; id: string | undefined }>(obs: readonly T[]): T[] {
  const withO = new Set(obs.filter((o) => o.id && /-o\d{3}_/.test(o.id)).map((o) => `${o.instrument}|${o.filter}`));
  return obs.filter((o) => !(o.id && /-c\d{4}_/.test(o.id) && withO.has(`${o.instrument}|${o.filter}`)));
}

function usable(observations: readonly ObservationInput[], today: number): Obs[] {
  const out: Obs[] = [];
  for (const o of observations) {
    const type = (o.dataproduct_type ?? o.data_product_type ?? '').toLowerCase();
    if (type === 'spectrum') continue;
    if (o.t_obs_release !== undefined && o.t_obs_release !== null && o.t_obs_release > today) continue;
    const filter = normalizeFilter(o.filter) ?? (o.wavelength_um ? o.filter.trim().toUpperCase() : undefined);
    if (!filter) continue;
    const wavelength = FILTER_WAVELENGTHS[filter] ?? o.wavelength_um ?? undefined;
    if (!(wavelength !== undefined && wavelength > 0)) continue;
    const finite = (v: number | null | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
    out.push({ filter, instrument: normalizeInstrument(o.instrument), wavelength, id: o.observation_id ?? undefined, ra: finite(o.s_ra), dec: finite(o.s_dec) });
  }
  return deduplicateMosaicObservations(out);
}

/** Angular separation, arcmin. */
function separationArcmin(a: Obs, b: Obs): number {
  const r = Math.PI / 180;
  const s = Math.sin(((b.dec! - a.dec!) * r) / 2) ** 2 + Math.cos(a.dec! * r) * Math.cos(b.dec! * r) * Math.sin(((b.ra! - a.ra!) * r) / 2) ** 2;
  return (2 * Math.asin(Math.min(1, Math.sqrt(s))) * 180 * 60) / Math.PI;
}

const hasCoords = (o: Obs) => o.ra !== undefined && o.dec !== undefined;

/** Single-linkage groups under `linked`; observations without coordinates join every group. */
function clusters(obs: readonly Obs[], linked: (a: Obs, b: Obs) => boolean): Obs[][] {
  const located = obs.filter(hasCoords);
  const parent = located.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  for (let i = 0; i < located.length; i++) for (let j = i + 1; j < located.length; j++) if (linked(located[i]!, located[j]!)) parent[find(i)] = find(j);
  const groups = new Map<number, Obs[]>();
  located.forEach((o, i) => {
    const k = find(i);
    groups.set(k, [...(groups.get(k) ?? []), o]);
  });
  const floating = obs.filter((o) => !hasCoords(o));
  if (groups.size === 0) return floating.length ? [floating] : [];
  return [...groups.values()].map((g) => [...g, ...floating]);
}

/** Distinct filters of observations, by wavelength. */
function filtersOf(obs: readonly Obs[]): string[] {
  const w = new Map<string, number>();
  for (const o of obs) w.set(o.filter, o.wavelength);
  return [...w.keys()].sort((a, b) => w.get(a)! - w.get(b)! || a.localeCompare(b));
}

/** Sky area (arcmin^2) of each filter: the RA/Dec box of its pointings' centres +- the field of view. */
function coverageByFilter(obs: readonly Obs[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of filtersOf(obs)) {
    const pts = obs.filter((o) => o.filter === f && hasCoords(o));
    if (pts.length === 0) continue;
    const fov = Math.max(...pts.map((o) => fieldOfViewArcmin(o.instrument)));
    const cosd = Math.cos((pts[0]!.dec! * Math.PI) / 180);
    const ras = pts.map((o) => o.ra! * 60 * cosd);
    const decs = pts.map((o) => o.dec! * 60);
    out.set(f, (Math.max(...ras) - Math.min(...ras) + 2 * fov) * (Math.max(...decs) - Math.min(...decs) + 2 * fov));
  }
  return out;
}

/** Filters covering less than a tenth of the median filter's area. */
function unevenFilters(obs: readonly Obs[]): Set<string> {
  const cov = coverageByFilter(obs);
  if (cov.size < 2) return new Set();
  const areas = [...cov.values()].sort((a, b) => a - b);
  const median = areas.length % 2 ? areas[areas.length >> 1]! : (areas[areas.length / 2 - 1]! + areas[areas.length / 2]!) / 2;
  return new Set([...cov].filter(([, a]) => a < 0.1 * median).map(([f]) => f));
}

/** A filter observed at two pointings more than 10" apart. */
function needsMosaic(obs: readonly Obs[], filters: readonly string[]): boolean {
  for (const f of filters) {
    const pts = obs.filter((o) => o.filter === f && hasCoords(o));
    for (let i = 0; i < pts.length; i++) for (let j = i + 1; j < pts.length; j++) if (separationArcmin(pts[i]!, pts[j]!) * 60 > 10) return true;
  }
  return false;
}

/**
 * Drops, while two wavelength neighbours are closer than a ratio of 1.3, the one with the worse
 * bandpass (wide beats medium beats narrow; on a tie the longer one goes).
 */
export function pruneRedundantFilters(filters: readonly string[], wavelength: (f: string) => number): string[] {
  const kept = [...filters];
  for (;;) {
    let drop = -1;
    for (let i = 0; i + 1 < kept.length; i++) {
      const a = kept[i]!, b = kept[i + 1]!;
      if (wavelength(b) / wavelength(a) < 1.3) {
        drop = BANDPASS_RANK[bandpassOf(a)] > BANDPASS_RANK[bandpassOf(b)] ? i : i + 1;
        break;
      }
    }
    if (drop < 0 || kept.length <= 2) return kept;
    kept.splice(drop, 1);
  }
}

/**
 * "Best N": six log-spaced wavelength bins; in each, the well-covered filter with the best bandpass
 * (then the one nearest the bin centre); at least two per instrument; 5-7 kept.
 */
export function selectBestNFilters(obs: readonly Obs[], excluded: ReadonlySet<string>): string[] {
  const all = filtersOf(obs);
  const wl = new Map(obs.map((o) => [o.filter, o.wavelength]));
  const inst = new Map(obs.map((o) => [o.filter, o.instrument]));
  const candidates = all.filter((f) => !excluded.has(f));
  const pool = candidates.length >= 2 ? candidates : all;
  const lo = Math.log(wl.get(pool[0]!)!);
  const hi = Math.log(wl.get(pool[pool.length - 1]!)!);
  const chosen = new Set<string>();
  for (let b = 0; b < 6; b++) {
    const a0 = lo + ((hi - lo) * b) / 6;
    const a1 = lo + ((hi - lo) * (b + 1)) / 6;
    const centre = (a0 + a1) / 2;
    const inBin = pool.filter((f) => {
      const l = Math.log(wl.get(f)!);
      return l >= a0 - 1e-12 && (b === 5 ? l <= a1 + 1e-12 : l < a1);
    });
    inBin.sort((x, y) => BANDPASS_RANK[bandpassOf(x)] - BANDPASS_RANK[bandpassOf(y)] || Math.abs(Math.log(wl.get(x)!) - centre) - Math.abs(Math.log(wl.get(y)!) - centre));
    if (inBin[0]) chosen.add(inBin[0]);
  }
  for (const i of new Set(pool.map((f) => inst.get(f)!))) {
    const mine = pool.filter((f) => inst.get(f) === i);
    for (const f of mine) {
      if (mine.filter((g) => chosen.has(g)).length >= 2) break;
      chosen.add(f);
    }
  }
  for (const f of pool) {
    if (chosen.size >= 5) break;
    chosen.add(f);
  }
  let out = pool.filter((f) => chosen.has(f));
  while (out.length > MAX_FILTERS) out = pruneRedundantFilters(out, (f) => wl.get(f)!).slice(0, Math.max(MAX_FILTERS, out.length - 1));
  return out.slice(0, MAX_FILTERS);
}

function featherFor(instruments: readonly string[], obs: readonly Obs[], filters: readonly string[]): number | null {
  if (instruments.length < 2) return null;
  const scales = filters.map((f) => {
    const o = obs.find((x) => x.filter === f)!;
    return pixelScaleArcsec(o.instrument, o.wavelength);
  });
  return Math.round(Math.min(0.3, (0.05 * Math.max(...scales)) / Math.min(...scales)) * 1000) / 1000;
}

function recipe(name: string, rank: number, obs: readonly Obs[], filters: string[], o: { tag?: Recipe['tag']; description: string; warning?: string | null; mosaicAware?: boolean; colors?: Record<string, string> }): Recipe {
  const used = obs.filter((x) => filters.includes(x.filter));
  const instruments = [...new Set(used.map((x) => x.instrument))].sort();
  const mosaic = o.mosaicAware ? needsMosaic(used, filters) : false;
  return {
    name,
    rank,
    filters,
    color_mapping: o.colors ?? buildColorMapping(filters),
    instruments,
    requires_mosaic: mosaic,
    estimated_time_seconds: Math.round(8 * filters.length * (mosaic ? 1.5 : 1)),
    observation_ids: [...new Set(used.map((x) => x.id).filter((v): v is string => !!v))],
    description: o.description,
    overlap_warning: o.warning ?? null,
    tag: o.tag ?? null,
    recommended_feather_strength: featherFor(instruments, obs, filters),
  };
}

function crossColors(obs: readonly Obs[], filters: readonly string[]): Record<string, string> {
  const isMiri = (f: string) => obs.some((o) => o.filter === f && o.instrument === 'MIRI');
  return buildCrossInstrumentColorMapping(filters.filter((f) => !isMiri(f)), filters.filter(isMiri));
}

function crossInstrumentRecipes(obs: readonly Obs[]): Recipe[] {
  const out: Recipe[] = [];
  const anyCoords = obs.some(hasCoords);
  const groups = anyCoords
    ? clusters(obs, (a, b) => separationArcmin(a, b) < fieldOfViewArcmin(a.instrument) + fieldOfViewArcmin(b.instrument))
    : [obs as Obs[]];
  const multi = groups.filter((g) => new Set(g.map((o) => o.instrument)).size >= 2);
  multi.forEach((g, k) => {
    const suffix = multi.length > 1 ? ` (region ${k + 1})` : '';
    const warning = anyCoords ? null : 'No coordinate data — spatial overlap assumed. Check the footprints before compositing.';
    const filters = filtersOf(g);
    const instruments = [...new Set(g.map((o) => o.instrument))].sort().join(' + ');
    if (filters.length > MAX_FILTERS) {
      const best = selectBestNFilters(g, unevenFilters(g));
      out.push(recipe(`${instruments} Best ${best.length}${suffix}`, 1, g, best, { tag: 'Recommended', description: `The ${best.length} filters that span ${instruments} best`, warning, mosaicAware: true, colors: crossColors(g, best) }));
      out.push(recipe(`${instruments} all filters${suffix}`, 10, g, filters, { tag: 'All data', description: `Every ${instruments} filter`, warning, mosaicAware: true, colors: crossColors(g, filters) }));
    } else {
      out.push(recipe(`${instruments}${suffix}`, 1, g, filters, { tag: 'Recommended', description: `${instruments} combined, near-infrared in blue-green, MIRI in orange-red`, warning, mosaicAware: true, colors: crossColors(g, filters) }));
    }
  });
  return out;
}

function instrumentRecipes(inst: string, obs: readonly Obs[], bump: number): Recipe[] {
  const out: Recipe[] = [];
  const filters = filtersOf(obs);
  const wl = (f: string) => obs.find((o) => o.filter === f)!.wavelength;
  const uneven = unevenFilters(obs);
  const warning = uneven.size ? `Uneven coverage: ${[...uneven].join(', ')} cover much less sky than the other filters` : null;
  const label = inst.charAt(0) + inst.slice(1).toLowerCase();
  if (filters.length > MAX_FILTERS) {
    const pruned = pruneRedundantFilters(filters, wl);
    out.push(recipe(`${inst} (${pruned.length} filters)`, 1 + bump, obs, pruned, { tag: 'Recommended', description: `${label}: neighbouring filters closer than 1.3x in wavelength thinned out`, warning, mosaicAware: true }));
    out.push(recipe(`${inst} all filters`, 10, obs, filters, { tag: 'All data', description: `Every ${label} filter`, warning, mosaicAware: true }));
  } else {
    out.push(recipe(`${inst} all filters`, 1 + bump, obs, filters, { tag: filters.length >= 3 ? 'Recommended' : 'All data', description: `Every ${label} filter`, warning, mosaicAware: true }));
  }
  const well = filters.filter((f) => !uneven.has(f));
  if (well.length >= 3) {
    const classic = [well[0]!, well[Math.floor((well.length - 1) / 2)]!, well[well.length - 1]!];
    if (new Set(classic).size === 3) out.push(recipe(`${inst} classic`, 2 + bump, obs, classic, { description: `${label}: shortest, middle and longest filters` }));
  } else if (well.length === 2) {
    out.push(recipe(`${inst} two-filter`, 2 + bump, obs, well, { description: `${label}: two filters` }));
  }
  const narrow = filters.filter((f) => bandpassOf(f) === 'N');
  if (narrow.length >= 2 && narrow.join() !== filters.join()) out.push(recipe(`${inst} narrowband`, 3 + bump, obs, narrow, { description: `${label}: emission lines only` }));
  const wide = filters.filter((f) => bandpassOf(f) === 'W');
  if (wide.length >= 3 && wide.join() !== filters.join()) out.push(recipe(`${inst} broadband`, 4 + bump, obs, wide, { description: `${label}: wide filters only` }));
  return out;
}

function curatedRecipes(target: string, obs: readonly Obs[]): Recipe[] {
  const curated = CURATED_RECIPES[canonicalTargetName(target)];
  if (!curated) return [];
  const out: Recipe[] = [];
  const present = new Set(obs.map((o) => o.filter));
  if (!curated.filters.every((f) => present.has(f))) return [];
  const relevant = obs.filter((o) => curated.filters.includes(o.filter));
  const tiles = obs.some(hasCoords) ? clusters(relevant, (a, b) => separationArcmin(a, b) * 60 < 60) : [relevant];
  const complete = tiles.filter((t) => curated.filters.every((f) => t.some((o) => o.filter === f))).sort((a, b) => b.length - a.length);
  if (complete.length === 0) {
    out.push(recipe(curated.name, 0, relevant, [...curated.filters], { tag: 'NASA-style', description: curated.description, colors: { ...curated.colors }, mosaicAware: true, warning: 'No single pointing has every filter: this is a patchwork of pointings.' }));
    return out;
  }
  complete.forEach((t, k) => {
    out.push(recipe(k === 0 ? curated.name : `${curated.name} (alt tile ${k})`, k === 0 ? 0 : 10, t, [...curated.filters], { tag: 'NASA-style', description: curated.description, colors: { ...curated.colors }, mosaicAware: true }));
  });
  return out;
}

export function generateRecipes(targetName: string, observations: readonly ObservationInput[], now: Date = new Date()): SuggestRecipesResponse {
  const target = targetName ? { name: targetName, common_name: null, ra: null, dec: null, category: null } : null;
  if (isBackgroundTarget(targetName)) return { target, recipes: [] };
  const obs = usable(observations, mjdOf(now));
  if (obs.length === 0) return { target, recipes: [] };
  const byInstrument = new Map<string, Obs[]>();
  for (const o of obs) byInstrument.set(o.instrument, [...(byInstrument.get(o.instrument) ?? []), o]);
  const cross = byInstrument.size > 1 ? crossInstrumentRecipes(obs) : [];
  const bump = cross.length > 0 ? 1 : 0;
  const recipes = [...curatedRecipes(targetName, obs), ...cross];
  for (const [inst, list] of [...byInstrument].sort(([a], [b]) => a.localeCompare(b))) recipes.push(...instrumentRecipes(inst, list, bump));
  return { target, recipes };
}
