/**
 * The work of bench/analysis/analysis.bench.ts, on a worker thread (piscina loads it through tsx's
 * require hook, so it has no top-level await and no import.meta).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ImagePlane } from '../../src/core/image-plane.js';
import { streamingSigmaClippedStats } from '../../src/analysis/stats/streaming-sigma-clip.js';
import { MeshBackground } from '../../src/analysis/background/mesh-background.js';
import { astropyConvolveSeparable, gaussianKernel1d } from '../../src/analysis/filters/astropy-convolve.js';
import { detectSources } from '../../src/analysis/segmentation/detect.js';
import { deblendSources } from '../../src/analysis/segmentation/deblend.js';
import { aperturePhotometry } from '../../src/analysis/photometry/aperture-photometry.js';
import { PYTHON, pythonHas, runPythonJson } from '../lib/python.js';
import { recordResult } from '../lib/results.js';

const small = process.env.BENCH_SMALL === '1';
const size = small ? 1024 : 4096;
const nStars = small ? 250 : 1000;
const repeat = Number(process.env.BENCH_REPEAT ?? 3);

/** Deterministic image: LCG + Box-Muller noise (sigma 5) on 100 + gradient, Gaussian stars (sigma 1.5 px). */
function makeImage(): { plane: ImagePlane<Float32Array>; positions: Array<[number, number]> } {
  let s = 123456789;
  const rnd = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
  const data = new Float32Array(size * size);
  for (let i = 0; i < data.length; i += 2) {
    const u = rnd();
    const v = rnd();
    const r = Math.sqrt(-2 * Math.log(u));
    data[i] = r * Math.cos(2 * Math.PI * v) * 5;
    data[i + 1] = r * Math.sin(2 * Math.PI * v) * 5;
  }
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) data[y * size + x]! += 100 + 0.002 * x + 0.001 * y;
  const positions: Array<[number, number]> = [];
  for (let k = 0; k < nStars; k++) {
    const x = 30 + rnd() * (size - 60);
    const y = 30 + rnd() * (size - 60);
    const amp = 20 * Math.exp(rnd() * Math.log(200));
    positions.push([x, y]);
    for (let yy = Math.floor(y - 8); yy <= Math.ceil(y + 8); yy++) {
      for (let xx = Math.floor(x - 8); xx <= Math.ceil(x + 8); xx++) {
        data[yy * size + xx]! += amp * Math.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * 1.5 * 1.5));
      }
    }
  }
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) if (x < 16 || y < 16 || x >= size - 16 || y >= size - 16) data[y * size + x] = NaN;
  }
  return { plane: { width: size, height: size, data }, positions };
}

