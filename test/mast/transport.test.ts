import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { Deadline, MastTransport, loadUndici, undiciLoadedVia } from '../../src/mast/transport.js';
import { MastUnavailableError } from '../../src/mast/index.js';

describe('MastTransport', () => {
  it('refuses an oversized answer once, without retrying it', async () => {
    let hits = 0;
    const server = createServer((_req, res) => {
      hits++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ status: 'COMPLETE', data: [{ pad: 'x'.repeat(4096) }] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const transport = new MastTransport({
      baseUrl: `http://127.0.0.1:${port}`, requestTimeoutMs: 5_000, maxRetries: 3, retryBaseDelayMs: 1, userAgent: 'test', maxBodyBytes: 1024,
    });
    const deadline = new Deadline(10_000);
    try {
      await assert.rejects(
        transport.requestJson({ method: 'GET', url: '/x', deadline, what: 'Mast.Caom.Filtered' }),
        (e: unknown) => e instanceof MastUnavailableError && /larger than 1024 bytes/.test(e.message) && /Narrow the search/.test(e.message),
      );
      assert.equal(hits, 1);
      const small = new MastTransport({ baseUrl: `http://127.0.0.1:${port}`, requestTimeoutMs: 5_000, maxRetries: 0, retryBaseDelayMs: 1, userAgent: 'test' });
      const ok = await small.requestJson({ method: 'GET', url: '/x', deadline, what: 'Mast.Caom.Filtered' });
      assert.equal((ok.json as { status: string }).status, 'COMPLETE');
      assert.ok(ok.bytes > 4096);
      await small.close();
    } finally {
      deadline.dispose();
      await transport.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  describe('undici fast path (issue #20, session 17): its Agent and request API files, not its package entry', () => {
    it('the installed undici serves MAST requests through the fast path', () => {
      // 'package': an undici release moved lib/dispatcher/agent.js or lib/api/api-request.js, and
      // every command that asks MAST loads the whole package (~125 CPU ms more). Update the paths.
      assert.equal(undiciLoadedVia, 'parts');
    });

    it('importing the transport loads none of the package entry\'s other modules', () => {
      const transport = new URL('../../src/mast/transport.ts', import.meta.url).href;
      const script = `await import(${JSON.stringify(transport)});
        const { createRequire } = await import('node:module');
        const cache = createRequire(process.cwd() + '/').cache;
        console.log(JSON.stringify(Object.keys(cache).filter((k) => k.includes('/node_modules/undici/')).map((k) => k.slice(k.lastIndexOf('/node_modules/undici/') + 21))));`;
      const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
      assert.equal(child.status, 0, child.stderr);
      const loaded = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as string[];
      assert.ok(loaded.includes('lib/dispatcher/agent.js') && loaded.includes('lib/api/api-request.js'), loaded.join(', '));
      for (const entry of ['index.js', 'lib/web/fetch/index.js', 'lib/web/websocket/websocket.js', 'lib/mock/mock-agent.js']) {
        assert.ok(!loaded.includes(entry), `${entry} loaded: ${loaded.length} undici modules`);
      }
    });

    it('falls back to the package entry when a release moved the files, with the same calls', async () => {
      const real = createRequire(import.meta.url);
      const moved = loadUndici((id) => {
        if (id.startsWith('undici/lib/')) throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
        return real(id);
      });
      assert.equal(moved.via, 'package');
      const notFunctions = loadUndici((id) => (id.startsWith('undici/lib/') ? {} : real(id)));
      assert.equal(notFunctions.via, 'package');
      const server = createServer((_req, res) => res.end('{"ok":true}'));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const agent = new moved.Agent();
      try {
        const { port } = server.address() as AddressInfo;
        const res = await moved.request(agent, { origin: `http://127.0.0.1:${port}`, path: '/', method: 'GET' });
        assert.deepEqual(await res.body.json(), { ok: true });
      } finally {
        await agent.close();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });
  });
});
