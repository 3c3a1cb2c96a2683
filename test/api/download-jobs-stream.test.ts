/**
 * `GET /mast/download/jobs` over a real socket sends its answer as it makes it (issue #20,
 * session 19): the first job reaches the client before the last record is read, the event loop
 * runs between records, the bytes are Fastify's serialiser of the response schema over
 * `downloads.list`; a client gone mid-answer stops the reads, a store error mid-answer ends the
 * connection (no well-formed short answer), and the engine answers the next call in full;
 * `offset` and `limit` give pages of the same list.
 * Every wait is on an event, none on the clock.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { setImmediate as loopTurn } from 'node:timers/promises';
import SerializerSelector from '@fastify/fast-json-stringify-compiler';
import { request } from 'undici';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { PROGRESS_SCHEMAS, chunkedProgressJson } from '../../src/routes/downloads.js';
import type { JobQuery, JobRecord } from '../../src/jobs/index.js';
import { finishedDownloadRecord as finished } from '../helpers/download-records.js';

const serialise = SerializerSelector()()({ schema: PROGRESS_SCHEMAS.jobs, method: 'GET', url: '/x', httpStatus: '200' }) as (data: unknown) => string;
describe('GET /mast/download/jobs streams its answer without holding the event loop', () => {
  let engine: TestEngine;
  let address: string;
  /** Called at each store `list` of records (not of summaries) with the ids it reads, before it reads. */
  let onRead: (ids: string[]) => Promise<void> | void = () => undefined;
  /** Called when the items of a jobs answer end (all sent, or the answer stopped). */
  let onItemsEnd: () => void = () => undefined;
  /** Items taken from `listEach`'s iterators. */
  let taken = 0;
  /** The server side of the last request. */
  let lastResponse: ServerResponse | undefined;
  before(async () => {
    engine = await startTestEngine({ LIBRARY_SCAN_ON_START: 'false' });
    const store = engine.ctx.downloads.jobs.store;
    const list = store.list.bind(store);
    store.list = async (q: JobQuery = {}) => {
      if (q.ids) await onRead([...q.ids]);
      return list(q);
    };
    const downloads = engine.ctx.downloads;
    const listEach = downloads.listEach.bind(downloads);
    downloads.listEach = (async (...args: Parameters<typeof listEach>) => {
      const items = await listEach(...args);
      const wrapped = (async function* () {
        try {
          for await (const item of items) {
            taken++;
            yield item;
          }
        } finally {
          onItemsEnd();
        }
      })();
      // Stopped before its first item (HEAD), the generator's body never runs: tell it here too.
      const stop = wrapped.return.bind(wrapped);
      wrapped.return = (value) => {
        onItemsEnd();
        return stop(value);
      };
      return wrapped;
    }) as typeof downloads.listEach;
    address = await engine.app.listen({ port: 0, host: '127.0.0.1' });
    engine.app.server.on('request', (_req, res: ServerResponse) => (lastResponse = res));
  });
  after(async () => {
    await engine.dispose();
  });

  /** The answer `downloads.list` gives, as the response schema serialises it. */
  const uncached = async (): Promise<string> => {
    const downloads = engine.ctx.downloads;
    const jobs = (await downloads.list()).map((j) => chunkedProgressJson(downloads.progress(j)));
    return serialise({ jobs, count: jobs.length });
  };
  /** The route's whole answer, byte for byte the uncached one, of `count` jobs. */
  const answersInFull = async (count: number): Promise<void> => {
    const body = await (await request(`${address}/mast/download/jobs`)).body.text();
    assert.equal(body, await uncached());
    assert.equal(JSON.parse(body).count, count);
  };
  const insert = async (records: JobRecord[]) => {
    for (const r of records) await engine.ctx.downloads.jobs.store.insert(r);
  };

  // A route that made its whole answer before sending it would wait for ever at the last read: the timeout ends such a run.
  it('sends the first job before the last is read, same bytes', { timeout: 120_000 }, async () => {
    await insert(['a', 'b', 'c', 'd'].map((id, i) => finished(`stream-${id}`, i * 10, 70 + i)));
    let firstBytes!: () => void;
    const received = new Promise<void>((r) => (firstBytes = r));
    let reads = 0;
    onRead = async (ids) => {
      reads++;
      if (ids.includes('stream-d')) await received;
    };
    const res = await request(`${address}/mast/download/jobs`);
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(res.headers['transfer-encoding'], 'chunked');
    const chunks: Buffer[] = [];
    for await (const chunk of res.body) {
      chunks.push(chunk as Buffer);
      firstBytes();
    }
    assert.ok(reads >= 2, `records read in ${reads} queries`);
    const body = Buffer.concat(chunks).toString('utf8');
    assert.equal(body, await uncached());
    assert.equal(JSON.parse(body).count, 4);
    // Kept now: the same bytes again, no record read.
    reads = 0;
    const again = await request(`${address}/mast/download/jobs`);
    assert.equal(await again.body.text(), body);
    assert.equal(reads, 0);
    onRead = () => undefined;
  });

  it('lets the event loop run between the records it reads (listEach)', async () => {
    let turned = false;
    let reads = 0;
    onRead = () => {
      // Queued at the first read: it runs once the loop turns.
      if (reads++ === 0) setImmediate(() => (turned = true));
    };
    const ids: string[] = [];
    for await (const id of await engine.ctx.downloads.listEach(undefined, { offset: 0 }, () => undefined, (j) => j.id)) ids.push(id);
    onRead = () => undefined;
    assert.deepEqual(ids, ['stream-a', 'stream-b', 'stream-c', 'stream-d']);
    assert.ok(reads >= 2, `records read in ${reads} queries`);
    assert.equal(turned, true, 'the event loop ran before the list ended');
  });

  it('stops reading when the client goes, and answers the next call in full', async () => {
    const fresh = ['e', 'f', 'g', 'h', 'i'].map((id, i) => finished(`gone-${id}`, 100 + i * 10, 200));
    await insert(fresh);
    const read: string[] = [];
    let ended!: () => void;
    const itemsEnded = new Promise<void>((r) => (ended = r));
    onItemsEnd = () => ended();
    const res = await request(`${address}/mast/download/jobs`);
    assert.equal(res.statusCode, 200);
    const server = lastResponse!;
    onRead = async (ids) => {
      read.push(...ids);
      if (read.length < 2) return;
      // The second record: the client goes, and this read ends once the server saw it go and the loop turned.
      onRead = (more) => void read.push(...more);
      res.body.destroy();
      if (!server.destroyed) await once(server, 'close');
      await loopTurn();
    };
    res.body.on('error', () => undefined).resume();
    await itemsEnded;
    // The items ended (the answer's reads with them) before the last jobs were read.
    assert.ok(read.length >= 2 && read.length < fresh.length, `read ${read.join(', ')}`);
    onRead = () => undefined;
    onItemsEnd = () => undefined;
    await answersInFull(9);
  });

  it('ends the connection on a store error after the head was sent; the next call answers in full', async () => {
    await insert(['j', 'k', 'l'].map((id, i) => finished(`fail-${id}`, 300 + i * 10, 5)));
    onRead = (ids) => {
      if (ids.includes('fail-k')) throw new Error('the store failed');
    };
    const res = await request(`${address}/mast/download/jobs`);
    assert.equal(res.statusCode, 200);
    await assert.rejects(res.body.text());
    onRead = () => undefined;
    await answersInFull(12);
  });

  it('sends a job of many files made in slices: the same bytes, the loop run while its item is made', { timeout: 120_000 }, async () => {
    const downloads = engine.ctx.downloads;
    await insert([finished('large-a', 500, 3000)]);
    const progressIn = downloads.progressIn.bind(downloads);
    let turnedWhileMade: boolean | undefined;
    downloads.progressIn = async (job, slices) => {
      let turned = false;
      setImmediate(() => (turned = true));
      const p = await progressIn(job, slices);
      if (job.id === 'large-a') turnedWhileMade = turned;
      return p;
    };
    // A slice of 0 ms: the loop runs after every step (a run of 64 files), so every slice boundary is crossed.
    const slicesBefore = downloads.listSliceMs;
    downloads.listSliceMs = 0;
    try {
      const hash = async (query: string) => {
        const res = await request(`${address}/mast/download/jobs${query}`);
        const digest = createHash('sha256');
        for await (const chunk of res.body) digest.update(chunk as Buffer);
        return digest.digest('hex');
      };
      const expected = createHash('sha256').update(await uncached()).digest('hex');
      assert.equal(await hash(''), expected, 'made in slices');
      assert.equal(turnedWhileMade, true, 'a callback queued when the item began ran before it was made');
      assert.equal(await hash(''), expected, 'kept in pieces');
      const page = JSON.parse(await (await request(`${address}/mast/download/jobs?offset=12&limit=1`)).body.text()) as { jobs: Array<{ job_id: string; file_progress: unknown[] }> };
      assert.equal(page.jobs[0]?.job_id, 'large-a');
      assert.equal(page.jobs[0]?.file_progress.length, 3000);
    } finally {
      downloads.listSliceMs = slicesBefore;
      downloads.progressIn = progressIn;
    }
  });

  it('HEAD answers GET\'s status and headers after the summaries, and makes no item', async () => {
    const get = await request(`${address}/mast/download/jobs`);
    const body = await get.body.text();
    // A job not kept yet: an answer made in full would read its record.
    await insert([finished('head-a', 600, 50)]);
    let reads = 0;
    onRead = () => void reads++;
    let ended!: () => void;
    const itemsEnded = new Promise<void>((r) => (ended = r));
    onItemsEnd = () => ended();
    taken = 0;
    try {
      const head = await request(`${address}/mast/download/jobs`, { method: 'HEAD' });
      assert.equal(head.statusCode, 200);
      assert.equal(head.headers['content-type'], get.headers['content-type']);
      assert.equal(head.headers['transfer-encoding'], 'chunked');
      assert.equal(head.headers['content-length'], undefined);
      assert.equal(await head.body.text(), '');
      // Its items were stopped (or, Fastify's own HEAD route, read to their end and dropped).
      await itemsEnded;
      assert.equal(taken, 0, 'no item taken');
      assert.equal(reads, 0, 'no record read');
      const bad = await request(`${address}/mast/download/jobs?limit=0`, { method: 'HEAD' });
      assert.equal(bad.statusCode, 422);
      await bad.body.text();
    } finally {
      onRead = () => undefined;
      onItemsEnd = () => undefined;
    }
    // GET after HEAD (the same connection when kept alive: no stray body bytes), with the new job.
    await answersInFull(JSON.parse(body).count + 1);
  });

  it('answers a page of the list with offset and limit, count the jobs of the page', async () => {
    const all = JSON.parse(await uncached()) as { jobs: Array<{ job_id: string }>; count: number };
    const ids: string[] = [];
    for (let offset = 0; ; offset += 5) {
      const res = await request(`${address}/mast/download/jobs?offset=${offset}&limit=5`);
      const body = await res.body.text();
      const page = JSON.parse(body) as typeof all;
      assert.equal(page.count, page.jobs.length);
      // Each item as in the whole list.
      assert.deepEqual(page.jobs, all.jobs.slice(offset, offset + 5));
      ids.push(...page.jobs.map((j) => j.job_id));
      if (page.count < 5) break;
    }
    assert.deepEqual(ids, all.jobs.map((j) => j.job_id));
    assert.equal((await (await request(`${address}/mast/download/jobs?offset=100`)).body.text()), '{"jobs":[],"count":0}');
    for (const bad of ['limit=0', 'limit=1001', 'offset=-1']) {
      const res = await request(`${address}/mast/download/jobs?${bad}`);
      assert.equal(res.statusCode, 422, bad);
      assert.match(await res.body.text(), /"loc":\["querystring","(limit|offset)"\]/);
    }
  });
});
