import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import { BatchWriter } from '../../src/downloads/batch-writer.js';
import { DigestService } from '../../src/downloads/digest-service.js';
import type { WritableFile } from '../../src/downloads/file-layer.js';
import { Http1Client } from '../../src/downloads/http1-client.js';
import { seededBytes, sha256 } from './helpers.js';

// More than the writer's buffers hold (4 × 2 MiB), so a slow disk makes it pause the connection.
const data = seededBytes(14 * 1024 * 1024 + 333, 11);

/** A deterministic generator, so a failing case can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A raw HTTP/1.1 server answering Range requests over kept-alive connections, writing each answer
 * (head and body together) in slices of random size with random short pauses, so the client sees
 * heads split across reads, heads sharing a read with body bytes, and bodies in odd pieces.
 */
function jitteryServer(seed: number): net.Server {
  const random = prng(seed);
  return net.createServer((socket) => {
    let pending = Buffer.alloc(0);
    let busy = Promise.resolve();
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        const head = pending.subarray(0, end).toString('latin1');
        pending = pending.subarray(end + 4);
        const m = /range: bytes=(\d+)-(\d+)/i.exec(head)!;
        const [start, last] = [Number(m[1]), Math.min(Number(m[2]), data.length - 1)];
        const answer = Buffer.concat([
          Buffer.from(`HTTP/1.1 206 Partial Content\r\ncontent-range: bytes ${start}-${last}/${data.length}\r\ncontent-length: ${last - start + 1}\r\n\r\n`, 'latin1'),
          data.subarray(start, last + 1),
        ]);
        busy = busy.then(async () => {
          for (let at = 0; at < answer.length; ) {
            // Mostly small slices, now and then a large one.
            const n = Math.max(1, Math.floor(random() < 0.1 ? random() * 1_500_000 : random() * 40_000));
            socket.write(answer.subarray(at, at + n));
            at += n;
            if (random() < 0.05) await pause(1);
          }
        });
      }
    });
  });
}

/** A file in memory whose writes take a random little while (the disk is slower than the network). */
function slowMemoryFile(size: number, seed: number): WritableFile & { bytes: Buffer; writes: number } {
  const random = prng(seed);
  const file = {
    bytes: Buffer.alloc(size, 0xee),
    writes: 0,
    async write(chunk: Uint8Array, position: number) {
      if (random() < 0.7) await pause(1 + Math.floor(random() * 5));
      file.bytes.set(chunk, position);
      file.writes++;
    },
    async truncate() {},
    async sync() {},
    async close() {},
  };
  return file;
}

describe('BatchWriter over the wire (bytes read straight into lent write buffers)', () => {
  const servers: net.Server[] = [];
  after(async () => {
    for (const s of servers) await new Promise((r) => s.close(r));
  });
  const start = async (seed: number): Promise<string> => {
    const server = jitteryServer(seed);
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/file`;
  };

  for (const seed of [1, 2, 3, 4]) {
    it(`writes every piece of a jittery server byte for byte, in order, with the right SHA-256 (seed ${seed})`, async () => {
      const url = await start(seed);
      const client = new Http1Client({ connectionsPerOrigin: 1 });
      const file = slowMemoryFile(data.length, seed * 7);
      const digest = new DigestService({ useWorker: false }).create();
      const written: Array<[number, number]> = [];
      const writer = new BatchWriter(file, 0, digest, (at, length) => written.push([at, at + length]));
      // Pieces of uneven sizes over one kept-alive connection, the next requested as the last ends.
      const random = prng(seed * 13);
      try {
        for (let pos = 0; pos < data.length; ) {
          const end = Math.min(data.length, pos + 200_000 + Math.floor(random() * 1_800_000));
          const res = await client.request(url, { method: 'GET', headers: { range: `bytes=${pos}-${end - 1}` }, signal: new AbortController().signal, timeoutMs: 5000 });
          assert.equal(res.statusCode, 206);
          await writer.take(res.body, pos, end);
          assert.equal(writer.received, end);
          pos = end;
        }
        await writer.drain();
      } finally {
        await writer.close();
        await client.close();
      }
      assert.ok(file.bytes.equals(data), 'the file holds exactly the served bytes');
      assert.equal((await digest.finish()).sha256, sha256(data));
      // Every write was reported, in file order, with no gap or overlap.
      let next = 0;
      for (const [a, b] of written) {
        assert.equal(a, next);
        next = b;
      }
      assert.equal(next, data.length);
    });
  }
});
