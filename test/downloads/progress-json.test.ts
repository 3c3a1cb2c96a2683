/**
 * The progress answers serialised by hand (issue #20, session 17): `chunkedProgressBytes` gives,
 * byte for byte, what the routes' response schemas made of `chunkedProgressJson` (Fastify's own
 * serialiser compiler, as the routes used it before) and what `JSON.stringify` makes (the SSE
 * events, `chunkedProgressText`), for jobs of every status, files of every status, strings that
 * need escaping, lists longer than a run of 64 files; and the runs kept under a job object follow
 * every change of a file. The SSE events (`EventStream.sendJson` of those bytes, runs kept under the
 * job object the progress route uses) carry the same bytes as `send` of the JSON.
 *
 * Session 19: an event's progress is made from what changed since the job's last event (files whose
 * frozen saved form is the same object keep their progress object), and the route writes each
 * stream in a turn of its own. Each event of a run, made by the download manager from records the
 * run's checkpoints give, is what the whole record made (`progress(downloadJobOf(record))`), byte
 * for byte, through a file changed, many changed, lists that grow and shrink, a form changed in
 * place (not frozen: read again), a pause and a finish.
 *
 * Session 20: a large item made in slices (`chunkedProgressPieces`) joins to the same bytes, and
 * the jobs answer sends an item of several pieces as they are.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type AddressInfo } from 'node:net';
import SerializerSelector from '@fastify/fast-json-stringify-compiler';
import Fastify from 'fastify';
import type { App } from '../../src/server.js';
import type { EngineContext } from '../../src/context.js';
import { eventStreams, inItsOwnTurn } from '../../src/routes/sse.js';
import { PROGRESS_SCHEMAS, chunkedProgressBytes, chunkedProgressJson, chunkedProgressParts, chunkedProgressPieces, chunkedProgressText, downloadRoutes, jobsAnswer } from '../../src/routes/downloads.js';
import { LoopSlices } from '../../src/core/loop-slices.js';
import { DownloadManager, downloadJobOf, type FileProgress, type JobProgress } from '../../src/downloads/index.js';
import { CheckpointBuilder } from '../../src/downloads/checkpoint-builder.js';
import { newFileEntry, type FileEntry, type Job } from '../../src/downloads/job.js';
import { StaticProductSource } from '../../src/downloads/product-source.js';
import { InProcessBackend, JobHandlerRegistry, JobService, LocalJobEvents, SqliteJobStore, copyForEvent, type JobRecord, type JsonObject } from '../../src/jobs/index.js';

const serializerOf = (schema: object) => SerializerSelector()()({ schema, method: 'GET', url: '/x', httpStatus: '200' }) as (data: unknown) => string;
const chunked = serializerOf(PROGRESS_SCHEMAS.chunked);
const jobs = serializerOf(PROGRESS_SCHEMAS.jobs);

function file(i: number, over: Partial<FileProgress> = {}): FileProgress {
  const statuses: FileProgress['status'][] = ['pending', 'downloading', 'complete', 'failed', 'paused'];
  const status = statuses[i % statuses.length]!;
  return {
    filename: `jw01234-o001_t001_nircam_${i}_x1d.fits`,
    localPath: `/data/mast/jw01234/${i} "quoted" \\ é ☃ \u2028.fits`,
    relativePath: `mast/jw01234/${i}.fits`,
    totalBytes: 1000 + i,
    downloadedBytes: status === 'complete' ? 1000 + i : i * 7,
    percent: status === 'complete' ? 100 : ((i * 7) / (1000 + i)) * 100,
    status,
    error: status === 'failed' ? 'HTTP 500 from "MAST"\n' : null,
    sha256: status === 'complete' ? 'ab'.repeat(32) : null,
    fitsChecksum: status === 'complete' ? 'valid' : null,
    ...over,
  };
}

function progress(over: Partial<JobProgress> = {}, n = 23): JobProgress {
  const files = Array.from({ length: n }, (_, i) => file(i));
  return {
    jobId: 'abcdef012345', obsId: 'jw01234-o001_t001_nircam', status: 'downloading', pauseReason: null, message: 'Downloading 3 of 23 "files"',
    error: null, totalFiles: n, completedFiles: files.filter((f) => f.status === 'complete').length, failedFiles: 4, currentFile: files[1]?.filename ?? null,
    totalBytes: 123456, downloadedBytes: 2345, percent: 1.8995, speedBytesPerSec: 1234.5678, etaSeconds: 12.25,
    createdAt: '2026-12-07T10:00:00.000Z', startedAt: '2026-12-07T10:00:01.000Z', completedAt: null, downloadDir: '/data/mast/jw01234',
    isFinished: false, isResumable: true, files, ...over,
  };
}

const cases: Array<[string, JobProgress]> = [
  ['running', progress()],
  ['no files yet', progress({ files: [], totalFiles: 0, completedFiles: 0, failedFiles: 0, currentFile: null, etaSeconds: null }, 0)],
  ['paused, disk full', progress({ status: 'paused', pauseReason: 'disk_full', error: 'No space left', speedBytesPerSec: 0, etaSeconds: null, currentFile: null })],
  ['complete', progress({ status: 'complete', isFinished: true, isResumable: false, completedAt: '2026-12-07T10:05:00.000Z', percent: 100, etaSeconds: 0 })],
  ['failed', progress({ status: 'failed', isFinished: true, error: 'Download failed', percent: 33.333333333333336 })],
];

describe('progress answers serialised by hand', () => {
  for (const [name, p] of cases) {
    it(`${name}: the schema's bytes and JSON.stringify's`, () => {
      const text = chunked(chunkedProgressJson(p));
      assert.equal(chunkedProgressText(p), text);
      assert.equal(chunkedProgressBytes(p).toString('utf8'), text);
      const key = {};
      assert.equal(chunkedProgressBytes(p, key).toString('utf8'), text);
      assert.equal(chunkedProgressBytes(p, key).toString('utf8'), text, 'again, from the kept runs');
    });
  }

  it('the jobs list: the schema bytes of { jobs, count }', () => {
    const list = cases.map(([, p]) => p);
    assert.equal(`{"jobs":[${list.map((p) => chunkedProgressBytes(p).toString('utf8')).join(',')}],"count":${list.length}}`, jobs({ jobs: list.map(chunkedProgressJson), count: list.length }));
  });

  it('the jobs list sent in pieces (jobsAnswer): the same bytes, one piece per item and comma', async () => {
    async function* each<T>(items: readonly T[]): AsyncGenerator<T> {
      yield* items;
    }
    const all = cases.map(([, p]) => p);
    for (const list of [[], all.slice(0, 1), all]) {
      const pieces: Buffer[] = [];
      for await (const piece of jobsAnswer(each(list.map((p) => [chunkedProgressBytes(p)])))) pieces.push(piece);
      assert.equal(Buffer.concat(pieces).toString('utf8'), jobs({ jobs: list.map(chunkedProgressJson), count: list.length }));
      assert.equal(pieces.length, list.length === 0 ? 2 : 2 * list.length + 1, 'head, items with commas between, tail');
    }
    // An item in several pieces (session 20) is sent piece by piece, with no comma inside it.
    const split = (b: Buffer) => [b.subarray(0, 10), Buffer.alloc(0), b.subarray(10)];
    const pieces: Buffer[] = [];
    for await (const piece of jobsAnswer(each([...all.map((p) => split(chunkedProgressBytes(p))), [Buffer.alloc(0)]]))) pieces.push(piece);
    assert.equal(Buffer.concat(pieces).toString('utf8'), jobs({ jobs: all.map(chunkedProgressJson), count: all.length }), 'an empty item is left out');
    assert.equal(pieces.length, 3 * all.length + 1, 'head, two pieces per item, commas, tail');
  });

  it('a large item made in slices (chunkedProgressPieces): the same bytes, the event loop run between its runs', async () => {
    const large = progress({ status: 'complete', isFinished: true }, 3000);
    const text = chunked(chunkedProgressJson(large));
    // A slice of 0 ms is always due: the loop runs after every run of 64 files.
    let turns = 0;
    const slices = new LoopSlices(0);
    const turn = slices.turn.bind(slices);
    slices.turn = async () => {
      turns++;
      await turn();
    };
    let ranMeanwhile = false;
    setImmediate(() => (ranMeanwhile = true));
    const pieces = await chunkedProgressPieces(large, undefined, slices);
    assert.ok(ranMeanwhile, 'a callback queued before ran before the item was made');
    assert.equal(turns, Math.ceil(3000 / 64), 'a turn after each run of files');
    assert.equal(Buffer.concat(pieces).toString('utf8'), text);
    assert.ok(pieces.length > 1, `${pieces.length} pieces`);
    for (const piece of pieces.slice(0, -1)) assert.ok(piece.length >= 64 * 1024, `${piece.length} bytes`);
    // Runs kept under a key: the same bytes, and the next answer (one file changed) from the kept runs.
    const key = {};
    assert.equal(Buffer.concat(await chunkedProgressPieces(large, key, new LoopSlices(0))).toString('utf8'), text);
    const files = large.files.map((f, i) => (i === 1500 ? { ...f, downloadedBytes: 7 } : f));
    const next = { ...large, files };
    assert.equal(chunkedProgressBytes(next, key).toString('utf8'), chunked(chunkedProgressJson(next)));
    assert.equal(Buffer.concat(await chunkedProgressPieces(large, key, new LoopSlices(0))).toString('utf8'), text);
    // A small item: one piece.
    const small = await chunkedProgressPieces(cases[0]![1], undefined, new LoopSlices(0));
    assert.deepEqual(small, [chunkedProgressBytes(cases[0]![1])]);
  });

  it('runs kept under a job object follow every change of a file', () => {
    const key = {};
    const p = progress({}, 200);
    const bytes = (q: JobProgress) => chunkedProgressBytes(q, key).toString('utf8');
    assert.equal(bytes(p), JSON.stringify(chunkedProgressJson(p)));
    const changes: Array<Partial<FileProgress>> = [
      { downloadedBytes: 999 }, { percent: 99.5 }, { status: 'complete' }, { error: 'x' }, { sha256: 'cd'.repeat(32) }, { fitsChecksum: 'absent' },
      { localPath: '/elsewhere.fits' }, { relativePath: 'elsewhere.fits' }, { totalBytes: 5 }, { filename: 'renamed.fits' },
    ];
    let files = [...p.files];
    for (const [k, change] of changes.entries()) {
      const at = k * 19; // in different runs of 64
      files = files.map((f, i) => (i === at ? { ...f, ...change } : f));
      const next = progress({ files, completedFiles: files.filter((f) => f.status === 'complete').length });
      assert.equal(bytes(next), JSON.stringify(chunkedProgressJson(next)), `after ${JSON.stringify(change)}`);
    }
    // Fewer files, then more (a list read again), then none complete in a run.
    for (const n of [5, 64, 65, 300]) {
      const q = progress({}, n);
      assert.equal(bytes(q), JSON.stringify(chunkedProgressJson(q)), `${n} files`);
    }
    const pending = progress({ files: files.map((f) => ({ ...f, status: 'pending' as const })) });
    assert.equal(bytes(pending), JSON.stringify(chunkedProgressJson(pending)));
  });

  it('SSE: events sent as kept-run bytes are the stream `send` of the JSON makes, polls between them', async () => {
    const app = Fastify() as unknown as App;
    const streams = eventStreams(app);
    const key = {};
    // A job's events as it runs: files change from one event to the next, a poll between events keeps runs under the same key.
    const events: JobProgress[] = [];
    let files = progress({}, 300).files;
    for (let k = 0; k < 6; k++) {
      files = files.map((f, i) => (i % 97 === k ? { ...f, status: 'complete' as const, downloadedBytes: f.totalBytes, percent: 100, localPath: `${f.localPath} ${k}` } : f));
      events.push(progress({ files, completedFiles: files.filter((f) => f.status === 'complete').length, downloadedBytes: 2345 + k }));
    }
    events.push(...cases.map(([, p]) => p));
    app.get('/events/:form', async (req, reply) => {
      const stream = streams.open(req, reply);
      const bytes = (req.params as { form: string }).form === 'bytes';
      for (const p of events) {
        if (bytes) {
          chunkedProgressBytes(p, key); // a poll of the job between events
          stream.sendJson('progress', chunkedProgressBytes(p, key));
        } else stream.send('progress', chunkedProgressJson(p));
      }
      stream.send('end', { job_id: 'abcdef012345', status: 'complete' });
      stream.end();
    });
    try {
      const [text, bytes] = await Promise.all(['text', 'bytes'].map((form) => app.inject({ method: 'GET', url: `/events/${form}` })));
      assert.equal(bytes!.statusCode, 200);
      assert.equal(bytes!.body, text!.body);
      const expected = events.map((p, i) => `event: progress\nid: ${i + 1}\ndata: ${JSON.stringify(chunkedProgressJson(p))}\n\n`).join('') +
        `event: end\nid: ${events.length + 1}\ndata: {"job_id":"abcdef012345","status":"complete"}\n\n`;
      assert.equal(bytes!.rawPayload.toString('utf8'), expected);
    } finally {
      await app.close();
    }
  });
});

describe('SSE events from what changed (issue #20, session 19)', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  /** A download manager whose job service's events the test publishes (no job runs). */
  async function manager(): Promise<{ bus: LocalJobEvents; jobs: JobService; downloads: DownloadManager }> {
    const dataDir = await mkdtemp(join(tmpdir(), 'sse-events-'));
    dirs.push(dataDir);
    const bus = new LocalJobEvents();
    const jobs = new JobService({ store: new SqliteJobStore(join(dataDir, 'jobs.db')), backend: new InProcessBackend({ compute: 1, transfer: 1 }), handlers: new JobHandlerRegistry(), dataDir, events: bus });
    return { bus, jobs, downloads: new DownloadManager({ downloadDir: join(dataDir, 'mast'), dataDir, jobs, products: new StaticProductSource() }) };
  }

  function entry(i: number): FileEntry {
    const name = `jw01234_${i}_cal.fits`;
    return newFileEntry({ filename: name, url: `https://mast.example/${name}`, dataUri: `mast:JWST/product/${name}`, localPath: `/data/mast/jw01234/${i} "q" \\ é.fits`, relativePath: `mast/jw01234/${name}`, totalBytes: 2048 });
  }

  function jobOf(n: number): Job {
    return {
      id: 'sse000000019', obsId: 'jw01234-o001_t001_nircam', productType: 'SCIENCE', calibLevel: null, subgroup: null, extension: null, productId: null,
      productFilenames: null, source: 'mast', downloadDir: '/data/mast/jw01234', files: Array.from({ length: n }, (_, i) => entry(i)), status: 'downloading', pauseReason: null, error: null,
      message: `Downloading ${n} files`, createdAt: '2026-12-07T10:00:00.000Z', startedAt: '2026-12-07T10:00:00.500Z', completedAt: null,
      updatedAt: '2026-12-07T10:00:00.500Z', owner: null, speedBytesPerSec: 1000, currentFile: null,
    };
  }

  const grow = (f: FileEntry, by: number) => {
    f.status = 'downloading';
    f.ranges = [[0, Math.min(2048, (f.ranges[0]?.[1] ?? 0) + by)]];
  };
  const complete = (f: FileEntry) => {
    f.status = 'complete';
    f.ranges = [[0, 2048]];
    f.sha256 = 'ab'.repeat(32);
    f.fitsChecksum = 'valid';
  };

  it('each event is the whole record\'s progress, byte for byte, as the run changes; streams get them in order', async () => {
    const { bus, jobs, downloads } = await manager();
    const app = Fastify() as unknown as App;
    const streams = eventStreams(app);
    try {
      const job = jobOf(0);
      job.status = 'fetching_products';
      const builder = new CheckpointBuilder();
      const base: JobRecord = {
        id: job.id, kind: 'download', state: 'running', progress: 0, stage: 'Running', createdAt: job.createdAt, startedAt: job.startedAt, finishedAt: null,
        updatedAt: job.updatedAt, owner: null, inputs: { obs_id: job.obsId } as JsonObject, result: null, outputs: [], error: null, pauseReason: null, attempts: 1, checkpoint: null,
      };
      let k = 0;
      const recordOf = (over: Partial<JobRecord> = {}): JobRecord => {
        job.updatedAt = new Date(Date.parse('2026-12-07T10:00:01.000Z') + ++k * 250).toISOString();
        return copyForEvent({ ...base, updatedAt: job.updatedAt, checkpoint: builder.build(job, new Date(job.updatedAt)) as unknown as JsonObject, ...over });
      };
      // The run, event by event.
      const records: Array<[string, JobRecord]> = [];
      records.push(['no files yet', recordOf()]);
      job.files = Array.from({ length: 300 }, (_, i) => entry(i));
      job.status = 'downloading';
      records.push(['300 files', recordOf()]);
      records.push(['nothing changed', recordOf()]);
      grow(job.files[70]!, 512);
      records.push(['one file changed', recordOf()]);
      for (let i = 0; i < 300; i += 3) (i % 2 ? complete : (f: FileEntry) => grow(f, 1024))(job.files[i]!);
      job.files[7]!.status = 'failed';
      job.files[7]!.error = 'HTTP 500 from "MAST"\n';
      records.push(['many files changed', recordOf()]);
      job.files.push(...Array.from({ length: 30 }, (_, i) => entry(300 + i)));
      records.push(['the last run grows, a run added', recordOf()]);
      job.files.splice(250);
      complete(job.files[249]!);
      records.push(['the list shrinks', recordOf()]);
      // A record whose saved forms are not frozen (read from a store or another node), then one of its forms changed in place.
      const loose = JSON.parse(JSON.stringify(recordOf())) as JobRecord;
      records.push(['saved forms not frozen', loose]);
      const again = { ...loose, updatedAt: '2026-12-07T11:00:00.000Z' };
      ((again.checkpoint!.files as JsonObject[])[3]!).status = 'complete';
      records.push(['a form not frozen changed in place', again]);
      records.push(['frozen again', recordOf()]);
      grow(job.files[10]!, 100);
      job.files[11]!.status = 'downloading';
      records.push(['paused: transfers shown paused', recordOf({ state: 'paused', pauseReason: 'user' })]);
      job.status = 'downloading';
      grow(job.files[12]!, 100);
      records.push(['running again', recordOf()]);
      for (const f of job.files) complete(f);
      job.status = 'complete';
      records.push(['finished', recordOf({ state: 'completed', finishedAt: '2026-12-07T12:00:00.000Z', progress: 1, stage: 'Completed' })]);

      const expected = records.map(([, r]) => downloads.progress(downloadJobOf(r)));
      const key = {}; // the running job's Job, under which the route keeps its runs
      app.get('/events/:form', async (req, reply) => {
        const stream = streams.open(req, reply);
        if ((req.params as { form: string }).form === 'text') {
          for (const p of expected) stream.send('progress', chunkedProgressJson(p));
          stream.end();
          return;
        }
        const heard: JobProgress[] = [];
        const off = downloads.subscribe(job.id, (p) => {
          heard.push(p);
          const bytes = chunkedProgressBytes(p, key);
          inItsOwnTurn(() => stream.sendJson('progress', bytes));
        });
        for (const [name, r] of records) {
          bus.publish({ type: 'progress', job: r });
          const i = heard.length - 1;
          assert.deepEqual(heard[i], expected[i], name);
          assert.equal(chunkedProgressBytes(heard[i]!, key).toString('utf8'), JSON.stringify(chunkedProgressJson(expected[i]!)), name);
        }
        off();
        inItsOwnTurn(() => stream.end());
      });
      const [text, bytes] = await Promise.all(['text', 'bytes'].map((form) => app.inject({ method: 'GET', url: `/events/${form}` })));
      assert.equal(bytes!.statusCode, 200);
      assert.equal(bytes!.rawPayload.toString('utf8'), text!.rawPayload.toString('utf8'));
      assert.equal(text!.rawPayload.toString('utf8'), expected.map((p, i) => `event: progress\nid: ${i + 1}\ndata: ${JSON.stringify(chunkedProgressJson(p))}\n\n`).join(''));
    } finally {
      await app.close();
      await downloads.close();
      await jobs.close();
    }
  });

  it('a file unchanged between events keeps its progress object; a changed one gets a new one', async () => {
    const { bus, jobs, downloads } = await manager();
    try {
      const job = jobOf(200);
      const builder = new CheckpointBuilder();
      const record = (): JobRecord => copyForEvent({
        id: job.id, kind: 'download', state: 'running', progress: 0, stage: 'Running', createdAt: job.createdAt, startedAt: job.startedAt, finishedAt: null,
        updatedAt: job.updatedAt, owner: null, inputs: { obs_id: job.obsId } as JsonObject, result: null, outputs: [], error: null, pauseReason: null, attempts: 1,
        checkpoint: builder.build(job) as unknown as JsonObject,
      });
      const heard: JobProgress[] = [];
      const off = downloads.subscribe(job.id, (p) => heard.push(p));
      bus.publish({ type: 'progress', job: record() });
      grow(job.files[5]!, 700);
      bus.publish({ type: 'progress', job: record() });
      off();
      const [a, b] = heard as [JobProgress, JobProgress];
      assert.equal(b.files[5]!.downloadedBytes, 700);
      assert.notEqual(a.files[5], b.files[5]);
      assert.equal(a.files.filter((f, i) => f === b.files[i]).length, 199);
    } finally {
      await downloads.close();
      await jobs.close();
    }
  });
});

