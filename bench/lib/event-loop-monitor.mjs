/**
 * Preloaded by bench/run.ts into every Node process of a benchmark (NODE_OPTIONS=--import): samples
 * the event-loop delay (perf_hooks.monitorEventLoopDelay, 10 ms resolution) of the main thread for
 * the whole life of the process and, at exit, appends one JSON line to $BENCH_ELD_FILE:
 *   {"pid", "script", "role", "seconds", "p50_ms", "p99_ms", "max_ms"}
 * where role is what the process declared with bench/lib/event-loop-role.ts (engine, harness,
 * helper), else the BENCH_ELD_ROLE of its environment (how a bench labels a process it cannot
 * change, such as the built engine `node dist/main.js`: engineProcessEnv), else 'harness'.
 *
 * A process that marks its timed work (beginTimedWork / endTimedWork in event-loop-role.ts, through
 * the hook this module puts on globalThis) also gets the delay over those windows alone and over
 * its start-up (from the preload to the first window), since a whole-life figure mixes module
 * compilation at start-up with the loop's behaviour during the work the bench times:
 *   {"work": {"seconds", "windows", "count", "p50_ms", "p99_ms", "max_ms"},
 *    "startup": {"seconds", "count", "p50_ms", "p99_ms", "max_ms"}}
 * A bench opens and closes these windows in a child it cannot change (the built engine) through
 * timedWorkControl (event-loop-role.ts): on SIGURG the window follows the state, '1' or '0', in the
 * file named by $BENCH_ELD_WORK_CONTROL.
 * Plain JavaScript so that it also loads in children started without tsx. Prints nothing: benches
 * parse their children's stdout.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';

const file = process.env.BENCH_ELD_FILE;
// Only the main thread's loop: worker threads (preloaded too) are where the work is meant to block.
if (file && isMainThread) {
  const started = performance.now();
  const ms = (ns) => Math.round(ns / 1e4) / 100;
  const figures = (h) => ({
    count: h.count,
    p50_ms: h.count ? ms(h.percentile(50)) : 0,
    p99_ms: h.count ? ms(h.percentile(99)) : 0,
    max_ms: h.count ? ms(h.max) : 0,
  });
  const life = monitorEventLoopDelay({ resolution: 10 });
  life.enable();
  // start-up: until the first timed window opens (or the exit, if none does)
  const startup = monitorEventLoopDelay({ resolution: 10 });
  startup.enable();
  let startupSeconds;
  const work = monitorEventLoopDelay({ resolution: 10 });
  let windows = 0;
  let workSeconds = 0;
  let openedAt;
  globalThis[Symbol.for('jwst-bench.event-loop-work')] = {
    begin() {
      if (openedAt !== undefined) return;
      if (startupSeconds === undefined) {
        startup.disable();
        startupSeconds = (performance.now() - started) / 1000;
      }
      openedAt = performance.now();
      windows++;
      work.enable();
    },
    end() {
      if (openedAt === undefined) return;
      work.disable();
      workSeconds += (performance.now() - openedAt) / 1000;
      openedAt = undefined;
    },
  };
  const control = process.env.BENCH_ELD_WORK_CONTROL;
  if (control) {
    process.on('SIGURG', () => {
      let state = '0';
      try {
        state = readFileSync(control, 'utf8').trim();
      } catch {
        // the bench has removed it: the work is over
      }
      const hook = globalThis[Symbol.for('jwst-bench.event-loop-work')];
      if (state === '1') hook.begin();
      else hook.end();
    });
  }
  process.on('exit', () => {
    globalThis[Symbol.for('jwst-bench.event-loop-work')].end();
    life.disable();
    startup.disable();
    const seconds = Math.round(performance.now() - started) / 1000;
    const { p50_ms, p99_ms, max_ms } = figures(life);
    const line = {
      pid: process.pid,
      script: process.argv.slice(1).find((a) => !a.startsWith('-')) ?? '',
      role: globalThis[Symbol.for('jwst-bench.event-loop-role')] ?? process.env.BENCH_ELD_ROLE ?? 'harness',
      seconds,
      p50_ms,
      p99_ms,
      max_ms,
    };
    if (windows > 0) {
      line.work = { seconds: Math.round(workSeconds * 1000) / 1000, windows, ...figures(work) };
      line.startup = { seconds: Math.round(startupSeconds * 1000) / 1000, ...figures(startup) };
    }
    try {
      appendFileSync(file, `${JSON.stringify(line)}\n`);
    } catch {
      // the runner has gone; nothing to report to
    }
  });
}
