import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { Http1Client, UNCLAIMED_READ_SIZE, type HttpResponse } from '../../src/downloads/http1-client.js';
import { seededBytes } from './helpers.js';

const data = seededBytes(3 * 1024 * 1024 + 11, 5);

async function readAll(res: HttpResponse, pauseEvery = 0): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  await res.body.pipe((chunk) => {
    parts.push(Buffer.from(chunk));
    if (pauseEvery && ++n % pauseEvery === 0) {
      setTimeout(() => res.body.resume(), 5);
      return false;
    }
    return true;
  });
  return Buffer.concat(parts);
}

describe('Http1Client', () => {
  let server: Server;
  let base: string;
  const sockets = new Set<Socket>();
  let connections = 0;
  let open = 0;
  let maxOpen = 0;
  /** The last GET /file answer and its socket (the server's side). */
  let lastFile: { res: import('node:http').ServerResponse; socket: Socket } | undefined;

  before(async () => {
    server = createServer(async (req, res) => {
      if (req.url === '/chunked') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        // Many small chunks, so chunk headers fall across reads.
        for (let pos = 0; pos < 200_000; pos += 7_001) {
          res.write(data.subarray(pos, Math.min(200_000, pos + 7_001)));
          if (pos % 70_010 === 0) await new Promise((r) => setTimeout(r, 2));
        }
        res.end();
      } else if (req.url === '/slow') {
        res.writeHead(200, { 'content-length': String(data.length) });
        res.write(data.subarray(0, 1000));
        // never finishes: for abort and stall
      } else {
        res.writeHead(200, { 'content-length': String(data.length) });
        if (req.method !== 'HEAD') lastFile = { res, socket: req.socket };
        res.end(req.method === 'HEAD' ? undefined : data);
      }
    });
    server.on('connection', (s) => {
      connections++;
      open++;
      maxOpen = Math.max(maxOpen, open);
      sockets.add(s);
      s.on('close', () => {
        open--;
        sockets.delete(s);
      });
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const turn = () => new Promise((r) => setImmediate(r));

  /**
   * Resolves once the last /file answer was written out as far as the kernel takes it (its end
   * asked for, and at least `bytes` of it accepted by the kernel: on loopback that is in the
   * client's receive buffer, there for the client to read), and the client's event loop then went
   * twice through its I/O phase, where a client that read without being asked would have read it.
   */
  async function serverSent(bytes: number): Promise<void> {
    const accepted = () => (lastFile ? lastFile.socket.bytesWritten - lastFile.socket.writableLength : 0);
    while (!lastFile?.res.writableEnded || accepted() < Math.min(bytes, data.length)) await turn();
    await turn();
    await turn();
  }

  const get = (client: Http1Client, path: string, signal = new AbortController().signal, method: 'GET' | 'HEAD' = 'GET') =>
    client.request(`${base}${path}`, { method, headers: {}, signal, timeoutMs: 2000 });

  it('reads Content-Length and chunked bodies byte for byte, with pauses, over one kept-alive connection', async () => {
    const client = new Http1Client({ connectionsPerOrigin: 4 });
    const before = connections;
    assert.ok((await readAll(await get(client, '/file'), 3)).equals(data));
    const chunked = await get(client, '/chunked');
    assert.equal(chunked.headers['transfer-encoding'], 'chunked');
    assert.ok((await readAll(chunked)).equals(data.subarray(0, 200_000)));
    const head = await get(client, '/file', undefined, 'HEAD');
    assert.equal(head.headers['content-length'], String(data.length));
    await readAll(head);
    assert.equal(connections - before, 1, 'one connection for three sequential requests');
    await client.close();
  });

  it('reads a body straight into lent memory, mixing with the sink after pauses, and never past a lent region', async () => {
    const client = new Http1Client({ connectionsPerOrigin: 1 });
    for (const regionBytes of [1, 4096, 100_003, 1 << 20]) {
      const res = await get(client, '/file');
      const out = Buffer.alloc(data.length + 64, 0xee);
      let at = 0;
      let lentEnd = -1;
      let inPlace = 0;
      let copied = 0;
      let fills = 0;
      let pauses = 0;
      let paused = false;
      // Lends [at, at+regionBytes); pauses after every fifth read and resumes later. lend() is
      // also asked while paused: at every other pause it lends nothing, so the first read after
      // that resume comes through the sink, as a copy; at the others that read lands in place.
      const pauseNow = () => {
        if (++fills % 5 !== 0) return true;
        paused = true;
        pauses++;
        setTimeout(() => {
          paused = false;
          res.body.resume();
        }, 2);
        return false;
      };
      await res.body.pipe(
        (chunk) => {
          chunk.copy(out, at);
          at += chunk.length;
          copied += chunk.length;
          return pauseNow();
        },
        {
          lend: () => {
            if (paused && pauses % 2 === 1) return undefined;
            lentEnd = at + regionBytes;
            return out.subarray(at, lentEnd);
          },
          filled: (n) => {
            assert.ok(at + n <= lentEnd, 'a read stays inside the lent region');
            at += n;
            inPlace += n;
            return pauseNow();
          },
        },
      );
      assert.equal(at, data.length);
      assert.ok(out.subarray(0, data.length).equals(data), `body intact with ${regionBytes}-byte regions`);
      assert.ok(out.subarray(data.length).every((b) => b === 0xee), 'nothing written past the body');
      // Small regions: a few reads in place, then a pause, then a whole socket read copied.
      assert.ok(regionBytes < 1 << 20 ? inPlace > 0 : inPlace > copied, `bytes read in place with ${regionBytes}-byte regions (${inPlace} in place, ${copied} copied)`);
    }
    // The connection is reused afterwards, and a plain sink still sees every byte.
    assert.ok((await readAll(await get(client, '/file'))).equals(data));
    await client.close();
    while (open > 0) await new Promise((r) => setTimeout(r, 5));
  });

  it('holds at most a small read of a body nobody has piped yet; the rest is read in place once it is', async () => {
    const client = new Http1Client({ connectionsPerOrigin: 1 });
    // As the lookahead request of the next piece: the answer arrives, its body is piped later.
    lastFile = undefined;
    const res = await get(client, '/file');
    await serverSent(8 * UNCLAIMED_READ_SIZE); // the server has sent what the socket takes, far more than the client may hold
    const out = Buffer.alloc(data.length);
    let at = 0;
    let copied = 0;
    await res.body.pipe(
      (chunk) => {
        chunk.copy(out, at);
        at += chunk.length;
        copied += chunk.length;
        return true;
      },
      {
        lend: () => out.subarray(at),
        filled: (n) => {
          at += n;
          return true;
        },
      },
    );
    assert.equal(at, data.length);
    assert.ok(out.equals(data));
    // The read that brought the head (its tail is body), and perhaps one more before the pause holds.
    assert.ok(copied > 0 && copied <= 2 * UNCLAIMED_READ_SIZE, `held before the pipe: ${copied} bytes`);
    await client.close();
    while (open > 0) await new Promise((r) => setTimeout(r, 5));
  });

  it('keeps to its connection limit and still answers after the server closed its kept-alive connections', async () => {
    const client = new Http1Client({ connectionsPerOrigin: 2 });
    maxOpen = open;
    const bodies = await Promise.all(Array.from({ length: 5 }, async () => readAll(await get(client, '/file'))));
    for (const b of bodies) assert.ok(b.equals(data));
    assert.ok(maxOpen <= 2, `at most 2 connections open (saw ${maxOpen})`);
    // The server drops every idle connection; the next request must still succeed. Asked at once
    // (no I/O turn between), it surely goes out on a connection the client has not seen close yet,
    // and is retried on a fresh one.
    for (const s of sockets) s.destroy();
    assert.ok((await readAll(await get(client, '/file'))).equals(data));
    // Asked once the server's sockets have closed and the client's loop went through its I/O
    // phase since (where it reads their end), it goes out on a fresh connection; were the close not
    // seen yet, as above.
    for (const s of sockets) s.destroy();
    while (open > 0) await turn();
    await turn();
    await turn();
    assert.ok((await readAll(await get(client, '/file'))).equals(data));
    await client.close();
  });

  it('rejects a body with the abort reason, and a silent server with a stall error', async () => {
    const client = new Http1Client({ connectionsPerOrigin: 2 });
    const controller = new AbortController();
    const res = await get(client, '/slow', controller.signal);
    // Aborted once the body's first bytes have reached the reader (the rest never comes).
    let firstBytes!: () => void;
    const arrived = new Promise<void>((resolve) => (firstBytes = resolve));
    const reading = res.body.pipe(() => {
      firstBytes();
      return true;
    });
    await arrived;
    controller.abort(new Error('paused by user'));
    await assert.rejects(reading, /paused by user/);
    const stalled = await client.request(`${base}/slow`, { method: 'GET', headers: {}, signal: new AbortController().signal, timeoutMs: 150 });
    await assert.rejects(readAll(stalled), (err: Error) => err.name === 'StalledError' || /no data for 150 ms/.test(err.message));
    await client.close();
  });

  it('downloads over HTTPS (TLS) byte for byte, trusting the given certificate authority and refusing an unknown one', async () => {
    const tlsDir = new URL('../fixtures/tls/', import.meta.url);
    const cert = readFileSync(new URL('localhost-cert.pem', tlsDir));
    const key = readFileSync(new URL('localhost-key.pem', tlsDir));
    const https = createHttpsServer({ cert, key }, (req, res) => {
      res.writeHead(200, { 'content-length': String(data.length) });
      res.end(data);
    });
    await new Promise<void>((r) => https.listen(0, '127.0.0.1', () => r()));
    const url = `https://localhost:${(https.address() as AddressInfo).port}/file`;
    try {
      const trusting = new Http1Client({ connectionsPerOrigin: 1, ca: cert });
      const res = await trusting.request(url, { method: 'GET', headers: {}, signal: new AbortController().signal, timeoutMs: 5000 });
      assert.equal(res.statusCode, 200);
      assert.ok((await readAll(res, 5)).equals(data));
      await trusting.close();
      const strict = new Http1Client({ connectionsPerOrigin: 1 });
      await assert.rejects(strict.request(url, { method: 'GET', headers: {}, signal: new AbortController().signal, timeoutMs: 5000 }));
      await strict.close();
    } finally {
      https.closeAllConnections();
      await new Promise((r) => https.close(r));
    }
  });
});