describe('answers sent as their pieces, not joined (issue #20, session 20)', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  /**
   * Raw HTTP/1.1 over one connection: the requests' bytes written, everything the server sent
   * returned once it closed the connection or `done` says all came.
   */
  async function rawExchange(port: number, requests: string, done: (received: Buffer) => boolean = () => false): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const parts: Buffer[] = [];
      const socket = connect(port, '127.0.0.1', () => socket.write(requests));
      socket.on('data', (d: Buffer) => {
        parts.push(d);
        const all = Buffer.concat(parts);
        if (done(all)) {
          socket.destroy();
          resolve(all);
        }
      });
      socket.on('end', () => resolve(Buffer.concat(parts)));
      socket.on('error', reject);
    });
  }
  /** A chunked answer's last chunk came (an SSE stream keeps its connection alive after it). */
  const lastChunk = (b: Buffer) => b.subarray(-7).toString('latin1') === '\r\n0\r\n\r\n';
  const withoutDate = (head: string) => head.split('\r\n').filter((l) => !/^date:/i.test(l)).join('\r\n');

  it('chunkedProgressParts joined are chunkedProgressBytes, and their length the sum of theirs', () => {
    for (const [name, p] of [...cases, ['300 files', progress({}, 300)] as [string, JobProgress]]) {
      const key = {};
      for (const round of ['first', 'from the kept runs']) {
        const { pieces, length } = chunkedProgressParts(p, key);
        const joined = Buffer.concat(pieces);
        assert.equal(joined.length, length, `${name}, ${round}`);
        assert.equal(joined.toString('utf8'), chunked(chunkedProgressJson(p)), `${name}, ${round}`);
      }
    }
  });

  it('SSE: an event written as pieces puts the same bytes on the wire as one buffer (chunk framing included)', async () => {
    const app = Fastify() as unknown as App;
    const streams = eventStreams(app);
    const events = [...cases.map(([, p]) => p), progress({}, 300), progress({}, 0)];
    app.get('/events/:form', async (req, reply) => {
      const stream = streams.open(req, reply);
      const key = {};
      for (const p of events) {
        const { pieces } = chunkedProgressParts(p, key);
        stream.sendJson('progress', (req.params as { form: string }).form === 'pieces' ? pieces : Buffer.concat(pieces));
      }
      stream.send('end', { status: 'complete' });
      stream.end();
    });
    try {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const port = (app.server.address() as AddressInfo).port;
      const [bytes, pieces] = await Promise.all(['bytes', 'pieces'].map((form) => rawExchange(port, `GET /events/${form} HTTP/1.1\r\nHost: x\r\n\r\n`, lastChunk)));
      const split = (b: Buffer) => [withoutDate(b.subarray(0, b.indexOf('\r\n\r\n')).toString('latin1')), b.subarray(b.indexOf('\r\n\r\n'))] as const;
      const [headA, bodyA] = split(bytes!);
      const [headB, bodyB] = split(pieces!);
      assert.match(headA, /transfer-encoding: chunked/i);
      assert.equal(headB, headA);
      assert.ok(bodyB.equals(bodyA), 'the same bytes on the wire');
      const text = events.map((p, i) => `event: progress\nid: ${i + 1}\ndata: ${JSON.stringify(chunkedProgressJson(p))}\n\n`).join('');
      assert.ok(bodyA.includes(Buffer.from(JSON.stringify(chunkedProgressJson(events[5]!)))));
      assert.equal((await app.inject({ method: 'GET', url: '/events/pieces' })).body, `${text}event: end\nid: ${events.length + 1}\ndata: {"status":"complete"}\n\n`);
    } finally {
      await app.close();
    }
  });

  it('a poll answer sent as pieces: Content-Length is its length, the bytes the schema\'s; HEAD gives the length and no body', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'poll-pieces-'));
    dirs.push(dataDir);
    const store = new SqliteJobStore(join(dataDir, 'jobs.db'));
    const jobs = new JobService({ store, backend: new InProcessBackend({ compute: 1, transfer: 1 }), handlers: new JobHandlerRegistry(), dataDir, events: new LocalJobEvents() });
    const downloads = new DownloadManager({ downloadDir: join(dataDir, 'mast'), dataDir, jobs, products: new StaticProductSource() });
    const app = Fastify() as unknown as App;
    try {
      const job: Job = {
        id: 'poll00000020', obsId: 'jw01234-o001_t001_nircam', productType: 'SCIENCE', calibLevel: null, subgroup: null, extension: null, productId: null,
        productFilenames: null, source: 'mast', downloadDir: '/data/mast/jw01234', status: 'paused', pauseReason: 'user', error: null, message: 'Paused "by you" é',
        files: Array.from({ length: 300 }, (_, i) => {
          const name = `jw01234_${i}_cal.fits`;
          const f = newFileEntry({ filename: name, url: `https://mast.example/${name}`, dataUri: `mast:JWST/product/${name}`, localPath: `/data/mast/jw01234/${i} "q" \\ é ☃.fits`, relativePath: `mast/jw01234/${name}`, totalBytes: 2048 });
          if (i % 3 === 0) Object.assign(f, { status: 'complete', ranges: [[0, 2048]], sha256: 'ab'.repeat(32), fitsChecksum: 'valid' });
          return f;
        }),
        createdAt: '2026-12-07T10:00:00.000Z', startedAt: '2026-12-07T10:00:00.500Z', completedAt: null, updatedAt: '2026-12-07T10:00:02.000Z', owner: null, speedBytesPerSec: 0, currentFile: null,
      };
      await store.insert({
        id: job.id, kind: 'download', state: 'paused', progress: 0.3, stage: job.message, createdAt: job.createdAt, startedAt: job.startedAt, finishedAt: null,
        updatedAt: job.updatedAt, owner: null, inputs: { obs_id: job.obsId } as JsonObject, result: null, outputs: [], error: null, pauseReason: 'user', attempts: 1,
        checkpoint: new CheckpointBuilder().build(job) as unknown as JsonObject,
      });
      await app.register(async (scoped) => downloadRoutes(scoped as App, { downloads } as unknown as EngineContext));
      await app.listen({ port: 0, host: '127.0.0.1' });
      const port = (app.server.address() as AddressInfo).port;
      const expected = Buffer.from(chunked(chunkedProgressJson(downloads.progress((await downloads.getOrLoad(job.id))!))));
      assert.ok(expected.length > 64 * 1024 && expected.toString('utf8').includes('é ☃'));
      const url = `/mast/download/progress-chunked/${job.id}`;
      // HEAD, GET, GET on one connection (the last closes it): each answer's head and body in turn.
      let rest = await rawExchange(port, `HEAD ${url} HTTP/1.1\r\nHost: x\r\n\r\nGET ${url} HTTP/1.1\r\nHost: x\r\n\r\nGET ${url} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      for (const method of ['HEAD', 'GET', 'GET']) {
        const end = rest.indexOf('\r\n\r\n');
        const head = rest.subarray(0, end).toString('latin1');
        assert.match(head, /^HTTP\/1\.1 200 /, method);
        assert.match(head, /\r\ncontent-type: application\/json; charset=utf-8\r\n/i);
        assert.equal(/\r\ncontent-length: (\d+)/i.exec(head)?.[1], String(expected.length), method);
        assert.doesNotMatch(head, /transfer-encoding/i);
        const length = method === 'HEAD' ? 0 : expected.length;
        if (method === 'GET') assert.ok(rest.subarray(end + 4, end + 4 + length).equals(expected), 'the schema\'s bytes');
        rest = rest.subarray(end + 4 + length);
      }
      assert.equal(rest.length, 0, 'nothing after the last answer');
      const injected = await app.inject({ method: 'GET', url });
      assert.equal(injected.headers['content-length'], String(expected.length));
      assert.ok(injected.rawPayload.equals(expected));
    } finally {
      await app.close();
      await downloads.close();
      await jobs.close();
    }
  });
});
