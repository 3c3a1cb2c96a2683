/**
 * Every answer the HTTP layer gives is `{"detail": ...}` with the catalogue's status, Fastify's and
 * Node's own included (404 route, 413 body, 414 path segment, 415 media type, 431 headers, 408,
 * bad JSON), and no answer carries an absolute server path or a raw system message
 * (ENOENT/EACCES/ENOSPC injected).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from 'typebox';
import { loadSettings } from '../../src/config.js';
import { createEngineContext } from '../../src/engine.js';
import { buildServer, type App } from '../../src/server.js';
import { ERROR_CATALOGUE } from '../../src/error-catalogue.js';
import { FitsError } from '../../src/fits/errors.js';
import type { EngineContext } from '../../src/context.js';

function sysError(code: string, text: string, syscall: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${text}, ${syscall} '${path}'`), { code, syscall, path, errno: -1 });
}

/** Sends raw bytes to the server and returns the whole answer once the socket closes. */
function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (answer += d));
    socket.on('error', (err) => (answer ? resolve(answer) : reject(err)));
    socket.on('close', () => resolve(answer));
    socket.write(request);
  });
}

describe('HTTP error answers', () => {
  let app: App;
  let ctx: EngineContext;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'error-answers-'));
    ctx = await createEngineContext(loadSettings({ DATA_DIR: dir, LOG_LEVEL: 'silent', WORKER_THREADS: '1' }));
    app = await buildServer(ctx, [
      (a) => {
        a.post('/t/echo', { schema: { body: Type.Object({ name: Type.String() }) } }, async (req) => req.body);
        a.get('/t/item/:id', async (req) => ({ id: (req.params as { id: string }).id }));
        a.get('/t/enoent', async () => readFile(join(dir, 'mast', 'gone', 'x.fits')));
        a.get('/t/eacces', async () => { throw sysError('EACCES', 'permission denied', 'open', join(dir, 'mast', 'x.fits')); });
        a.get('/t/enospc', async () => { throw sysError('ENOSPC', 'no space left on device', 'write', join(dir, 'processed', 'x.fits')); });
        a.get('/t/fits', async () => { throw new FitsError('FITS_IO', `cannot open ${join(dir, 'mast', 'x.fits')}: EACCES`); });
        a.get('/t/worker', async () => ctx.pool.run('tables.info', { path: join(dir, 'missing', 'x.ecsv') }));
      },
    ]);
  });
  after(async () => {
    await app.close();
    await ctx.pool.close();
    await rm(dir, { recursive: true, force: true });
  });

  const expectDetail = (res: { statusCode: number; headers: Record<string, unknown>; json(): unknown }, code: keyof typeof ERROR_CATALOGUE): string => {
    assert.equal(res.statusCode, ERROR_CATALOGUE[code].status, code);
    assert.match(String(res.headers['content-type']), /application\/json/);
    const body = res.json() as { detail: unknown };
    assert.deepEqual(Object.keys(body), ['detail']);
    assert.equal(typeof body.detail, 'string');
    return body.detail as string;
  };

  it('answers an unknown route 404 Not Found', async () => {
    const res = await app.inject({ method: 'GET', url: '/no/such/route' });
    assert.equal(expectDetail(res, 'ROUTE_NOT_FOUND'), 'Not Found');
  });

  it('answers a body over the limit 413', async () => {
    const res = await app.inject({ method: 'POST', url: '/t/echo', headers: { 'content-type': 'application/json' }, payload: `{"name": "${'x'.repeat(17 * 1024 * 1024)}"}` });
    expectDetail(res, 'BODY_TOO_LARGE');
  });

  it('answers a path segment over 100 characters 414 without echoing the URL', async () => {
    const long = 'a'.repeat(300);
    const res = await app.inject({ method: 'GET', url: `/t/item/${long}` });
    const detail = expectDetail(res, 'URL_TOO_LONG');
    assert.ok(!detail.includes(long));
  });

  it('answers an unsupported media type 415 without echoing it', async () => {
    const res = await app.inject({ method: 'POST', url: '/t/echo', headers: { 'content-type': 'text/x-evil-type' }, payload: 'name=x' });
    const detail = expectDetail(res, 'UNSUPPORTED_MEDIA_TYPE');
    assert.ok(!detail.includes('evil'));
  });

  it('answers malformed and empty JSON 400', async () => {
    for (const payload of ['{"name": ', '']) {
      const res = await app.inject({ method: 'POST', url: '/t/echo', headers: { 'content-type': 'application/json' }, payload });
      expectDetail(res, 'INVALID_JSON');
    }
  });

  it('answers headers over 16 KiB 431 with a JSON detail (Node\'s parser, over a real socket)', async () => {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as { port: number }).port;
    const answer = await raw(port, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'y'.repeat(20_000)}\r\n\r\n`);
    assert.match(answer, /^HTTP\/1\.1 431 /);
    assert.match(answer, /content-type: application\/json/i);
    assert.deepEqual(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)), { detail: ERROR_CATALOGUE.HEADERS_TOO_LARGE.message });
    const garbage = await raw(port, 'NOT HTTP AT ALL\r\n\r\n');
    assert.match(garbage, /^HTTP\/1\.1 400 /);
    assert.deepEqual(JSON.parse(garbage.slice(garbage.indexOf('\r\n\r\n') + 4)), { detail: ERROR_CATALOGUE.CLIENT_ERROR.message });
  });

  it('answers a request timeout 408 with a JSON detail', () => {
    let written = '';
    let destroyed = false;
    const socket = { destroyed: false, writable: true, write: (s: string) => { written += s; return true; }, destroy: () => { destroyed = true; } };
    app.server.emit('clientError', Object.assign(new Error('timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), socket);
    assert.match(written, /^HTTP\/1\.1 408 /);
    assert.deepEqual(JSON.parse(written.slice(written.indexOf('\r\n\r\n') + 4)), { detail: ERROR_CATALOGUE.REQUEST_TIMEOUT.message });
    assert.ok(destroyed);
  });

  it('never sends a server path or a raw system message (ENOENT, EACCES, ENOSPC, in a worker too)', async () => {
    const cases: Array<[string, keyof typeof ERROR_CATALOGUE]> = [
      ['/t/enoent', 'IO_NOT_FOUND'], ['/t/eacces', 'IO_DENIED'], ['/t/enospc', 'IO_NO_SPACE'], ['/t/fits', 'FITS_IO'], ['/t/worker', 'IO_NOT_FOUND'],
    ];
    for (const [url, code] of cases) {
      const detail = expectDetail(await app.inject({ method: 'GET', url }), code);
      assert.ok(!detail.includes(dir), `${url}: ${detail}`);
      assert.doesNotMatch(detail, /(^|[\s'"(])\/(tmp|home|root|var|app|work)\//, `${url}: ${detail}`);
      assert.doesNotMatch(detail, /\bE[A-Z]{2,}\b/, `${url}: ${detail}`);
    }
    assert.equal(expectDetail(await app.inject({ method: 'GET', url: '/t/fits' }), 'FITS_IO'), 'cannot open mast/x.fits: permission denied');
  });
});
