/**
 * Worker thread of DigestService: SHA-256 and FITS checksums of download streams, off the event
 * loop. Messages are handled in order, so a stream's updates are hashed in the order they were
 * posted; each is acknowledged so the sender can reuse its (shared) buffer.
 *
 * An update may also carry a positional write of the same bytes (`write`): the .part file of a
 * file downloaded in order is written here, in WRITE_PIECE pwrites, before the bytes are hashed,
 * so a buffer costs one message each way instead of two (every message wakes a sleeping thread,
 * which on the session-10 VM cost ~0.5 ms of the event loop's time per write message). Once a
 * stream's write fails, its later writes are not attempted (no bytes land past a hole).
 */
import { writeSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { ContentDigest } from './content-digest.js';
import type { DigestRequest, DigestReply } from './digest-service.js';
import type { WriteOutcome } from './write-thread.js';

const port = parentPort;
if (!port) throw new Error('digest-worker must run in a worker thread');
const digests = new Map<number, ContentDigest>();
/** Streams whose write failed, with that failure: their later writes are skipped and report it again. */
const writeFailed = new Map<number, { code: string; message: string }>();

function write(id: number, fd: number, bytes: Uint8Array, position: number, piece: number): WriteOutcome {
  // the same cause (e.g. ENOSPC) as the write that failed, so the caller classifies it the same way
  const earlier = writeFailed.get(id);
  if (earlier) return { done: 0, code: earlier.code, message: `an earlier write of this file failed: ${earlier.message}` };
  let done = 0;
  try {
    while (done < bytes.length) {
      const n = Math.min(piece, bytes.length - done);
      done += writeSync(fd, bytes, done, n, position + done);
    }
    return { done };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const failure = { code: e.code ?? 'EIO', message: String(e.message) };
    writeFailed.set(id, failure);
    return { done, ...failure };
  }
}

port.on('message', (m: DigestRequest) => {
  let reply: DigestReply;
  let written: WriteOutcome | undefined;
  try {
    if (m.op === 'update') {
      const bytes = new Uint8Array(m.buffer, m.offset, m.length);
      if (m.write) written = write(m.id, m.write.fd, bytes, m.write.position, m.write.piece);
      let d = digests.get(m.id);
      if (!d) digests.set(m.id, (d = new ContentDigest()));
      d.update(bytes);
      reply = { seq: m.seq, written };
    } else if (m.op === 'finish') {
      const d = digests.get(m.id) ?? new ContentDigest();
      digests.delete(m.id);
      writeFailed.delete(m.id);
      reply = { seq: m.seq, result: d.finish() };
    } else {
      digests.delete(m.id);
      writeFailed.delete(m.id);
      return;
    }
  } catch (err) {
    reply = { seq: m.seq, written, error: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(reply);
});
