/**
 * The engine for bench/service/service.bench.ts, in its own process so that its CPU time, peak
 * RSS and event-loop delay are its own: starts the e2e stack (fake MAST, 2 pool workers by
 * default) on DATA_DIR, prints {"url", "pid"} and stops when its standard input closes.
 *
 * Standard input also takes commands, one a line: `start` resets and starts an event-loop delay
 * histogram (perf_hooks.monitorEventLoopDelay, 10 ms resolution), `stop` stops it and prints
 * {"eld": {p50_ms, p99_ms, max_ms, count}}: the engine's delay over the measured window only, not
 * its start-up.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { startStack } from '../../test/e2e/harness.js';
import { beginTimedWork, declareEventLoopRole, endTimedWork } from '../lib/event-loop-role.js';

declareEventLoopRole('engine');

const dataDir = process.argv[2]!;
const stack = await startStack({ dataDir, env: { WORKER_THREADS: process.env.BENCH_WORKERS ?? '2', RATE_LIMIT_PER_MINUTE: '0' } });
process.stdout.write(`${JSON.stringify({ url: stack.url, pid: process.pid })}\n`);
const eld = monitorEventLoopDelay({ resolution: 10 });
const ms = (ns: number) => Math.round(ns / 1e4) / 100;
createInterface({ input: process.stdin })
  .on('line', (line) => {
    if (line === 'start') {
      eld.reset();
      eld.enable();
      beginTimedWork();
    } else if (line === 'stop') {
      eld.disable();
      endTimedWork();
      const out = { p50_ms: ms(eld.percentile(50)), p99_ms: ms(eld.percentile(99)), max_ms: ms(eld.max), count: eld.count };
      process.stdout.write(`${JSON.stringify({ eld: out })}\n`);
    }
  })
  .on('close', () => {
    void stack.close().then(() => process.exit(0));
  });
