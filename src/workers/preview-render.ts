/**
 * A preview or thumbnail rendered on the pool's free threads (src/imaging/viewer/preview-split.ts):
 * split across every thread free when the request arrives (`WorkerPool.idleThreads`, as the
 * histogram and composites do), one task on a busy pool, where a split would only add work. The
 * split's `finish` task waits ahead of requests that arrived while its parts ran (`resumes`).
 */
import { previewInParts, type PreviewPartAnswer, type PreviewPartRunner } from '../imaging/viewer/preview-split.js';
import type { PreviewFileRequest, PreviewFileResult } from '../imaging/viewer/preview-file.js';
import type { WorkerPool } from './pool.js';

export function previewOnPool(pool: WorkerPool, req: PreviewFileRequest, signal?: AbortSignal): Promise<PreviewFileResult> {
  const run: PreviewPartRunner = (payload) => pool.run<PreviewPartAnswer>('viewer.preview-part', payload, { ...(signal ? { signal } : {}), resumes: payload.stage === 'finish' });
  return previewInParts(run, req, Math.max(1, pool.idleThreads));
}
