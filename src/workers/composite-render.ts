/**
 * An N-channel composite rendered on several worker threads at once (issue 16: the 3-channel
 * render used one core of two). A task in the pool cannot hand subtasks back to the pool, so the
 * split is made here, on the calling thread, which only moves arrays and events:
 *   1. `composite.nchannel-plan`: the grid and each channel's instrument and blur, from headers;
 *   2. one `composite.nchannel-channel` task per channel, all submitted at once (the pool runs as
 *      many as it has threads): read, reproject or take from the cache, blur, neutralise and
 *      tone-map, then fold the values into the combination's sums (on SharedArrayBuffers made
 *      here), each channel in its turn (request order, so the float sums are the one-thread
 *      render's): no channel's plane leaves its thread or outlives its task;
 *   3. `composite.nchannel-finish`: the rest from the sums (combination, feathering, encoding).
 * Every step is the one-thread render's own code in the same order, so the picture is the same
 * byte for byte (test/composite/parallel-render.test.ts). Progress events are put back in the
 * one-thread order (src/composite/progress-order.ts). A debug-mask render, a single channel, or a
 * render submitted while fewer than two threads are free runs as one task, as before. A failing or
 * stopped channel stops the others; the render ends only once every task has ended.
 */
import { MessageChannel } from 'node:worker_threads';
import { newChannelSums, type ChannelPart, type NChannelOutput, type NChannelSetup, type NChannelSpec, type ProgressEvent } from '../composite/pipeline.js';
import { ChannelProgressOrder } from '../composite/progress-order.js';
import type { WorkerPool } from './pool.js';
import type { TaskName } from './tasks/index.js';

/**
 * Runs a composite task with a control port for its progress events (`onEvent`); `signal` stops
 * it (the client went away, the engine shuts down).
 */
export function runControlled<T>(
  pool: WorkerPool,
  task: TaskName,
  payload: object,
  signal: AbortSignal | undefined,
  onEvent?: (e: ProgressEvent) => void,
  transfer: readonly ArrayBuffer[] = [],
): Promise<T> {
  const channel = new MessageChannel();
  // The task's last message is { done: true }, after all its events (the answer comes over another
  // channel and may come first: without waiting, a quick task's last events would be lost).
  let done: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (done = resolve));
  channel.port1.on('message', (m: { event?: ProgressEvent; done?: true }) => {
    if (m.event) onEvent?.(m.event);
    if (m.done) done();
  });
  channel.port1.unref();
  return pool
    .run<T>(task, { ...payload, controlPort: channel.port2 }, { transferList: [channel.port2, ...transfer], ...(signal ? { signal } : {}) })
    .then(async (value) => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, EVENTS_GRACE_MS)))]);
      clearTimeout(timer);
      return value;
    })
    .finally(() => channel.port1.close());
}

/** How long a finished task's last events may take to arrive (they normally come at once). */
const EVENTS_GRACE_MS = 1000;

/** Waits for every promise; rejects with the first rejection (after `onFirstError`) once all have settled. */
async function allEnded<T>(promises: ReadonlyArray<Promise<T>>, onFirstError: (err: unknown) => void): Promise<T[]> {
  let failed = false;
  const settled = await Promise.allSettled(promises.map((p) => p.catch((err: unknown) => {
    if (!failed) {
      failed = true;
      onFirstError(err);
    }
    throw err;
  })));
  const rejected = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<T>).value);
}

export async function renderNChannelOnPool(pool: WorkerPool, spec: NChannelSpec, signal?: AbortSignal, onEvent?: (e: ProgressEvent) => void): Promise<NChannelOutput> {
  // The split costs 20-33 % more CPU and holds every channel at once (docs/composites.md, "On
  // several threads"): it pays only when a second thread is free, so a busy engine renders in one.
  if (spec.debugMasks || spec.channels.length < 2 || pool.idleThreads < 2) return runControlled<NChannelOutput>(pool, 'composite.nchannel', spec, signal, onEvent);
  const { cache, ...rest } = spec;
  const setup = await pool.run<NChannelSetup>('composite.nchannel-plan', rest, signal ? { signal } : {});
  const order = new ChannelProgressOrder(spec.channels.length, spec.backgroundNeutralization, (e) => onEvent?.(e));
  const stop = new AbortController();
  const channelSignal = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  const sums = newChannelSums(spec, setup, true);
  const parts = await allEnded(
    spec.channels.map((_, index) => runControlled<ChannelPart>(pool, 'composite.nchannel-channel', { ...spec, setup, index, sums }, channelSignal, (e) => order.receive(index, e))),
    (err) => stop.abort(err),
  );
  const cacheEntries = parts.flatMap((p) => (p.cacheEntry ? [p.cacheEntry] : []));
  const finished = await runControlled<Omit<NChannelOutput, 'cacheEntries' | 'cacheHits'>>(pool, 'composite.nchannel-finish', { ...rest, setup, sums }, signal, onEvent);
  return { ...finished, cacheEntries: cache ? cacheEntries : undefined, cacheHits: cache ? spec.channels.length - cacheEntries.length : 0 };
}
