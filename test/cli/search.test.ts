import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeMast } from '../fake-mast/server.js';
import { runCli } from '../helpers/cli.js';
import { formatObservations, humanBytes, renderTable } from '../../src/cli/commands/search.js';

let fake: FakeMast;

const cli = (...args: string[]) => runCli(args, { MAST_BASE_URL: fake.url, MAX_RETRIES: '1', RETRY_BASE_DELAY: '0.01' });

before(async () => {
  fake = await FakeMast.start();
});
after(async () => {
  await fake.close();
});

describe('jwst-engine search / products', () => {
  it('search target "NGC 3132" prints the resolved position and a table', async () => {
    const r = await cli('search', 'target', 'NGC 3132', '--calib-level', '3');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^NGC 3132 → RA 151\.757350, Dec -40\.436406 \(NGC 3132\), radius 0\.2°/);
    assert.match(r.stdout, /obs_id +target +instrument +filters +level +exptime_s +released +dist_arcsec/);
    assert.match(r.stdout, /jw02733-o002_t001_miri_f1800w +NGC-3132 +MIRI\/IMAGE +F1800W +3 +2708\.4 +2022-07-13 +7\.1/);
    assert.match(r.stdout, /\n10 observations\n$/);
  });

  it('search coords with a negative Dec and --radius, and --json', async () => {
    const r = await cli('search', 'coords', '151.755', '-40.437', '--radius', '0.1', '--json');
    assert.equal(r.code, 0, r.stderr);
    const body = JSON.parse(r.stdout);
    assert.equal(body.search_type, 'coordinates');
    assert.deepEqual(body.query_params, { ra: 151.755, dec: -40.437, radius: 0.1, calib_level: [2, 3] });
    assert.equal(body.total_count, 30);
    assert.match(body.timestamp, /Z$/);
    const sexa = await cli('search', 'coords', '10:07:01.2', '-40:26:13', '-r', '0.1', '-l', '3');
    assert.match(sexa.stdout, /\n10 observations\n$/);
  });

  it("search obs 'jw02733-o001*' and search program 2733", async () => {
    const obs = await cli('search', 'obs', 'jw02733-o001*');
    assert.equal(obs.code, 0, obs.stderr);
    assert.equal((obs.stdout.match(/^jw02733-o001_t001_nircam/gm) ?? []).length, 6);
    const prog = await cli('search', 'program', '2733', '--limit', '4', '--instrument', 'NIRCAM');
    assert.equal(prog.code, 0, prog.stderr);
    assert.match(prog.stdout, /\n4 of 18 observations\n$/);
  });

  it('products OBS_ID prints files, types and sizes; --json and --all', async () => {
    const r = await cli('products', 'jw02733-o001_t001_nircam_clear-f090w');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^file +type +subgroup +level +size/);
    assert.match(r.stdout, /jw02733-o001_t001_nircam_clear-f090w_i2d\.fits +SCIENCE +I2D +3 +787\.5 KiB/);
    assert.match(r.stdout, /\n10 products, 2\.3 MiB\n$/);
    const j = JSON.parse((await cli('products', 'jw02733-o001_t001_nircam_clear-f090w', '--all', '--json')).stdout);
    assert.equal(j.product_count, 13);
    assert.ok(j.products.every((p: { download_url: string }) => p.download_url.startsWith(`${fake.url}/api/v0.1/Download/file?uri=mast%3AJWST/product/`)));
  });

  it('errors go to stderr with exit code 1', async () => {
    const miss = await cli('search', 'target', 'Nowhere Object 42');
    assert.equal(miss.code, 1);
    assert.equal(miss.stderr, 'error: Could not resolve target "Nowhere Object 42" to a sky position. Check the spelling (e.g. "NGC 3132") or search by coordinates.\n');
    const bad = await cli('search', 'coords', '400', '0');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /ra: must be in \[0, 360\) degrees, got 400/);
    const none = await cli('products', 'jw99999-o001_t001_nircam_clear-f000w');
    assert.equal(none.code, 1);
    assert.match(none.stderr, /Observation "jw99999-o001_t001_nircam_clear-f000w" was not found in MAST/);
  });
});

describe('table formatting', () => {
  it('aligns text left and numbers right', () => {
    assert.equal(renderTable(['a', 'n'], [['xx', '1'], ['y', '22']], [false, true]), 'a    n\n--  --\nxx   1\ny   22');
    assert.equal(humanBytes(806400), '787.5 KiB');
    assert.equal(humanBytes(12), '12 B');
    assert.equal(formatObservations([], 0, false), 'No observations found.');
  });
});
