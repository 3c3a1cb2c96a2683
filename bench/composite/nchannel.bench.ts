/**
 * N-channel composites and an observation mosaic, ours vs the upstream pipeline rebuilt with
 * numpy/astropy/reproject (nchannel.py, observation.py), each side in its own process:
 *   - 3 and 6 channels of BENCH_TILE^2 inputs (default 2048) into a BENCH_CANVAS canvas (2000);
 *   - an observation mosaic of 4 overlapping BENCH_TILE^2 tiles.
 * Figures mean something only on a quiet machine. Smoke run: BENCH_TILE=256 BENCH_CANVAS=200.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compositeInputs, mosaicInputs } from '../reproject/inputs.js';
import { printTable, runOurs as runSide, runReference } from '../reproject/side-by-side.js';

const runOurs = (mode: string, files: string[]) => runSide(mode, files, new URL('./ours.ts', import.meta.url));

const reference = (script: string, files: string[]) => runReference(fileURLToPath(new URL(script, import.meta.url)), files);

const dir = await mkdtemp(join(tmpdir(), 'bench-nchannel-'));
try {
  const n = Number(process.env.BENCH_TILE ?? 2048);
  const canvas = Number(process.env.BENCH_CANVAS ?? 2000);
  const three = await compositeInputs(join(dir, 'a'), n);
  const six = [...three, ...(await compositeInputs(join(dir, 'b'), n))];
  for (const files of [three, six]) {
    printTable(`${files.length}-channel composite, inputs ${n}x${n}, ${canvas} px canvas`, runOurs('nchannel', files), reference('./nchannel.py', files));
  }
  const tiles = await mosaicInputs(join(dir, 'm'), n);
  printTable(`observation mosaic, 4 tiles ${n}x${n}, background matched, FITS out`, runOurs('observation', tiles), reference('./observation.py', tiles));
} finally {
  await rm(dir, { recursive: true, force: true });
}
