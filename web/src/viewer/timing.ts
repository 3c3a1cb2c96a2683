/**
 * Where the viewer's time goes, for the benchmark (bench/viewer/viewer.bench.ts) and anyone
 * profiling in the browser's console: a bounded list of `{name, start, ms}` entries on
 * `window.__viewerTimings` (GL set-up and shader compile, each tile's fetch and texture upload,
 * each draw, the first complete frame of a plane). Bounded so that a long session does not grow it.
 */
export interface TimingEntry {
  readonly name: string;
  /** performance.now() at the start. */
  readonly start: number;
  readonly ms: number;
  readonly detail?: string;
}

const MAX = 2000;

export function noteTiming(name: string, start: number, detail?: string): void {
  const g = globalThis as unknown as { __viewerTimings?: TimingEntry[] };
  const list = (g.__viewerTimings ??= []);
  if (list.length >= MAX) list.splice(0, list.length - MAX + 1);
  list.push({ name, start, ms: performance.now() - start, ...(detail !== undefined ? { detail } : {}) });
}
