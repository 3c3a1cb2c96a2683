/**
 * A full garbage collection of this thread's heap, for tasks that leave large dead arrays behind.
 * V8 frees an ArrayBuffer's memory only when it collects its owner, and a worker thread that goes
 * idle collects nothing: the ~80 MB of planes a composite channel task leaves (its file read, the
 * reprojection's footprint, the sorted copies of its statistics) would stay in the process's RSS
 * until that thread's next task, so two threads rendering at once would hold twice the memory of
 * one. `gc` is not exposed without --expose-gc; the flag set at run time exposes it in contexts
 * created afterwards, so it is taken from a new one (and only when first needed).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

export function collectGarbage(): void {
  if (!gc) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (exposed) gc = exposed;
    else {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
    }
  }
  gc();
}

/**
 * Runs `task`; once its answer has left the thread (the next turn of the event loop, after the
 * pool posted it), collects garbage, so neither its dead arrays nor the copy of its answer stay.
 */
export async function collectingAfter<T>(task: () => Promise<T>): Promise<T> {
  try {
    return await task();
  } finally {
    setImmediate(collectGarbage);
  }
}