/** Median CPU seconds (user + system) of n runs: the machine may be shared, wall time is noisy. */
function timed<T>(fn: () => T, n: number): { seconds: number; out: T } {
  const times: number[] = [];
  // untimed warm-up (JIT compilation; the Python side warms up the same way): once, or eleven
  // times for a case shorter than 0.2 s so the optimising compiler has settled
  const w0 = performance.now();
  let out: T = fn();
  if (performance.now() - w0 < 200) for (let i = 0; i < 10; i++) out = fn();
  for (let i = 0; i < n; i++) {
    // start each run with a clean heap so one case's garbage is not billed to the next
    (globalThis as { gc?: () => void }).gc?.();
    const t0 = process.cpuUsage();
    out = fn();
    const d = process.cpuUsage(t0);
    times.push((d.user + d.system) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { seconds: times[Math.floor(times.length / 2)]!, out };
}

interface PyResult {
  sigma_clipped_stats: { seconds: number; median: number; std: number };
  background_segmentation: { seconds: number; background_median: number; nlabels: number; deblended_nlabels: number };
  aperture_photometry: { seconds: number; sums: number[] };
}

/** The whole benchmark (run on a worker thread by analysis.bench.ts); `root` is the repository. */
export default async function main({ root }: { root: string }): Promise<void> {
  const outDir = join(root, 'bench', 'out', 'analysis');
  mkdirSync(outDir, { recursive: true });
  const { plane, positions } = makeImage();
  const imagePath = join(outDir, `sky-${size}.f32`);
  const posPath = join(outDir, `positions-${size}.json`);
  if (!existsSync(imagePath)) writeFileSync(imagePath, Buffer.from(plane.data.buffer));
  writeFileSync(posPath, JSON.stringify(positions));

  const mask = new Uint8Array(plane.data.length);
  const phot = timed(() => aperturePhotometry(plane, { positions, aperture: { kind: 'circle', r: 5 }, mask }), repeat);
  const scs = timed(() => streamingSigmaClippedStats(plane.data, undefined, { sigmaLower: 3, sigmaUpper: 3, maxiters: 5, cenfunc: 'median' }), repeat);
  const seg = timed(() => {
    const bkg = new MeshBackground({ boxSize: 64, filterSize: 3, sigma: 3, maxiters: 10 }).compute(plane);
    const sub = new Float64Array(plane.data.length);
    for (let i = 0; i < sub.length; i++) sub[i] = plane.data[i]! - bkg.background[i]!;
    const k = gaussianKernel1d(3 / 2.3548200450309493, 5);
    const conv = astropyConvolveSeparable({ width: size, height: size, data: sub }, k, k);
    const threshold = new Float64Array(bkg.backgroundRms.length);
    for (let i = 0; i < threshold.length; i++) threshold[i] = 3 * bkg.backgroundRms[i]!;
    const segm = detectSources({ width: size, height: size, data: conv }, { threshold, npixels: 10 });
    const deb = deblendSources(conv, segm, { npixels: 10, nlevels: 32, contrast: 0.001 });
    return { bkg, segm, deb };
  }, Math.max(1, Math.floor(repeat / 2)));

  let py: PyResult | undefined;
  if (pythonHas('photutils', 'astropy', 'numpy')) {
    py = runPythonJson<PyResult>(join(root, 'bench', 'analysis', 'analysis.py'), [imagePath, String(size), String(size), posPath, String(repeat)]);
  } else {
    process.stdout.write(`(${PYTHON} has no photutils: Python side skipped)\n`);
  }

  const rows: Array<[string, number, number | undefined, string]> = [
    ['sigma-clipped statistics (16.7 M px)'.replace('16.7 M', small ? '1 M' : '16.7 M'), scs.seconds, py?.sigma_clipped_stats.seconds,
      py ? `median ${scs.out.median.toFixed(6)} vs ${py.sigma_clipped_stats.median.toFixed(6)}` : ''],
    ['Background2D + segmentation + deblending', seg.seconds, py?.background_segmentation.seconds,
      py ? `labels ${seg.out.segm.nlabels}/${seg.out.deb.nlabels} vs ${py.background_segmentation.nlabels}/${py.background_segmentation.deblended_nlabels}` : `labels ${seg.out.segm.nlabels}/${seg.out.deb.nlabels}`],
    [`aperture photometry, ${nStars} sources, exact`, phot.seconds, py?.aperture_photometry.seconds,
      py ? `max rel diff of sums ${Math.max(...py.aperture_photometry.sums.map((v, i) => Math.abs(phot.out[i]!.aperture_sum - v) / Math.abs(v))).toExponential(1)}` : ''],
  ];
  process.stdout.write(`\nanalysis on a ${size}x${size} float32 image (CPU seconds, median of ${repeat} runs; Node ${process.version})\n`);
  process.stdout.write(`${'case'.padEnd(44)} ${'ours (cpu s)'.padStart(12)} ${'python (cpu s)'.padStart(14)} ${'speed-up'.padStart(9)}  check\n`);
  for (const [name, ours, theirs, check] of rows) {
    recordResult({ case: name, metric: 's CPU (median)', ours, reference: theirs, referenceName: 'photutils/astropy', higherIsBetter: false, extra: { size, repeat, check } });
    process.stdout.write(`${name.padEnd(44)} ${ours.toFixed(3).padStart(12)} ${(theirs === undefined ? '-' : theirs.toFixed(3)).padStart(14)} ${(theirs === undefined ? '-' : `${(theirs / ours).toFixed(1)}x`).padStart(9)}  ${check}\n`);
  }
}
