/** Runs our side (child node process) and the Python side on the same files; prints the table. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pythonHas, runPythonJson } from '../lib/python.js';

export interface SideResult {
  readonly seconds: number;
  readonly peakRssMb: number;
  readonly width: number;
  readonly height: number;
}

/** Our side: `script` (default bench/reproject/ours.ts) `mode` `files...` in its own process; its last JSON line. */
export function runOurs(mode: string, files: string[], scriptUrl: URL = new URL('./ours.ts', import.meta.url)): SideResult {
  const script = fileURLToPath(scriptUrl);
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, mode, ...files], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`ours.ts ${mode} failed: ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as SideResult;
}

export function runReference(script: string, files: string[]): SideResult | undefined {
  if (!pythonHas('astropy', 'reproject', 'numpy', 'PIL')) return undefined;
  return runPythonJson<SideResult>(fileURLToPath(new URL(script, import.meta.url)), files);
}

export function printTable(title: string, ours: SideResult, ref: SideResult | undefined): void {
  const row = (name: string, r: SideResult) =>
    `| ${name.padEnd(22)} | ${r.seconds.toFixed(2).padStart(8)} s | ${r.peakRssMb.toFixed(0).padStart(7)} MB | ${`${r.width}x${r.height}`.padStart(11)} |`;
  console.log(`\n${title}`);
  console.log('| implementation         |       time |   peak RSS |      output |');
  console.log('|------------------------|------------|------------|-------------|');
  console.log(row('jwst-processing-engine', ours));
  if (ref) {
    console.log(row('reproject 0.10 / astropy', ref));
    console.log(`ratio (reference / ours): time ${(ref.seconds / ours.seconds).toFixed(2)}x, peak memory ${(ref.peakRssMb / ours.peakRssMb).toFixed(2)}x`);
  } else {
    console.log('(Python reference side skipped: /usr/bin/python3 lacks astropy/reproject/numpy/PIL)');
  }
}
