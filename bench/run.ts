/**
 * `npm run bench`: runs every `bench/**\/*.bench.ts` in turn (each a standalone script that prints
 * its own table, including the Python reference side by side when /usr/bin/python3 has the stack).
 *
 * Every Node process a bench starts is preloaded with bench/lib/event-loop-monitor.mjs, and the
 * runner prints each process's event-loop delay (p99 and max) after its bench, by the role the
 * process declared (bench/lib/event-loop-role.ts): 'engine' processes (the engine's own main
 * thread, goal p99 < 20 ms) apart from 'harness' ones, which compute on their main thread or wait
 * for Python synchronously, so their delay is the length of that work. A process that marks the work
 * it times (beginTimedWork in bench/lib/event-loop-role.ts) is judged on those windows, with its
 * start-up and whole-life figures printed beside (bench/lib/event-loop-report.ts). Processes that
 * lived under 0.5 s are not judged but get a line of their own (shortLivedLine). The runner's own
 * loop, idle but for relaying output, is measured over each bench as a control: on a shared machine
 * its delay is the share of every process's delay that comes from waiting for a core.
 *
 * Usage: npm run bench [-- [--json[=FILE]] name-substring ...]
 *   --json  also writes the results machine-readably (default bench/out/results-<UTC time>.json):
 *           per bench its exit status, duration, event-loop delays (`eventLoop`: processes that lived
 *           0.5 s or more; `shortLivedEventLoop`: the others), the figures it recorded with
 *           bench/lib/results.ts (recordResult) and its printed output, plus the commit, Node
 *           version, CPU count and load average, so that a later run can be compared.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join, relative } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { controlLine, eventLoopReport, shortLivedLine, splitShortLived, type DelayFigures, type EventLoopDelay } from './lib/event-loop-report.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const jsonArg = args.find((a) => a === '--json' || a.startsWith('--json='));
const filters = args.filter((a) => !a.startsWith('--'));

interface BenchRun {
  file: string;
  status: number | null;
  seconds: number;
  /** Processes that lived SHORT_LIVED_SECONDS or more (the ones judged and compared). */
  eventLoop: EventLoopDelay[];
  /** Processes that lived less (added in session 13; they used to be dropped). */
  shortLivedEventLoop: EventLoopDelay[];
  /** The runner's own loop over the bench (it only relays output): the machine's share of any process's delay. */
  controlEventLoop: DelayFigures;
  results: unknown[];
  output: string;
}

function walk(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else if (name.endsWith('.bench.ts')) out.push(relative(root, full));
  }
  return out;
}

function readLines<T>(path: string): T[] {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

/** Runs one bench, its stdout shown as it comes and kept for the JSON file. */
function runBench(file: string, env: NodeJS.ProcessEnv): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--expose-gc', file], { cwd: root, env, stdio: ['inherit', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => {
      chunks.push(b);
      process.stdout.write(b);
    });
    child.on('close', (status) => resolve({ status, output: Buffer.concat(chunks).toString('utf8') }));
  });
}

const files = walk(join(root, 'bench'), [])
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
const scratch = mkdtempSync(join(tmpdir(), 'bench-run-'));
const monitor = pathToFileURL(join(root, 'bench', 'lib', 'event-loop-monitor.mjs')).href;
const runs: BenchRun[] = [];
let failed = 0;
try {
  for (const [i, file] of files.entries()) {
    process.stdout.write(`\n=== ${file} ===\n`);
    const eldFile = join(scratch, `eld-${i}.jsonl`);
    const resultsFile = join(scratch, `results-${i}.jsonl`);
    const env = {
      ...process.env,
      BENCH_ELD_FILE: eldFile,
      BENCH_RESULTS_FILE: resultsFile,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${monitor}`.trim(),
    };
    const t0 = performance.now();
    const control = monitorEventLoopDelay({ resolution: 10 });
    control.enable();
    const { status, output } = await runBench(file, env);
    control.disable();
    const seconds = (performance.now() - t0) / 1000;
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    const controlEventLoop: DelayFigures = { seconds: Math.round(seconds * 1000) / 1000, count: control.count, p50_ms: ms(control.percentile(50)), p99_ms: ms(control.percentile(99)), max_ms: ms(control.max) };
    if (status !== 0) failed++;
    const { judged: eventLoop, shortLived: shortLivedEventLoop } = splitShortLived(readLines<EventLoopDelay>(eldFile));
    const name = (script: string) => relative(root, script) || script;
    const short = shortLivedLine(shortLivedEventLoop, name);
    for (const line of [...eventLoopReport(eventLoop, name), ...(short ? [short] : [])]) process.stdout.write(`${line}\n`);
    process.stdout.write(`${controlLine(controlEventLoop)}\n`);
    runs.push({ file, status, seconds, eventLoop, shortLivedEventLoop, controlEventLoop, results: readLines(resultsFile), output });
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
process.stdout.write(`\n${files.length - failed} benchmarks ran, ${failed} failed\n`);

if (jsonArg) {
  const stamp = new Date().toISOString();
  const out = jsonArg.includes('=')
    ? jsonArg.slice('--json='.length)
    : join(root, 'bench', 'out', `results-${stamp.replace(/[:.]/g, '-')}.json`);
  const commit = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout.trim();
  mkdirSync(join(out, '..'), { recursive: true });
  const doc = { date: stamp, commit, node: process.version, cpus: cpus().length, loadavg: loadavg(), filters, benches: runs };
  writeFileSync(out, `${JSON.stringify(doc, null, 2)}\n`);
  process.stdout.write(`results written to ${relative(process.cwd(), out) || out}\n`);
}
process.exit(failed ? 1 : 0);
