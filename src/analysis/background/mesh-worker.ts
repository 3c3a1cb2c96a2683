/**
 * Worker thread of mesh-thread.ts: box statistics of a band of box rows, or a mesh zoom, for
 * `MeshBackground.computeParallel`. The results go back by transfer.
 */
import { parentPort } from 'node:worker_threads';
import { runMeshRequest, type MeshReply, type MeshRequest } from './mesh-thread.js';

const port = parentPort;
if (!port) throw new Error('mesh-worker must run in a worker thread');

port.on('message', (m: MeshRequest) => {
  let reply: MeshReply;
  try {
    reply = runMeshRequest(m);
  } catch (err) {
    reply = { seq: m.seq, error: err instanceof Error ? err.message : String(err) };
  }
  const out = reply.boxes ? [reply.boxes.bkg.buffer, reply.boxes.rms.buffer, reply.boxes.kept.buffer] : reply.zoom ? [reply.zoom.buffer] : [];
  port.postMessage(reply, out.filter((b): b is ArrayBuffer => b instanceof ArrayBuffer));
});
