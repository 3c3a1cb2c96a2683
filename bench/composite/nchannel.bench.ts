/**
 * N-channel composites and an observation mosaic, ours vs the upstream pipeline rebuilt with
 * numpy/astropy/reproject (nchannel.py, observation.py), each side in its own process:
 *   - 3 and 6 channels of BENCH_TILE^2 inputs (default 2048) into a BENCH_CANVAS canvas (2000);
 *   - an observation mosaic of 4 overlapping BENCH_TILE^2 tiles.
 * Each case runs BENCH_ROUNDS (default 5) rounds, the two sides alternating which goes first, so
 * that a shared machine's load falls on both alike; the table gives the best time and peak RSS of
 * each side with the range over the rounds, and the ratios of the bests (time) and of the
 * reference's smallest to our largest peak RSS (memory). BENCH_CASES=3,6,obs picks cases.
 * Smoke run: BENCH_TILE=256 BENCH_CANVAS=200 BENCH_ROUNDS=1.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compositeInputs, mosaicInputs } from '../reproject/inputs.js';
import { printRounds, runOurs as runSide, runReference, type SideResult } from '../reproject/side-by-side.js';

const runOurs = (mode: string, files: string[]) => runSide(mode, files, new URL('./ours.ts', import.meta.url));
const reference = (script: string, files: string[]) => runReference(fileURLToPath(new URL(script, import.meta.url)), files);

const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 5));
const cases = (process.env.BENCH_CASES ?? '3,6,obs').split(',');

/** `rounds` alternating rounds of both sides (the reference first in odd rounds). */
function alternate(ours: () => SideResult, ref: () => SideResult | undefined): { ours: SideResult[]; ref: SideResult[] } {
  const o: SideResult[] = [];
  const r: SideResult[] = [];
  for (let k = 0; k < rounds; k++) {
    if (k % 2 === 1) {
      const x = ref();
      if (x) r.push(x);
    }
    o.push(ours());
    if (k % 2 === 0) {
      const x = ref();
      if (x) r.push(x);
    }
    process.stderr.write(`  round ${k + 1}/${rounds}: ours ${o.at(-1)!.seconds.toFixed(2)} s${r.length > k ? `, reference ${r.at(-1)!.seconds.toFixed(2)} s` : ''}\n`);
  }
  return { ours: o, ref: r };
}

const dir = await mkdtemp(join(tmpdir(), 'bench-nchannel-'));
try {
  const n = Number(process.env.BENCH_TILE ?? 2048);
  const canvas = Number(process.env.BENCH_CANVAS ?? 2000);
  const three = await compositeInputs(join(dir, 'a'), n);
  const six = [...three, ...(await compositeInputs(join(dir, 'b'), n))];
  for (const files of [three, six]) {
    if (!cases.includes(String(files.length))) continue;
    const r = alternate(() => runOurs('nchannel', files), () => reference('./nchannel.py', files));
    printRounds(`${files.length}-channel composite, inputs ${n}x${n}, ${canvas} px canvas`, `${files.length}-channel composite ${n}^2 -> ${canvas} px`, r.ours, r.ref);
  }
  if (cases.includes('obs')) {
    const tiles = await mosaicInputs(join(dir, 'm'), n);
    const r = alternate(() => runOurs('observation', tiles), () => reference('./observation.py', tiles));
    printRounds(`observation mosaic, 4 tiles ${n}x${n}, background matched, FITS out`, `observation mosaic 4 x ${n}^2`, r.ours, r.ref);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
