/** The library (records, scan, lineage, visibility, paging) on both database backends. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/index.js';
import { EVERYONE, ANONYMOUS, LIBRARY_MIGRATIONS, LibraryService, levelFromName, observationIdFrom, parseSRegion, sha256File } from '../../src/library/index.js';
import { prepareJobOutputs } from '../../src/library/job-outputs.js';
import { forEachBackend, type BackendTarget } from '../helpers/db-backends.js';
import { writeEcsv, writeProduct } from './fixtures.js';

const L3 = 'mast/jw02733-o001_t001_nircam_clear-f090w/jw02733-o001_t001_nircam_clear-f090w_i2d.fits';
const CAL = 'mast/jw02733-o001_t001_nircam_clear-f090w/jw02733001001_02101_00001_nrcb1_cal.fits';
const RATE = 'hand/jw02733001001_02101_00001_nrcb1_rate.fits';
const MIRI = 'hand/miri/jw01234-o005_t002_miri_f770w_i2d.fits';

async function library(target: BackendTarget, options: { thumbnails?: boolean } = {}) {
  const where = await target.fresh();
  const { db } = await openDatabase({ ...where, migrations: [LIBRARY_MIGRATIONS] });
  const service = new LibraryService({
    db,
    dataDir: where.dataDir,
    thumbnailer: options.thumbnails ? async () => ({ mediaType: 'image/png', bytes: new Uint8Array([137, 80, 78, 71]) }) : undefined,
  });
  return { service, dataDir: where.dataDir };
}

async function placeProducts(dataDir: string): Promise<void> {
  const region = 'POLYGON ICRS  53.1 -27.8 53.2 -27.8 53.2 -27.7 53.1 -27.7';
  await writeProduct(dataDir, { rel: L3, instrument: 'NIRCAM', filter: 'F090W', pupil: 'CLEAR', target: 'NGC-3132', ra: 151.75, dec: -40.43, sRegion: region });
  await writeProduct(dataDir, { rel: CAL, instrument: 'NIRCAM', filter: 'F090W', target: 'NGC-3132', ra: 151.75, dec: -40.43 });
  await writeProduct(dataDir, { rel: RATE, instrument: 'NIRCAM', filter: 'F444W', pupil: 'F405N', target: 'NGC-3132' });
  await writeProduct(dataDir, { rel: MIRI, instrument: 'MIRI', filter: 'F770W', target: 'Carina' });
  await writeEcsv(dataDir, 'hand/jw02733-o001_t001_nircam_clear-f090w_cat.ecsv');
  await writeFile(join(dataDir, 'notes.txt'), 'not a data file');
  await writeProduct(dataDir, { rel: '.download_state/hidden_i2d.fits', instrument: 'NIRCAM' });
}

forEachBackend('library', (target) => {
  it('scans DATA_DIR into records: level, observation, instrument, filter, target, position, footprint', async () => {
    const { service, dataDir } = await library(target);
    try {
      await placeProducts(dataDir);
      const report = await service.scan();
      assert.equal(report.files, 5);
      assert.equal(report.added, 5);
      const page = await service.repo.list({ viewer: EVERYONE, limit: 100 });
      const byPath = new Map(page.records.map((r) => [r.path, r]));
      assert.deepEqual([...byPath.keys()].sort(), [L3, CAL, RATE, MIRI, 'hand/jw02733-o001_t001_nircam_clear-f090w_cat.ecsv'].sort());
      const l3 = byPath.get(L3)!;
      assert.equal(l3.calibrationLevel, 'L3');
      assert.equal(l3.observationId, 'jw02733-o001_t001_nircam_clear-f090w');
      assert.equal(l3.instrument, 'NIRCAM');
      assert.equal(l3.filter, 'F090W');
      assert.equal(l3.target, 'NGC-3132');
      assert.equal(l3.ra, 151.75);
      assert.equal(l3.dec, -40.43);
      assert.deepEqual(l3.footprint, [[53.1, -27.8], [53.2, -27.8], [53.2, -27.7], [53.1, -27.7]]);
      assert.equal(l3.dataType, 'image');
      assert.equal(l3.source, 'scan');
      assert.equal(l3.sha256, null, 'a scan reads headers only');
      assert.equal(byPath.get(CAL)!.calibrationLevel, 'L2b');
      assert.equal(byPath.get(CAL)!.observationId, 'jw02733-o001_t001_nircam_clear-f090w', 'the mast/{obs_id}/ folder names the observation');
      const rate = byPath.get(RATE)!;
      assert.equal(rate.calibrationLevel, 'L2a');
      assert.equal(rate.observationId, 'jw02733001001');
      assert.equal(rate.filter, 'F444W;F405N');
      const cat = byPath.get('hand/jw02733-o001_t001_nircam_clear-f090w_cat.ecsv')!;
      assert.equal(cat.dataType, 'table');
      assert.equal(cat.calibrationLevel, 'L3');
      assert.equal(cat.instrument, 'NIRCAM');
      // A second scan reads nothing again.
      const again = await service.scan();
      assert.equal(again.unchanged, 5);
      assert.equal(again.added + again.updated, 0);
    } finally {
      await service.close();
    }
  });

  it('writes a scan of many files in batches: every file once, a changed one updated', async () => {
    const { service, dataDir } = await library(target);
    try {
      // 600 files: two full batches of records and a partial one (SCAN_BATCH 256).
      const bytes = await readFile(await writeProduct(dataDir, { rel: 'many/jw01234-o000000_t001_nircam_i2d.fits', instrument: 'NIRCAM', filter: 'F200W' }));
      for (let i = 1; i < 600; i++) await writeFile(join(dataDir, 'many', `jw01234-o${String(i).padStart(6, '0')}_t001_nircam_i2d.fits`), bytes);
      const first = await service.scan();
      assert.deepEqual([first.files, first.added, first.updated], [600, 600, 0]);
      const listed = new Set<string>();
      let cursor: string | undefined;
      do {
        const page = await service.repo.list({ viewer: EVERYONE, limit: 250, cursor, filter: 'F200W' });
        for (const r of page.records) listed.add(r.path);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      assert.equal(listed.size, 600);
      const changed = join(dataDir, 'many', 'jw01234-o000599_t001_nircam_i2d.fits');
      await utimes(changed, new Date(), new Date(Date.now() + 5000));
      const again = await service.scan();
      assert.deepEqual([again.unchanged, again.updated, again.added], [599, 1, 0]);
    } finally {
      await service.close();
    }
  });

  it('notices deleted, changed and restored files', async () => {
    const { service, dataDir } = await library(target);
    try {
      await placeProducts(dataDir);
      await service.scan();
      const before = (await service.repo.getByPath(MIRI))!;
      await rm(join(dataDir, MIRI));
      const r1 = await service.scan();
      assert.equal(r1.missing, 1);
      assert.equal((await service.repo.list({ viewer: EVERYONE, limit: 100 })).records.length, 4);
      assert.equal((await service.repo.get(before.dataId))!.missing, true);
      await writeProduct(dataDir, { rel: MIRI, instrument: 'MIRI', filter: 'F1130W', target: 'Carina' });
      await utimes(join(dataDir, MIRI), new Date(), new Date(Date.now() + 5000));
      const r2 = await service.scan();
      assert.equal(r2.updated, 1);
      const after = (await service.repo.get(before.dataId))!;
      assert.equal(after.dataId, before.dataId, 'the path keeps its id');
      assert.equal(after.missing, false);
      assert.equal(after.filter, 'F1130W');
    } finally {
      await service.close();
    }
  });

  it('prepares a job\'s output records outside any transaction and writes them only with the transaction that commits them', async () => {
    const { service, dataDir } = await library(target, { thumbnails: true });
    try {
      await placeProducts(dataDir);
      const job = { id: 'job-7', kind: 'composite', owner: 'bob', inputs: { file_path: CAL }, outputs: [{ path: MIRI }, { path: 'notes.txt' }] };
      const input = await service.registerCompletedFile({ path: CAL, source: 'download' });
      const writes = (await prepareJobOutputs(service, job))!;
      // Prepared (headers read, checksum computed): nothing written yet.
      assert.equal(await service.repo.getByPath(MIRI), undefined);
      // A transaction that fails after the writes leaves no record.
      await assert.rejects(service.db.transaction(async (tx) => {
        await writes.write(tx);
        throw new Error('injected');
      }), /injected/);
      assert.equal(await service.repo.getByPath(MIRI), undefined);
      // Run again in a transaction that commits: the records, with lineage; then their thumbnails.
      await service.db.transaction((tx) => writes.write(tx));
      writes.committed();
      const out = (await service.repo.getByPath(MIRI))!;
      assert.equal(out.jobId, 'job-7');
      assert.equal(out.owner, 'bob');
      assert.deepEqual(out.inputIds, [input.dataId]);
      assert.equal(out.sha256, await sha256File(join(dataDir, MIRI)));
      await service.idle();
      assert.equal((await service.repo.get(out.dataId))!.hasThumbnail, true);
      assert.equal(await prepareJobOutputs(service, { ...job, outputs: [{ path: 'notes.txt' }] }), undefined);
    } finally {
      await service.close();
    }
  });

  it('registers completed files with checksum, lineage, owner and thumbnail', async () => {
    const { service, dataDir } = await library(target, { thumbnails: true });
    try {
      await placeProducts(dataDir);
      const input = await service.registerCompletedFile({ path: join(dataDir, CAL), source: 'download', sha256: 'ab'.repeat(32), awaitThumbnail: true });
      assert.equal(input.sha256, 'ab'.repeat(32));
      assert.equal(input.visibility, 'public');
      assert.equal(input.hasThumbnail, true);
      const out = await service.registerCompletedFile({
        path: 'hand/miri/jw01234-o005_t002_miri_f770w_i2d.fits', source: 'job', jobId: 'job-1', inputIds: [input.dataId], owner: 'alice',
      });
      assert.equal(out.sha256, await sha256File(join(dataDir, MIRI)));
      assert.equal(out.owner, 'alice');
      assert.equal(out.visibility, 'private');
      assert.equal(out.jobId, 'job-1');
      assert.deepEqual(out.inputIds, [input.dataId]);
      assert.deepEqual((await service.repo.derivedFrom(input.dataId, EVERYONE)).map((r) => r.dataId), [out.dataId]);
      await service.idle();
      const thumb = await service.repo.getThumbnail(out.dataId);
      assert.deepEqual([...thumb!.bytes], [137, 80, 78, 71]);
      // A scan afterwards keeps what the registration knew.
      await service.scan();
      const kept = (await service.repo.get(out.dataId))!;
      assert.equal(kept.owner, 'alice');
      assert.equal(kept.jobId, 'job-1');
      assert.equal(kept.sha256, out.sha256);
      await assert.rejects(service.registerCompletedFile({ path: '/etc/passwd', source: 'import' }), /outside/);
    } finally {
      await service.close();
    }
  });

  it('shows each viewer what it may see: everyone, anonymous, owner, other user, Admin', async () => {
    const { service, dataDir } = await library(target);
    try {
      await placeProducts(dataDir);
      await service.scan();
      const mine = await service.registerCompletedFile({ path: RATE, source: 'job', owner: 'alice' });
      const ids = async (viewer: Parameters<typeof service.repo.list>[0]['viewer'], mineOnly = false) =>
        (await service.repo.list({ viewer, limit: 100, mine: mineOnly })).records.map((r) => r.dataId);
      assert.equal((await ids(EVERYONE)).length, 5);
      assert.equal((await ids(ANONYMOUS)).includes(mine.dataId), false);
      assert.equal((await ids(ANONYMOUS)).length, 4);
      assert.equal((await ids({ kind: 'user', userId: 'alice', admin: false })).includes(mine.dataId), true);
      assert.deepEqual(await ids({ kind: 'user', userId: 'alice', admin: false }, true), [mine.dataId]);
      assert.equal((await ids({ kind: 'user', userId: 'bob', admin: false })).includes(mine.dataId), false);
      assert.equal((await ids({ kind: 'user', userId: 'root', admin: true })).includes(mine.dataId), true);
      await assert.rejects(service.resolve(mine.dataId, { kind: 'user', userId: 'bob', admin: false }), /not found/);
      assert.equal((await service.resolve(mine.dataId, { kind: 'user', userId: 'alice', admin: false })).path, RATE);
      await assert.rejects(service.resolve('../../etc/passwd', EVERYONE), /not found/);
      // Availability by observation: L2a+ only, visible and present.
      const avail = await service.repo.availability(['jw02733-o001_t001_nircam_clear-f090w', 'jw02733001001', 'jw99999-o001'], ANONYMOUS);
      assert.deepEqual(avail.get('jw02733-o001_t001_nircam_clear-f090w')?.levels.sort(), ['L2b', 'L3']);
      assert.equal(avail.has('jw02733001001'), false, "alice's private rate file is not visible anonymously");
      assert.equal(avail.has('jw99999-o001'), false);
      const alice = await service.repo.availability(['jw02733001001'], { kind: 'user', userId: 'alice', admin: false });
      assert.deepEqual(alice.get('jw02733001001')?.dataIds, [mine.dataId]);
    } finally {
      await service.close();
    }
  });

  it('filters and pages by cursor, newest first, every record once', async () => {
    const { service, dataDir } = await library(target);
    try {
      await placeProducts(dataDir);
      await service.scan();
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 10; i++) {
        const page = await service.repo.list({ viewer: EVERYONE, limit: 2, cursor, withTotal: true });
        assert.equal(page.total, 5);
        seen.push(...page.records.map((r) => r.dataId));
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
      assert.equal(seen.length, 5);
      assert.equal(new Set(seen).size, 5);
      const list = async (q: Partial<Parameters<typeof service.repo.list>[0]>) =>
        (await service.repo.list({ viewer: EVERYONE, limit: 100, ...q })).records.map((r) => r.path).sort();
      assert.deepEqual(await list({ instrument: 'miri' }), [MIRI]);
      assert.deepEqual(await list({ levels: ['L2a', 'L2b'] }), [CAL, RATE].sort());
      assert.deepEqual(await list({ filter: 'f090w', levels: ['L3'] }), [L3]);
      assert.deepEqual(await list({ target: 'ngc' }), [L3, CAL, RATE].sort());
      assert.deepEqual(await list({ target: 'carina' }), [MIRI]);
      assert.deepEqual(await list({ dataType: 'table' }), ['hand/jw02733-o001_t001_nircam_clear-f090w_cat.ecsv']);
      const miri = (await service.repo.getByPath(MIRI))!;
      await service.repo.update(miri.dataId, { archived: true });
      assert.deepEqual(await list({ instrument: 'MIRI' }), []);
      assert.deepEqual(await list({ instrument: 'MIRI', includeArchived: true }), [MIRI]);
      await assert.rejects(service.repo.list({ viewer: EVERYONE, limit: 2, cursor: 'garbage' }), /invalid cursor/);
      // Planner statistics (ANALYZE, the same SQL on both backends) change plans, never answers.
      await service.repo.refreshStatistics();
      assert.deepEqual(await list({ target: 'ngc' }), [L3, CAL, RATE].sort());
    } finally {
      await service.close();
    }
  });
});

it('names levels and observations from JWST file names', () => {
  assert.equal(levelFromName('jw01_uncal.fits'), 'L1');
  assert.equal(levelFromName('jw01_rateints.fits'), 'L2a');
  assert.equal(levelFromName('jw01_calints.fits.gz'), 'L2b');
  assert.equal(levelFromName('jw01_crf.fits'), 'L2b');
  assert.equal(levelFromName('jw01_x1dints.fits'), 'L3');
  assert.equal(levelFromName('jw01_s3d.fits'), 'L3');
  assert.equal(levelFromName('image.fits'), null);
  assert.equal(observationIdFrom('x/jw01234-o005_t002_miri_f770w_i2d.fits', undefined), 'jw01234-o005_t002_miri_f770w');
  assert.equal(observationIdFrom('x/y.fits', 'V01234005001'), 'V01234005001');
  assert.deepEqual(parseSRegion('POLYGON 1 2 3 4 5 6'), [[1, 2], [3, 4], [5, 6]]);
  assert.equal(parseSRegion('CIRCLE 1 2 3'), null);
});
