/**
 * The runner's event-loop lines for one bench (bench/run.ts), from the lines its processes' monitors
 * wrote (bench/lib/event-loop-monitor.mjs). An 'engine' process is held to the issue's goal (p99 <
 * 20 ms beyond the monitor's timer) on its timed-work windows when it marked them, else on its whole
 * life; both figures are printed, so a start-up's compile stall is seen apart from the work's.
 */

/** One process's delay over part of its life. */
export interface DelayFigures {
  readonly seconds: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly max_ms: number;
  readonly count?: number;
}

/** One monitor line: the whole life, and the work windows and start-up when the process marked them. */
export interface EventLoopDelay extends DelayFigures {
  readonly pid: number;
  readonly script: string;
  readonly role?: string;
  readonly work?: DelayFigures & { readonly windows: number };
  readonly startup?: DelayFigures;
}

/** The monitor's timer: an idle loop records it, so the delay is the figure minus it. */
export const ELD_TIMER_MS = 10;
/** Issue #20's goal for the engine's main thread. */
export const ELD_GOAL_MS = 20;

/** The figure the goal is read on: the work windows when marked, else the whole life. */
export function judgedP99(e: { readonly p99_ms: number; readonly work?: { readonly p99_ms: number; readonly count?: number } | undefined }): number {
  return e.work && e.work.count !== 0 ? e.work.p99_ms : e.p99_ms;
}

function describe(e: EventLoopDelay, name: (script: string) => string): string {
  const life = `${e.p99_ms} / ${e.max_ms} ms`;
  if (!e.work || e.work.count === 0) return `${name(e.script)} ${life} (whole life, start-up included)`;
  const s = e.startup;
  const startup = s ? `start-up ${s.p99_ms} / ${s.max_ms} ms over ${s.seconds.toFixed(1)} s; ` : '';
  return `${name(e.script)} ${e.work.p99_ms} / ${e.work.max_ms} ms during the timed work (${e.work.seconds.toFixed(1)} s; ${startup}whole life ${life})`;
}

/**
 * The lines the runner prints after a bench: the engine processes' p99 / max (worst four, by the
 * judged figure) with the verdict, then the other processes' (worst four).
 */
export function eventLoopReport(entries: readonly EventLoopDelay[], name: (script: string) => string = (s) => s): string[] {
  const worstFirst = [...entries].sort((a, b) => judgedP99(b) - judgedP99(a));
  const engineAll = worstFirst.filter((e) => e.role === 'engine');
  const engine = engineAll.slice(0, 4);
  const others = worstFirst.filter((e) => e.role !== 'engine').slice(0, 4);
  const lines: string[] = [];
  if (engine.length) {
    const worst = engine[0]!;
    const late = judgedP99(worst) - ELD_TIMER_MS;
    const over = worst.work && worst.work.count !== 0 ? 'during its timed work' : 'over its whole life, start-up included (it marks no timed work)';
    lines.push(`event-loop delay p99 / max of the engine's processes (goal p99 < ${ELD_GOAL_MS} ms; worst ${engine.length} of ${engineAll.length}): ${engine.map((e) => describe(e, name)).join('; ')}: goal ${late < ELD_GOAL_MS ? 'met' : 'not met'} (worst p99 ${late.toFixed(1)} ms beyond the ${ELD_TIMER_MS} ms timer, ${over})`);
  } else {
    lines.push(`event-loop delay of the engine: no engine process in this bench (its code runs in the harness's own process, on its main thread, or in a tool's): nothing to hold to the ${ELD_GOAL_MS} ms goal here`);
  }
  if (others.length) {
    lines.push(`event-loop delay p99 / max of harness and helper processes (their own work on the main thread, not the engine's; worst ${others.length}): ${others.map((e) => describe(e, name)).join('; ')}`);
  }
  return lines;
}

/**
 * A process that lived less than this (seconds) has under 50 samples at the monitor's 10 ms timer,
 * mostly its start-up: it is left out of the judged lines and of `eventLoop` in `--json` (so runs
 * compare as before), and reported apart by shortLivedLine (`shortLivedEventLoop` in `--json`).
 */
export const SHORT_LIVED_SECONDS = 0.5;

/** The processes judged (lived SHORT_LIVED_SECONDS or more) and the short-lived ones, in their order. */
export function splitShortLived<T extends { readonly seconds: number }>(entries: readonly T[]): { judged: T[]; shortLived: T[] } {
  return { judged: entries.filter((e) => e.seconds >= SHORT_LIVED_SECONDS), shortLived: entries.filter((e) => e.seconds < SHORT_LIVED_SECONDS) };
}

/**
 * The line for the processes that lived under SHORT_LIVED_SECONDS (session 13: they were dropped
 * without a word, so a stall in a short process went unreported): how many, how many of them
 * engine processes, the worst four by the judged figure with their role and life, and the worst
 * engine one's p99 against the goal, not judged (few samples, start-up included unless it marked
 * its work). Undefined when there are none.
 */
export function shortLivedLine(entries: readonly EventLoopDelay[], name: (script: string) => string = (s) => s): string | undefined {
  if (entries.length === 0) return undefined;
  const worstFirst = [...entries].sort((a, b) => judgedP99(b) - judgedP99(a));
  const engine = worstFirst.filter((e) => e.role === 'engine');
  const shown = worstFirst.slice(0, 4).map((e) => `${describe(e, name)} [${e.role ?? 'harness'}, lived ${e.seconds.toFixed(2)} s]`);
  const head = `event-loop delay p99 / max of the ${entries.length} processes that lived under ${SHORT_LIVED_SECONDS} s (not in the lines above: under 50 samples each; ${engine.length} engine; worst ${shown.length})`;
  const first = engine[0];
  const verdict = first
    ? `; worst engine p99 ${(judgedP99(first) - ELD_TIMER_MS).toFixed(1)} ms beyond the ${ELD_TIMER_MS} ms timer, ${judgedP99(first) - ELD_TIMER_MS < ELD_GOAL_MS ? 'within' : 'over'} the ${ELD_GOAL_MS} ms goal (not judged)`
    : '';
  return `${head}: ${shown.join('; ')}${verdict}`;
}

/**
 * The control line: the runner's own loop over the bench, idle but for relaying output, at the
 * benches' priority. A process's delay up to this figure is the machine's (waiting for a core), not
 * a stall of its own.
 */
export function controlLine(c: DelayFigures): string {
  return `event-loop delay p99 / max of the runner's idle loop over the same ${c.seconds.toFixed(0)} s (control: the machine's share of the delays above, from waiting for a core): ${c.p99_ms} / ${c.max_ms} ms`;
}
