/**
 * Compares two `npm run bench -- --json` result files: for each figure both runs recorded (same
 * bench file, case and metric) it prints our figure then and now, the ratio to the reference then
 * and now, and how ours moved. Ratios measured side by side in one run are what compares across
 * machines and loads; our raw figures only compare on the same machine at a similar load, so the
 * load averages of both runs are printed first.
 */

import { judgedP99 } from './event-loop-report.js';

export interface RecordedResult {
  readonly case: string;
  readonly metric: string;
  readonly ours: number;
  readonly reference?: number;
  readonly ratio?: number;
  readonly higherIsBetter: boolean;
}

export interface RecordedEventLoop {
  readonly script: string;
  readonly role?: string;
  readonly p99_ms: number;
  /** The timed-work windows' figures, when the process marked them (bench/lib/event-loop-monitor.mjs). */
  readonly work?: { readonly p99_ms: number; readonly count?: number };
}

export interface RecordedBench {
  readonly file: string;
  readonly results: readonly RecordedResult[];
  readonly eventLoop?: readonly RecordedEventLoop[];
}

export interface RecordedRun {
  readonly date: string;
  readonly commit: string;
  readonly loadavg: readonly number[];
  readonly benches: readonly RecordedBench[];
}

export interface ComparedFigure {
  readonly bench: string;
  readonly case: string;
  readonly metric: string;
  readonly before?: RecordedResult;
  readonly after?: RecordedResult;
  /** How many times better ours is now than before (> 1: better), when both have ours. */
  readonly change?: number;
}

const keyOf = (bench: string, r: RecordedResult): string => `${bench}\u0000${r.case}\u0000${r.metric}`;

/** Pairs the figures of two runs by bench, case and metric, in the order the later run printed them. */
export function compareRuns(before: RecordedRun, after: RecordedRun): ComparedFigure[] {
  const earlier = new Map<string, { bench: string; r: RecordedResult }>();
  for (const b of before.benches) for (const r of b.results) earlier.set(keyOf(b.file, r), { bench: b.file, r });
  const out: ComparedFigure[] = [];
  const seen = new Set<string>();
  for (const b of after.benches) {
    for (const r of b.results) {
      const key = keyOf(b.file, r);
      if (seen.has(key)) continue;
      seen.add(key);
      const old = earlier.get(key)?.r;
      out.push({ bench: b.file, case: r.case, metric: r.metric, before: old, after: r, change: old ? changeOf(old, r) : undefined });
    }
  }
  for (const [key, { bench, r }] of earlier) {
    if (!seen.has(key)) out.push({ bench, case: r.case, metric: r.metric, before: r });
  }
  return out;
}

function changeOf(before: RecordedResult, after: RecordedResult): number | undefined {
  if (!(before.ours > 0) || !(after.ours > 0)) return undefined;
  return after.higherIsBetter ? after.ours / before.ours : before.ours / after.ours;
}

/** The worst event-loop p99 of the engine's own processes per bench file (during the timed work when marked). */
export function engineLoopP99(run: RecordedRun): Map<string, number> {
  const out = new Map<string, number>();
  for (const b of run.benches) {
    const engine = (b.eventLoop ?? []).filter((e) => e.role === 'engine');
    if (engine.length) out.set(b.file, Math.max(...engine.map(judgedP99)));
  }
  return out;
}

const num = (x: number | undefined, digits = 3): string => (x === undefined || !Number.isFinite(x) ? '-' : Number(x.toPrecision(digits)).toString());
const times = (x: number | undefined): string => (x === undefined ? '-' : `${x.toFixed(2)}×`);

/** The comparison as text: a header with both runs, then one line per figure grouped by bench. */
export function formatComparison(before: RecordedRun, after: RecordedRun): string {
  const lines = [
    `before: ${before.date} commit ${before.commit.slice(0, 10)} load ${before.loadavg.map((l) => l.toFixed(1)).join(' ')}`,
    `after:  ${after.date} commit ${after.commit.slice(0, 10)} load ${after.loadavg.map((l) => l.toFixed(1)).join(' ')}`,
    'ours before → after (change, > 1× is better) | ratio to the reference before → after',
  ];
  const loopBefore = engineLoopP99(before);
  const loopAfter = engineLoopP99(after);
  let bench = '';
  for (const f of compareRuns(before, after)) {
    if (f.bench !== bench) {
      bench = f.bench;
      const lb = loopBefore.get(bench);
      const la = loopAfter.get(bench);
      const loop = lb === undefined && la === undefined ? '' : ` (engine event-loop p99 ${num(lb)} → ${num(la)} ms)`;
      lines.push('', `${bench}${loop}`);
    }
    lines.push(`  ${f.case} [${f.metric}]: ${num(f.before?.ours)} → ${num(f.after?.ours)} (${times(f.change)}) | ${times(f.before?.ratio)} → ${times(f.after?.ratio)}`);
  }
  return `${lines.join('\n')}\n`;
}
