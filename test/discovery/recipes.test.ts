/**
 * Recipe generation (upstream-latest §2): colours by count, filter/instrument normalisation,
 * background targets, spectra and future releases dropped, mosaic-product deduplication,
 * cross-instrument recipes first with feather strength, per-instrument All/Classic/Narrowband/
 * Broadband ranks, pruning, curated recipes, requires_mosaic; and the HTTP routes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildColorMapping, chromaticOrderHues, hueHex } from '../../src/discovery/colors.js';
import { normalizeFilter, normalizeInstrument } from '../../src/discovery/filters.js';
import { generateRecipes, pruneRedundantFilters, type ObservationInput } from '../../src/discovery/recipes.js';
import { FILTER_WAVELENGTHS } from '../../src/discovery/filters.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';

const NOW = new Date('2026-12-01T00:00:00Z');
const nircam = (filter: string, extra: Partial<ObservationInput> = {}): ObservationInput =>
  ({ filter, instrument: 'NIRCAM/IMAGE', observation_id: `jw02733-o001_t001_nircam_clear-${filter.toLowerCase()}`, s_ra: 151.757, s_dec: -40.436, ...extra });
const miri = (filter: string, extra: Partial<ObservationInput> = {}): ObservationInput =>
  ({ filter, instrument: 'MIRI', observation_id: `jw02733-o002_t001_miri_${filter.toLowerCase()}`, s_ra: 151.757, s_dec: -40.436, ...extra });

describe('recipe colours and names', () => {
  it('spreads hues by count and writes int(255 c) hex', () => {
    assert.deepEqual(chromaticOrderHues(3), [240, 120, 0]);
    assert.deepEqual(chromaticOrderHues(5), [240, 180, 120, 30, 0]);
    assert.deepEqual(chromaticOrderHues(7), [240, 210, 180, 120, 60, 30, 0]);
    assert.equal(hueHex(30), '#ff7f00');
    assert.deepEqual(buildColorMapping(['F200W', 'F444W']), { F200W: '#0080ff', F444W: '#ff8000' });
    assert.deepEqual(buildColorMapping(['F090W', 'F200W', 'F444W']), { F090W: '#0000ff', F200W: '#00ff00', F444W: '#ff0000' });
  });

  it('normalises instruments and combined filter names', () => {
    assert.equal(normalizeInstrument('NIRCAM/IMAGE'), 'NIRCAM');
    assert.equal(normalizeFilter('F405N;F444W'), 'F405N');
    assert.equal(normalizeFilter('CLEAR;f200w'), 'F200W');
    assert.equal(normalizeFilter('F999X'), undefined);
    assert.equal(Object.keys(FILTER_WAVELENGTHS).length, 38);
  });

  it('prunes the worse bandpass of close neighbours', () => {
    assert.deepEqual(pruneRedundantFilters(['F187N', 'F200W', 'F444W', 'F470N'], (f) => FILTER_WAVELENGTHS[f]!), ['F200W', 'F444W']);
  });
});

describe('generateRecipes', () => {
  it('gives nothing for background targets, and drops spectra, unknown filters and future releases', () => {
    assert.deepEqual(generateRecipes('NGC-3132-BKG', [nircam('F200W')], NOW).recipes, []);
    const r = generateRecipes('x', [nircam('F090W'), nircam('F200W'), nircam('F444W', { dataproduct_type: 'spectrum' }), nircam('F356W', { data_product_type: 'spectrum' }), nircam('F999X'), nircam('F277W', { t_obs_release: 99999 })], NOW);
    assert.deepEqual(r.recipes[0]!.filters, ['F090W', 'F200W']);
    assert.equal(r.target!.name, 'x');
  });

  it('drops mosaic-product ids when observation ids exist for the filter', () => {
    const r = generateRecipes('x', [nircam('F090W'), nircam('F090W', { observation_id: 'jw02733-c1001_t001_nircam_clear-f090w' }), nircam('F200W'), nircam('F444W')], NOW);
    assert.ok(r.recipes.every((x) => !x.observation_ids.some((id) => id.includes('-c1001_'))));
  });

  it('puts cross-instrument recipes first, with feather strength and split colours', () => {
    const r = generateRecipes('some field', [nircam('F090W'), nircam('F200W'), nircam('F444W'), miri('F770W'), miri('F1800W')], NOW);
    const cross = r.recipes[0]!;
    assert.equal(cross.rank, 1);
    assert.deepEqual(cross.instruments, ['MIRI', 'NIRCAM']);
    assert.deepEqual(cross.filters, ['F090W', 'F200W', 'F444W', 'F770W', 'F1800W']);
    assert.equal(cross.color_mapping.F090W, '#0000ff');
    assert.equal(cross.color_mapping.F1800W, '#ff0000');
    assert.equal(cross.recommended_feather_strength, Math.round(Math.min(0.3, 0.05 * 0.111 / 0.031) * 1000) / 1000);
    const nircamAll = r.recipes.find((x) => x.name === 'NIRCAM all filters')!;
    assert.equal(nircamAll.rank, 2); // bumped by the cross recipe
    assert.equal(nircamAll.recommended_feather_strength, null);
    assert.ok(r.recipes.some((x) => x.name === 'NIRCAM classic' && x.rank === 3));
  });

  it('separates far-apart fields and warns without coordinates', () => {
    const far = generateRecipes('x', [nircam('F200W'), miri('F770W', { s_ra: 152.5 })], NOW);
    assert.ok(!far.recipes.some((x) => x.instruments.length > 1));
    const blind = generateRecipes('x', [nircam('F200W', { s_ra: null, s_dec: null }), miri('F770W', { s_ra: null, s_dec: null })], NOW);
    assert.match(blind.recipes[0]!.overlap_warning!, /No coordinate data/);
  });

  it('offers narrowband and broadband subsets, thinned recipes over seven filters, mosaics', () => {
    const many = ['F090W', 'F115W', 'F150W', 'F187N', 'F200W', 'F212N', 'F277W', 'F356W', 'F444W', 'F470N'].map((f) => nircam(f));
    const r = generateRecipes('x', many, NOW);
    const pruned = r.recipes.find((x) => x.rank === 1)!;
    assert.ok(pruned.filters.length < 10 && pruned.filters.length >= 2);
    assert.ok(r.recipes.some((x) => x.name === 'NIRCAM all filters' && x.rank === 10 && x.filters.length === 10));
    assert.ok(r.recipes.some((x) => x.name === 'NIRCAM narrowband' && x.rank === 3));
    assert.ok(r.recipes.some((x) => x.name === 'NIRCAM broadband' && x.rank === 4));
    const tiles = generateRecipes('x', [nircam('F090W'), nircam('F090W', { s_ra: 151.765, observation_id: 'b' }), nircam('F200W'), nircam('F444W')], NOW);
    assert.equal(tiles.recipes[0]!.requires_mosaic, true);
    assert.equal(tiles.recipes[0]!.estimated_time_seconds, 36);
  });

  it('leads with the curated recipe of a famous target', () => {
    const filters = ['F090W', 'F187N', 'F212N', 'F356W', 'F444W', 'F470N'];
    const r = generateRecipes('NGC3132', filters.map((f) => nircam(f)), NOW);
    assert.equal(r.recipes[0]!.rank, 0);
    assert.equal(r.recipes[0]!.tag, 'NASA-style');
    assert.deepEqual(r.recipes[0]!.filters, filters);
  });
});

describe('discovery routes', () => {
  let engine: TestEngine;
  before(async () => {
    engine = await startTestEngine();
  });
  after(async () => engine.dispose());

  it('suggests recipes (snake_case and camelCase facade) and lists featured targets', async () => {
    const empty = await engine.app.inject({ method: 'POST', url: '/discovery/suggest-recipes', payload: { target_name: 'x', observations: [] } });
    assert.equal(empty.statusCode, 400);
    assert.equal(empty.json().detail, 'observations list is required');
    const res = await engine.app.inject({ method: 'POST', url: '/discovery/suggest-recipes', payload: { target_name: 'x', observations: [nircam('F090W'), nircam('F200W'), nircam('F444W')] } });
    assert.equal(res.statusCode, 200, res.body);
    assert.ok(res.json().recipes[0].color_mapping);
    const api = await engine.app.inject({ method: 'POST', url: '/api/discovery/suggest-recipes', payload: { targetName: 'x', observations: [{ filter: 'F200W', instrument: 'NIRCAM', sRa: 1, sDec: 2 }, { filter: 'F444W', instrument: 'NIRCAM', sRa: 1, sDec: 2 }] } });
    assert.equal(api.statusCode, 200, api.body);
    const recipe = api.json().recipes[0];
    assert.ok(recipe.colorMapping && recipe.estimatedTimeSeconds);
    assert.equal('recommendedFeatherStrength' in recipe, false);
    const bad = await engine.app.inject({ method: 'POST', url: '/api/discovery/suggest-recipes', payload: { observations: [{ filter: 1 }] } });
    assert.equal(bad.statusCode, 400);
    const featured = await engine.app.inject({ method: 'GET', url: '/api/discovery/featured' });
    assert.equal(featured.json().length, 12);
    assert.deepEqual(featured.json()[0].mastSearchParams, { target: 'NGC 3132', searchRadius: null });
  });
});

describe('footprint overlap warning', () => {
  it('names disconnected groups with their instruments', async () => {
    const { overlapWarning, separationArcmin } = await import('../../src/discovery/overlap.js');
    assert.ok(Math.abs(separationArcmin(10, 0, 10, 1) - 60) < 1e-9);
    const near = [{ name: 'a.fits', instrument: 'NIRCAM', ra: 150, dec: 2 }, { name: 'b.fits', instrument: 'MIRI', ra: 150.02, dec: 2 }];
    assert.equal(overlapWarning(near), null);
    const w = overlapWarning([...near, { name: 'c.fits', instrument: null, ra: 151, dec: 2 }]);
    assert.equal(w, 'These 3 files form 2 spatially disconnected groups — the composite may have large gaps.\nGroup 1: a.fits, b.fits (MIRI, NIRCAM)\nGroup 2: c.fits\nConsider compositing each group separately.');
  });
});
