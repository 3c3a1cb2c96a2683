/** Runs our side of a composite benchmark (ours.ts) in its own process; its last JSON line. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SideResult } from '../reproject/side-by-side.js';

export function runOursComposite(mode: string, files: string[]): SideResult {
  const script = fileURLToPath(new URL('./ours.ts', import.meta.url));
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, mode, ...files], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`ours.ts ${mode} failed: ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as SideResult;
}
