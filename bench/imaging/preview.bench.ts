/**
 * Preview and thumbnail rendering, ours vs the original engine's Python chain (contract §4.2:
 * astropy + numpy + matplotlib, rebuilt in preview.py), side by side:
 *   - 1000-px PNG preview and 256-px thumbnail of a 4096x4096 float32 image (with a NaN border),
 *   - the same of the middle slice of a 2048x2048x50 float32 cube;
 *   - GET /histogram's computation (256 bins, zscale, percentiles, stats) on both.
 * Each side runs in its own process per case, BENCH_REPEAT requests a process (default 3; the
 * median after the first is the process's warm figure), in BENCH_ROUNDS rounds (default 5) that
 * alternate which side goes first, so a shared machine's load falls on both alike; the figures are
 * the best round's warm wall and CPU (user + system, all threads) times of each side; peak RSS is
 * the largest of our processes'. On a loaded machine the CPU-time ratio is the steadier figure.
 * The inputs (~900 MB) are written once to bench/out/imaging/ (kept for re-runs; delete to rebuild).
 *
 * Usage: npm run bench -- imaging        (BENCH_ROUNDS=1 BENCH_SMALL=1 for a quick run on 1024 / 512x512x10 inputs)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FitsWriter } from '../../src/fits/index.js';
import { PYTHON, pythonHas } from '../lib/python.js';
import { recordResult } from '../lib/results.js';

interface SideResult {
  times: number[];
  cpu: number[];
  base_rss: number;
  peak_rss: number;
  width: number;
  height: number;
  color_type: number;
  bytes: number;
  mode?: string;
}

const root = fileURLToPath(new URL('../..', import.meta.url));
const outDir = join(root, 'bench', 'out', 'imaging');
const repeat = Number(process.env.BENCH_REPEAT ?? 3);
const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 5));
const small = process.env.BENCH_SMALL === '1';
const imageSize = small ? 1024 : 4096;
const cube = small ? { size: 512, depth: 10 } : { size: 2048, depth: 50 };

/** Deterministic sky-like float32 rows: noisy background, a gradient, a few bright sources. */
function skyRows(width: number, y0: number, rows: number, height: number, seed: number, nanBorder: number): Float32Array {
  const out = new Float32Array(width * rows);
  let s = (seed * 2654435761 + y0 * 40503) >>> 0;
  for (let r = 0; r < rows; r++) {
    const y = y0 + r;
    for (let x = 0; x < width; x++) {
      s = (s * 1664525 + 1013904223) >>> 0;
      const noise = (s / 4294967296 - 0.5) * 6;
      let v = 100 + 0.01 * x + 0.005 * y + noise;
      for (let k = 1; k <= 5; k++) {
        const cx = (width * k) / 6;
        const cy = (height * (6 - k)) / 6;
        const d2 = (x - cx) ** 2 + (y - cy) ** 2;
        if (d2 < 400) v += 5000 * Math.exp(-d2 / 20);
      }
      const border = x < nanBorder || y < nanBorder || x >= width - nanBorder || y >= height - nanBorder;
      out[r * width + x] = border ? NaN : v;
    }
  }
  return out;
}

async function writeInput(path: string, width: number, height: number, depth: number): Promise<void> {
  if (existsSync(path)) return;
  const w = await FitsWriter.create(path);
  const axes = depth > 1 ? [width, height, depth] : [width, height];
  const sink = await w.beginImage({ axes, bitpix: -32, cards: [{ keyword: 'BUNIT', value: 'MJy/sr' }] });
  const band = 256;
  for (let k = 0; k < depth; k++) {
    for (let y = 0; y < height; y += band) {
      await sink.write(skyRows(width, y, Math.min(band, height - y), height, k + 1, depth > 1 ? 0 : 16));
    }
  }
  await sink.end();
  await w.close();
}

