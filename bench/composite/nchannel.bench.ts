/**
 * N-channel composites and an observation mosaic, ours vs the upstream pipeline rebuilt with
 * numpy/astropy/reproject (nchannel.py, observation.py), each side in its own process:
 *   - 3 and 6 channels of BENCH_TILE^2 inputs (default 2048) into a BENCH_CANVAS canvas (2000);
 *   - an observation mosaic of 4 overlapping BENCH_TILE^2 tiles.
 * Each case runs BENCH_ROUNDS (default 5) rounds, the two sides alternating which goes first, so
 * that a shared machine's load falls on both alike; the table gives the best time and peak RSS of
 * each side with the range over the rounds, and the ratios of the bests (time) and of the
 * reference's smallest to our largest peak RSS (memory), CPU time beside wall time. Ours renders
 * on a worker pool as the engine does (ours.ts); BENCH_ONE_THREAD=1 adds our one-thread render as
 * a third side in every round. BENCH_CASES=3,6,obs picks cases. Our side runs the built engine
 * (dist/, rebuilt when stale) with plain node and npm start's GLIBC_TUNABLES, as users run it
 * (bench/lib/built-engine.ts); peak RSS is the whole process's, every thread included.
 * Smoke run: BENCH_TILE=256 BENCH_CANVAS=200 BENCH_ROUNDS=1.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compositeInputs, mosaicInputs } from '../reproject/inputs.js';
import { alternate, printRounds, runOurs as runSide, runReference, type SideResult } from '../reproject/side-by-side.js';
import { builtEngineNote } from '../lib/built-engine.js';
import { eventLoopRoleEnv } from '../lib/event-loop-role.js';

const runOurs = (mode: string, files: string[], env: Record<string, string> = {}) => runSide(mode, files, new URL('./ours.ts', import.meta.url), env, true);
const reference = (script: string, files: string[]) => runReference(fileURLToPath(new URL(script, import.meta.url)), files);

const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 5));
const cases = (process.env.BENCH_CASES ?? '3,6,obs').split(',');

const oneThread = process.env.BENCH_ONE_THREAD === '1';

function printOneThread(rs: readonly SideResult[], ref: readonly SideResult[]): void {
  if (!rs.length) return;
  const best = (xs: number[]) => Math.min(...xs);
  const cpu = rs.map((x) => x.cpuSeconds ?? NaN);
  const refCpu = ref.map((x) => x.cpuSeconds ?? NaN);
  const peak = Math.max(...rs.map((x) => x.peakRssMb));
  console.log(`ours in one thread (no pool): wall best ${best(rs.map((x) => x.seconds)).toFixed(2)} s, CPU best ${best(cpu).toFixed(2)} s, peak RSS (largest) ${peak.toFixed(0)} MB` +
    (ref.length ? `; reference / one thread: wall ${(best(ref.map((x) => x.seconds)) / best(rs.map((x) => x.seconds))).toFixed(2)}x, CPU ${(best(refCpu) / best(cpu)).toFixed(2)}x, memory ${(Math.min(...ref.map((x) => x.peakRssMb)) / peak).toFixed(2)}x` : ''));
}

const dir = await mkdtemp(join(tmpdir(), 'bench-nchannel-'));
console.log(builtEngineNote());
try {
  const n = Number(process.env.BENCH_TILE ?? 2048);
  const canvas = Number(process.env.BENCH_CANVAS ?? 2000);
  const three = await compositeInputs(join(dir, 'a'), n);
  const six = [...three, ...(await compositeInputs(join(dir, 'b'), n))];
  for (const files of [three, six]) {
    if (!cases.includes(String(files.length))) continue;
    const r = alternate(rounds, () => runOurs('nchannel', files, eventLoopRoleEnv('engine')), () => reference('./nchannel.py', files), oneThread ? () => runOurs('nchannel', files, { BENCH_SERIAL: '1' }) : undefined);
    printRounds(`${files.length}-channel composite, inputs ${n}x${n}, ${canvas} px canvas`, `${files.length}-channel composite ${n}^2 -> ${canvas} px`, r.ours, r.ref);
    printOneThread(r.one, r.ref);
  }
  if (cases.includes('obs')) {
    const tiles = await mosaicInputs(join(dir, 'm'), n);
    const r = alternate(rounds, () => runOurs('observation', tiles), () => reference('./observation.py', tiles));
    printRounds(`observation mosaic, 4 tiles ${n}x${n}, background matched, FITS out`, `observation mosaic 4 x ${n}^2`, r.ours, r.ref);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
