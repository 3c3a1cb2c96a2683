/**
 * The progress answers serialised by hand (issue #20, session 17): `chunkedProgressBytes` gives,
 * byte for byte, what the routes' response schemas made of `chunkedProgressJson` (Fastify's own
 * serialiser compiler, as the routes used it before) and what `JSON.stringify` makes (the SSE
 * events, `chunkedProgressText`), for jobs of every status, files of every status, strings that
 * need escaping, lists longer than a run of 64 files; and the runs kept under a job object follow
 * every change of a file. The SSE events (`EventStream.sendJson` of those bytes, runs kept under the
 * job object the progress route uses) carry the same bytes as `send` of the JSON.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import SerializerSelector from '@fastify/fast-json-stringify-compiler';
import Fastify from 'fastify';
import type { App } from '../../src/server.js';
import { eventStreams } from '../../src/routes/sse.js';
import { PROGRESS_SCHEMAS, chunkedProgressBytes, chunkedProgressJson, chunkedProgressText } from '../../src/routes/downloads.js';
import type { FileProgress, JobProgress } from '../../src/downloads/index.js';

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
