/**
 * The helper thread of `MeshBackground.computeParallel`: one worker thread per calling thread,
 * started on first use and kept (unreferenced while idle, so it never holds the process open).
 * Its replies come back by transfer (no copy). A request the thread cannot run (it did not start,
 * it died, the work threw) is rejected; `computeParallel` then does that share itself.
 */
import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { MeshBackground, zoomMesh, type BoxBand, type BoxStatistics, type MeshHelper, type MeshZoom } from './mesh-background.js';

export type MeshRequest = { seq: number; op: 'boxes'; band: BoxBand } | { seq: number; op: 'zoom'; zoom: MeshZoom };
export type MeshReply = { seq: number; boxes?: BoxStatistics; zoom?: Float64Array; error?: string };

/** The work of a request, on whichever thread runs it. */
export function runMeshRequest(m: MeshRequest): MeshReply {
  if (m.op === 'boxes') {
    const b = m.band;
    return { seq: m.seq, boxes: new MeshBackground(b.options).boxStatistics(b.plane, b.mask, b.coverageMask, b.nbx, b.nby, false) };
  }
  const z = m.zoom;
  return { seq: m.seq, zoom: zoomMesh(z.mesh, z.nx, z.ny, z.boxX, z.boxY, z.width, z.height, z.pad) };
}

function workerFile(): string | undefined {
  // mesh-worker.ts under tsx, .js when compiled
  const path = fileURLToPath(new URL(`./mesh-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url));
  return existsSync(path) ? path : undefined;
}

class MeshThread implements MeshHelper {
  private worker: Worker | undefined;
  private failed = false;
  private nextSeq = 1;
  private readonly waiting = new Map<number, { resolve: (r: MeshReply) => void; reject: (e: Error) => void }>();

  boxStatistics(band: BoxBand): Promise<BoxStatistics> {
    return this.send({ seq: this.nextSeq++, op: 'boxes', band }, [band.plane.data.buffer, band.mask?.buffer, band.coverageMask?.buffer]).then((r) => r.boxes!);
  }

  zoom(zoom: MeshZoom): Promise<Float64Array> {
    return this.send({ seq: this.nextSeq++, op: 'zoom', zoom }, []).then((r) => r.zoom!);
  }

  private get(): Worker | undefined {
    if (this.worker || this.failed) return this.worker;
    const file = workerFile();
    if (!file) {
      this.failed = true;
      return undefined;
    }
    // under tsx (tests, benches) the worker is TypeScript: register tsx in the thread first
    const url = JSON.stringify(pathToFileURL(file).href);
    const source = file.endsWith('.ts') ? `import('tsx/esm/api').then((t) => t.register()).then(() => import(${url}))` : `import(${url})`;
    const worker = new Worker(source, { eval: true });
    worker.unref();
    worker.on('message', (reply: MeshReply) => {
      const w = this.waiting.get(reply.seq);
      if (!w) return;
      this.waiting.delete(reply.seq);
      if (this.waiting.size === 0) worker.unref();
      if (reply.error) w.reject(new Error(`mesh helper thread: ${reply.error}`));
      else w.resolve(reply);
    });
    const fail = (): void => {
      this.failed = true;
      this.worker = undefined;
      const left = [...this.waiting.values()];
      this.waiting.clear();
      for (const w of left) w.reject(new Error('mesh helper thread stopped'));
    };
    worker.on('error', fail);
    worker.on('exit', fail);
    this.worker = worker;
    return worker;
  }

  private send(m: MeshRequest, transfer: Array<ArrayBufferLike | undefined>): Promise<MeshReply> {
    const worker = this.get();
    if (!worker) return Promise.reject(new Error('mesh helper thread is not running'));
    return new Promise((resolve, reject) => {
      if (this.waiting.size === 0) worker.ref();
      this.waiting.set(m.seq, { resolve, reject });
      // only whole, unshared buffers move; anything else is copied by the message
      const list = transfer.filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
      worker.postMessage(m, list);
    });
  }
}

let thread: MeshThread | undefined;

/** This thread's mesh helper thread (started on first use). */
export function meshHelper(): MeshHelper {
  thread ??= new MeshThread();
  return thread;
}
