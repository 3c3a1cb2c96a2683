/**
 * The engine for bench/service/service.bench.ts, in its own process so that its CPU time, peak
 * RSS and event-loop delay are its own: starts the e2e stack (fake MAST, 2 pool workers by
 * default) on DATA_DIR, prints {"url", "pid"} and stops when its standard input closes.
 */
import { startStack } from '../../test/e2e/harness.js';

const dataDir = process.argv[2]!;
const stack = await startStack({ dataDir, env: { WORKER_THREADS: process.env.BENCH_WORKERS ?? '2', RATE_LIMIT_PER_MINUTE: '0' } });
process.stdout.write(`${JSON.stringify({ url: stack.url, pid: process.pid })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void stack.close().then(() => process.exit(0));
});
