/**
 * Preloaded by bench/run.ts into every Node process of a benchmark (NODE_OPTIONS=--import): samples
 * the event-loop delay (perf_hooks.monitorEventLoopDelay, 10 ms resolution) of the main thread for
 * the whole life of the process and, at exit, appends one JSON line to $BENCH_ELD_FILE:
 *   {"pid", "script", "role", "seconds", "p50_ms", "p99_ms", "max_ms"}
 * where role is what the process declared with bench/lib/event-loop-role.ts (engine, harness,
 * helper), else the BENCH_ELD_ROLE of its environment (how a bench labels a process it cannot
 * change, such as the built engine `node dist/main.js`: engineProcessEnv), else 'harness'.
 * Plain JavaScript so that it also loads in children started without tsx. Prints nothing: benches
 * parse their children's stdout.
 */
import { appendFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';

const file = process.env.BENCH_ELD_FILE;
// Only the main thread's loop: worker threads (preloaded too) are where the work is meant to block.
if (file && isMainThread) {
  const started = performance.now();
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  process.on('exit', () => {
    h.disable();
    const ms = (ns) => Math.round(ns / 1e4) / 100;
    const line = {
      pid: process.pid,
      script: process.argv.slice(1).find((a) => !a.startsWith('-')) ?? '',
      role: globalThis[Symbol.for('jwst-bench.event-loop-role')] ?? process.env.BENCH_ELD_ROLE ?? 'harness',
      seconds: Math.round(performance.now() - started) / 1000,
      p50_ms: h.count ? ms(h.percentile(50)) : 0,
      p99_ms: h.count ? ms(h.percentile(99)) : 0,
      max_ms: h.count ? ms(h.max) : 0,
    };
    try {
      appendFileSync(file, `${JSON.stringify(line)}\n`);
    } catch {
      // the runner has gone; nothing to report to
    }
  });
}
