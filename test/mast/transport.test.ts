import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Deadline, MastTransport } from '../../src/mast/transport.js';
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
});