function run(cmd: string, args: string[]): SideResult {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as SideResult;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** Median after the first run (warm), or the only run. */
function warm(times: number[]): number {
  return median(times.length > 1 ? times.slice(1) : times);
}

const mib = (b: number) => (b / 2 ** 20).toFixed(0);

mkdirSync(outDir, { recursive: true });
const imagePath = join(outDir, `image-${imageSize}.fits`);
const cubePath = join(outDir, `cube-${cube.size}x${cube.depth}.fits`);
console.log(`writing inputs to ${outDir} (once) ...`);
await writeInput(imagePath, imageSize, imageSize, 1);
await writeInput(cubePath, cube.size, cube.size, cube.depth);

const python = pythonHas('astropy', 'numpy', 'matplotlib');
if (!python) console.log('Python reference skipped: /usr/bin/python3 needs astropy, numpy and matplotlib');

const cases: Array<[string, 'preview' | 'thumbnail' | 'histogram', string]> = [
  [`${imageSize}x${imageSize} float32, 1000 px PNG`, 'preview', imagePath],
  [`${imageSize}x${imageSize} float32, thumbnail`, 'thumbnail', imagePath],
  [`${cube.size}x${cube.size}x${cube.depth} cube slice, 1000 px PNG`, 'preview', cubePath],
  [`${cube.size}x${cube.size}x${cube.depth} cube slice, thumbnail`, 'thumbnail', cubePath],
  [`${imageSize}x${imageSize} float32, histogram (256 bins)`, 'histogram', imagePath],
  [`${cube.size}x${cube.size}x${cube.depth} cube slice, histogram`, 'histogram', cubePath],
];
const rows: string[][] = [];
/** One process of a side: its warm wall and CPU times. */
const side = (r: SideResult) => ({ t: warm(r.times), c: warm(r.cpu), r });
for (const [label, kind, path] of cases) {
  const oursRuns: Array<ReturnType<typeof side>> = [];
  const pyRuns: Array<ReturnType<typeof side>> = [];
  for (let k = 0; k < rounds; k++) {
    const runOurs = () => oursRuns.push(side(run(process.execPath, ['--import', 'tsx', join('bench', 'imaging', 'preview-case.ts'), kind, path, String(repeat)])));
    const runPy = () => python && pyRuns.push(side(run(PYTHON, [join('bench', 'imaging', 'preview.py'), kind, path, String(repeat)])));
    if (k % 2 === 0) {
      runOurs();
      runPy();
    } else {
      runPy();
      runOurs();
    }
  }
  const bestOf = (xs: Array<ReturnType<typeof side>>, key: 't' | 'c') => Math.min(...xs.map((x) => x[key]));
  const ours = { ...oursRuns[0]!.r, peak_rss: Math.max(...oursRuns.map((x) => x.r.peak_rss)) };
  const py = pyRuns[0]?.r;
  const t = bestOf(oursRuns, 't');
  const tp = py ? bestOf(pyRuns, 't') : NaN;
  const c = bestOf(oursRuns, 'c');
  const cp = py ? bestOf(pyRuns, 'c') : NaN;
  recordResult({ case: label, metric: 's wall (best round, warm median)', ours: t, reference: py ? tp : undefined, referenceName: 'original Python chain', higherIsBetter: false, extra: { repeat, rounds } });
  recordResult({ case: label, metric: 's CPU (best round, warm median)', ours: c, reference: py ? cp : undefined, referenceName: 'original Python chain', higherIsBetter: false, extra: { repeat, rounds, peakRssMiB: Math.round(ours.peak_rss / 2 ** 20) } });
  rows.push([
    label,
    `${(t * 1000).toFixed(0)} / ${(c * 1000).toFixed(0)} ms`,
    py ? `${(tp * 1000).toFixed(0)} / ${(cp * 1000).toFixed(0)} ms` : '-',
    py ? `${(tp / t).toFixed(1)}x / ${(cp / c).toFixed(1)}x` : '-',
    `${mib(ours.peak_rss)} (+${mib(ours.peak_rss - ours.base_rss)})`,
    py ? `${mib(py.peak_rss)} (+${mib(py.peak_rss - py.base_rss)})` : '-',
    kind === 'histogram' ? 'JSON' : `${ours.width}x${ours.height} ct${ours.color_type}`,
    py ? (kind === 'histogram' ? 'JSON' : `${py.width}x${py.height} ct${py.color_type}`) : '-',
  ]);
}
const header = ['case', 'ours wall / CPU', 'python wall / CPU', 'speed-up wall / CPU', 'ours peak RSS MiB (+over start)', 'python peak RSS MiB (+over imports)', 'ours output', 'python output'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
console.log(`\npreview rendering, best of ${rounds} alternating rounds of the median of ${Math.max(1, repeat - 1)} warm run(s) per process (load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}); ct = PNG colour type (0 grey, 4 grey+alpha, 6 RGBA)`);
console.log(line(header));
for (const r of rows) console.log(line(r));
