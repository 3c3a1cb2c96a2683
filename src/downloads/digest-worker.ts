/**
 * Worker thread of DigestService: SHA-256 and FITS checksums of download streams, off the event
 * loop. Messages are handled in order, so a stream's updates are hashed in the order they were
 * posted; each is acknowledged so the sender can reuse its (shared) buffer.
 */
import { parentPort } from 'node:worker_threads';
import { ContentDigest } from './content-digest.js';
import type { DigestRequest, DigestReply } from './digest-service.js';

const port = parentPort;
if (!port) throw new Error('digest-worker must run in a worker thread');
const digests = new Map<number, ContentDigest>();

port.on('message', (m: DigestRequest) => {
  let reply: DigestReply;
  try {
    if (m.op === 'update') {
      let d = digests.get(m.id);
      if (!d) digests.set(m.id, (d = new ContentDigest()));
      d.update(new Uint8Array(m.buffer, m.offset, m.length));
      reply = { seq: m.seq };
    } else if (m.op === 'finish') {
      const d = digests.get(m.id) ?? new ContentDigest();
      digests.delete(m.id);
      reply = { seq: m.seq, result: d.finish() };
    } else {
      digests.delete(m.id);
      return;
    }
  } catch (err) {
    reply = { seq: m.seq, error: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(reply);
});
