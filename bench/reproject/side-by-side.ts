/** Runs our side (child node process) and the Python side on the same files; prints the table. */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { builtEngineCommand } from '../lib/built-engine.js';
import { pythonHas, runPythonJson } from '../lib/python.js';
import { recordResult } from '../lib/results.js';

export interface SideResult {
  readonly seconds: number;
  readonly peakRssMb: number;
  readonly width: number;
  readonly height: number;
  /** CPU time (user + system, all threads) over the same span as `seconds`, when the side reports it. */
  readonly cpuSeconds?: number;
}

/**
 * Our side: `script` (default bench/reproject/ours.ts) `mode` `files...` in its own process; its
 * last JSON line. `built`: on the built engine as `npm start` runs it (bench/lib/built-engine.ts),
 * otherwise under tsx.
 */
export function runOurs(mode: string, files: string[], scriptUrl: URL = new URL('./ours.ts', import.meta.url), env: Record<string, string> = {}, built = false): SideResult {
  const script = fileURLToPath(scriptUrl);
  const run = built
    ? builtEngineCommand(script, [mode, ...files], env)
    : { command: process.execPath, args: ['--import', 'tsx', script, mode, ...files], env: { ...process.env, ...env } };
  const r = spawnSync(run.command, run.args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, env: run.env });
  if (r.status !== 0) throw new Error(`ours.ts ${mode} failed: ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as SideResult;
}

/**
 * `rounds` alternating rounds of both sides (the reference first in odd rounds, so that a shared
 * machine's load falls on both alike); `one`, when given, is a third side run in each round.
 */
export function alternate(rounds: number, ours: () => SideResult, ref: () => SideResult | undefined, one?: () => SideResult): { ours: SideResult[]; ref: SideResult[]; one: SideResult[] } {
  const o: SideResult[] = [];
  const r: SideResult[] = [];
  const s: SideResult[] = [];
  for (let k = 0; k < rounds; k++) {
    if (k % 2 === 1) {
      const x = ref();
      if (x) r.push(x);
    }
    if (one && k % 2 === 1) s.push(one());
    o.push(ours());
    if (one && k % 2 === 0) s.push(one());
    if (k % 2 === 0) {
      const x = ref();
      if (x) r.push(x);
    }
    process.stderr.write(`  round ${k + 1}/${rounds}: ours ${o.at(-1)!.seconds.toFixed(2)} s${r.length > k ? `, reference ${r.at(-1)!.seconds.toFixed(2)} s` : ''}\n`);
  }
  return { ours: o, ref: r, one: s };
}

let hasStack: boolean | undefined;

export function runReference(script: string, files: string[]): SideResult | undefined {
  hasStack ??= pythonHas('astropy', 'reproject', 'numpy', 'PIL');
  if (!hasStack) return undefined;
  return runPythonJson<SideResult>(fileURLToPath(new URL(script, import.meta.url)), files);
}

const REFERENCE_NAME = 'reproject 0.10 / astropy (upstream chain rebuilt)';

/**
 * Several rounds of each side: best time and peak RSS with their ranges, the ratios (time: best
 * over best; memory: the reference's smallest peak over our largest), and the figures recorded
 * for `npm run bench -- --json`.
 */
export function printRounds(title: string, caseName: string, ours: readonly SideResult[], ref: readonly SideResult[]): void {
  const range = (xs: number[], digits: number) => {
    const lo = Math.min(...xs);
    const hi = Math.max(...xs);
    return xs.length > 1 ? `${lo.toFixed(digits)} (${lo.toFixed(digits)}-${hi.toFixed(digits)})` : lo.toFixed(digits);
  };
  const cpu = (rs: readonly SideResult[]) => {
    const xs = rs.map((r) => r.cpuSeconds).filter((x): x is number => x !== undefined);
    return xs.length ? `${range(xs, 2)} s` : 'n/a';
  };
  const row = (name: string, rs: readonly SideResult[]) =>
    `| ${name.padEnd(24)} | ${`${range(rs.map((r) => r.seconds), 2)} s`.padStart(24)} | ${cpu(rs).padStart(24)} | ${`${range(rs.map((r) => r.peakRssMb), 0)} MB`.padStart(22)} | ${`${rs[0]!.width}x${rs[0]!.height}`.padStart(11)} |`;
  console.log(`\n${title} (${ours.length} round${ours.length > 1 ? 's' : ''}, sides alternating; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')})`);
  console.log('| implementation           | wall: best (range)       | CPU: best (range)        | peak RSS: best (range) |      output |');
  console.log('|--------------------------|--------------------------|--------------------------|------------------------|-------------|');
  console.log(row('jwst-processing-engine', ours));
  const oursBest = Math.min(...ours.map((r) => r.seconds));
  const oursPeak = Math.max(...ours.map((r) => r.peakRssMb));
  const extra = { rounds: ours.length, oursWorstSeconds: Math.max(...ours.map((r) => r.seconds)), oursBestPeakRssMb: Math.min(...ours.map((r) => r.peakRssMb)) };
  if (ref.length) {
    console.log(row('reproject 0.10 / astropy', ref));
    const refBest = Math.min(...ref.map((r) => r.seconds));
    const refPeak = Math.min(...ref.map((r) => r.peakRssMb));
    const t = refBest / oursBest;
    const m = refPeak / oursPeak;
    console.log(`ratio (reference / ours): time ${t.toFixed(2)}x (goal >= 5x: ${t >= 5 ? 'met' : 'NOT met'}), peak memory ${m.toFixed(2)}x (goal >= 2x: ${m >= 2 ? 'met' : 'NOT met'})`);
    const oursCpu = ours.map((r) => r.cpuSeconds).filter((x): x is number => x !== undefined);
    const refCpu = ref.map((r) => r.cpuSeconds).filter((x): x is number => x !== undefined);
    if (oursCpu.length && refCpu.length) {
      const c = Math.min(...refCpu) / Math.min(...oursCpu);
      console.log(`CPU time ratio (reference / ours, best of each): ${c.toFixed(2)}x (a loaded machine stretches wall time, CPU time much less)`);
      recordResult({ case: caseName, metric: 's CPU (best)', ours: Math.min(...oursCpu), reference: Math.min(...refCpu), referenceName: REFERENCE_NAME, higherIsBetter: false, extra });
    }
    const refExtra = { refWorstSeconds: Math.max(...ref.map((r) => r.seconds)), refWorstPeakRssMb: Math.max(...ref.map((r) => r.peakRssMb)) };
    recordResult({ case: caseName, metric: 's wall (best)', ours: oursBest, reference: refBest, referenceName: REFERENCE_NAME, higherIsBetter: false, extra: { ...extra, ...refExtra } });
    recordResult({ case: caseName, metric: 'peak RSS MB (ours: largest, reference: smallest)', ours: oursPeak, reference: refPeak, referenceName: REFERENCE_NAME, higherIsBetter: false, extra: { ...extra, ...refExtra } });
  } else {
    console.log('(Python reference side skipped: /usr/bin/python3 lacks astropy/reproject/numpy/PIL, or not asked for)');
    recordResult({ case: caseName, metric: 's wall (best)', ours: oursBest, higherIsBetter: false, extra });
    recordResult({ case: caseName, metric: 'peak RSS MB (largest)', ours: oursPeak, higherIsBetter: false, extra });
  }
}
