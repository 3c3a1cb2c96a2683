/**
 * bench/lib/event-loop-monitor.mjs (the timed-work windows beside the whole life) and
 * bench/lib/event-loop-report.ts (the runner's lines: the goal read on the work when marked).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { controlLine, eventLoopReport, judgedP99, shortLivedLine, splitShortLived, type EventLoopDelay } from '../bench/lib/event-loop-report.js';
import { engineLoopP99, type RecordedRun } from '../bench/lib/compare.js';
import { timedWorkControl } from '../bench/lib/event-loop-role.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const monitor = pathToFileURL(join(root, 'bench', 'lib', 'event-loop-monitor.mjs')).href;
const role = pathToFileURL(join(root, 'bench', 'lib', 'event-loop-role.ts')).href;

/** Runs `code` (an ES module) with the monitor preloaded; the lines it wrote. */
function monitored(code: string, env: Record<string, string> = {}): Array<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'eld-test-'));
  try {
    const file = join(dir, 'eld.jsonl');
    const r = spawnSync(process.execPath, ['--import', 'tsx', `--import=${monitor}`, '--input-type=module', '-e', code], {
      cwd: root,
      env: { ...process.env, ...env, BENCH_ELD_FILE: file, NODE_OPTIONS: '' },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    return readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const entry = (script: string, p99: number, work?: number): EventLoopDelay => ({
  pid: 1,
  script,
  role: 'engine',
  seconds: 3,
  p50_ms: 10,
  p99_ms: p99,
  max_ms: p99 + 5,
  ...(work === undefined
    ? {}
    : { work: { seconds: 2, windows: 1, count: 200, p50_ms: 10, p99_ms: work, max_ms: work + 1 }, startup: { seconds: 1, count: 80, p50_ms: 10, p99_ms: p99, max_ms: p99 + 5 } }),
});

describe('event-loop monitor', () => {
  it('reports the timed-work windows and the start-up apart from the whole life', () => {
    const [line] = monitored(`
      import { beginTimedWork, declareEventLoopRole, endTimedWork } from '${role}';
      declareEventLoopRole('engine');
      const wait = (ms) => new Promise((r) => setTimeout(r, ms));
      await wait(30);
      for (let k = 0; k < 2; k++) {
        beginTimedWork();
        beginTimedWork(); // a second begin while open is the same window
        await wait(50);
        endTimedWork();
        await wait(20);
      }
      beginTimedWork(); // left open: closed at exit
      await wait(20);
    `);
    assert.ok(line);
    assert.equal(line['role'], 'engine');
    for (const k of ['seconds', 'p50_ms', 'p99_ms', 'max_ms']) assert.equal(typeof line[k], 'number', k);
    const work = line['work'] as Record<string, number>;
    const startup = line['startup'] as Record<string, number>;
    assert.equal(work['windows'], 3);
    assert.ok(work['seconds']! > 0 && work['seconds']! <= (line['seconds'] as number));
    assert.ok(startup['seconds']! > 0 && startup['seconds']! <= (line['seconds'] as number));
    for (const k of ['count', 'p50_ms', 'p99_ms', 'max_ms']) {
      assert.equal(typeof work[k], 'number', `work ${k}`);
      assert.equal(typeof startup[k], 'number', `startup ${k}`);
    }
  });

  it('keeps the whole-life line alone for a process that marks nothing, its role from the environment', () => {
    const [line] = monitored('await new Promise((r) => setTimeout(r, 30));', { BENCH_ELD_ROLE: 'helper' });
    assert.ok(line);
    assert.equal(line['role'], 'helper');
    assert.equal(line['work'], undefined);
    assert.equal(line['startup'], undefined);
  });
});

describe('timed work in a child the bench cannot change', () => {
  it('opens and closes the child\'s windows from the bench (timedWorkControl, SIGURG)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eld-test-'));
    const saved = process.env['BENCH_ELD_FILE'];
    const file = join(dir, 'eld.jsonl');
    process.env['BENCH_ELD_FILE'] = file; // as under bench/run.ts
    const control = timedWorkControl();
    try {
      assert.ok(control.env['BENCH_ELD_WORK_CONTROL']);
      // The child marks nothing itself; it says 'got' after the monitor has seen each signal.
      const code = `process.on('SIGURG', () => process.stdout.write('got\\n')); process.stdout.write('ready\\n'); process.stdin.resume();`;
      const child = spawn(process.execPath, [`--import=${monitor}`, '--input-type=module', '-e', code], {
        env: { ...process.env, ...control.env, BENCH_ELD_FILE: file, BENCH_ELD_ROLE: 'engine', NODE_OPTIONS: '' },
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
      const next = async () => (await lines.next()).value as string;
      assert.equal(await next(), 'ready');
      for (let k = 0; k < 2; k++) {
        control.begin(child.pid);
        assert.equal(await next(), 'got');
        control.begin(child.pid); // a second begin while open is the same window
        assert.equal(await next(), 'got');
        control.end(child.pid, undefined);
        assert.equal(await next(), 'got');
      }
      child.stdin!.end();
      await once(child, 'exit');
      const line = JSON.parse(readFileSync(file, 'utf8').trim()) as Record<string, unknown>;
      assert.equal(line['role'], 'engine');
      assert.equal((line['work'] as Record<string, number>)['windows'], 2);
    } finally {
      control.close();
      if (saved === undefined) delete process.env['BENCH_ELD_FILE'];
      else process.env['BENCH_ELD_FILE'] = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does nothing outside the runner, where the children have no monitor', () => {
    const saved = process.env['BENCH_ELD_FILE'];
    delete process.env['BENCH_ELD_FILE'];
    try {
      const control = timedWorkControl();
      assert.deepEqual(control.env, {});
      control.begin(process.pid); // would be ignored anyway: SIGURG's default is to ignore it
      control.end(process.pid);
      control.close();
    } finally {
      if (saved !== undefined) process.env['BENCH_ELD_FILE'] = saved;
    }
  });
});

describe('event-loop report', () => {
  it('judges an engine process on its timed work and prints its start-up and whole life beside', () => {
    const lines = eventLoopReport([entry('preview-case.ts', 49, 14)]);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /preview-case\.ts 14 \/ 15 ms during the timed work \(2\.0 s; start-up 49 \/ 54 ms over 1\.0 s; whole life 49 \/ 54 ms\)/);
    assert.match(lines[0]!, /goal met \(worst p99 4\.0 ms beyond the 10 ms timer, during its timed work\)/);
  });

  it('judges a process without windows on its whole life, and sorts by the judged figure', () => {
    const lines = eventLoopReport([entry('a.ts', 60, 12), entry('b.ts', 35)]);
    assert.match(lines[0]!, /: b\.ts 35 \/ 40 ms \(whole life, start-up included\); a\.ts 12 /);
    assert.match(lines[0]!, /goal not met \(worst p99 25\.0 ms beyond the 10 ms timer, over its whole life/);
  });

  it('lists harness processes apart and says when a bench has no engine process', () => {
    const lines = eventLoopReport([{ ...entry('bench.ts', 900), role: 'harness' }]);
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /no engine process/);
    assert.match(lines[1]!, /bench\.ts 900 \/ 905 ms \(whole life/);
  });

  it('is the figure the comparison of two runs reads', () => {
    assert.equal(judgedP99(entry('x', 49, 14)), 14);
    assert.equal(judgedP99(entry('x', 49)), 49);
    const run: RecordedRun = { date: '', commit: 'c', loadavg: [0, 0, 0], benches: [{ file: 'f', results: [], eventLoop: [entry('x', 49, 14), entry('y', 30)] }] };
    assert.equal(engineLoopP99(run).get('f'), 30);
  });

  it('(session 13) reports the processes that lived under 0.5 s apart, with the worst engine stall, instead of dropping them', () => {
    const long = entry('server.ts', 25, 14);
    const stalled = { ...entry('quick-engine.ts', 260), seconds: 0.3 };
    const quickHarness = { ...entry('probe.ts', 12), role: 'harness', seconds: 0.05 };
    const { judged, shortLived } = splitShortLived([stalled, long, quickHarness]);
    assert.deepEqual(judged, [long], 'judged and compared as before: only the processes that lived 0.5 s or more');
    assert.deepEqual(shortLived, [stalled, quickHarness]);
    const line = shortLivedLine(shortLived);
    assert.ok(line);
    assert.match(line, /of the 2 processes that lived under 0\.5 s .*1 engine; worst 2\)/);
    assert.match(line, /quick-engine\.ts 260 \/ 265 ms \(whole life, start-up included\) \[engine, lived 0\.30 s\]; probe\.ts 12 \/ 17 ms .*\[harness, lived 0\.05 s\]/);
    assert.match(line, /worst engine p99 250\.0 ms beyond the 10 ms timer, over the 20 ms goal \(not judged\)$/);
    assert.equal(shortLivedLine([]), undefined, 'no line when every process lived long enough');
    assert.doesNotMatch(shortLivedLine([quickHarness])!, /worst engine/);
  });

  it('prints the runner\'s idle loop as the control', () => {
    assert.match(controlLine({ seconds: 42.4, p50_ms: 10.1, p99_ms: 61, max_ms: 230 }), /runner's idle loop over the same 42 s .*: 61 \/ 230 ms$/);
  });
});
