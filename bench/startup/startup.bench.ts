/**
 * `npm run bench -- startup`: how long from `npm start` (build current) to the first 200 from
 * GET /health, and the same for `node dist/main.js` alone (no npm, no staleness check), on a fresh
 * DATA_DIR each time. The quick start promises under 3 s (#12). BENCH_RUNS (default 7) starts each.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const runs = Number(process.env.BENCH_RUNS ?? 7);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function timeToHealth(command: string, args: string[]): Promise<number> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-startup-'));
  const t0 = performance.now();
  const child = spawn(command, args, { cwd: root, env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, stdio: 'ignore' });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${command} exited with ${child.exitCode}`);
      const ok = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false);
      if (ok) return (performance.now() - t0) / 1000;
      if (performance.now() - t0 > 60_000) throw new Error('no answer in 60 s');
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `median ${s[Math.floor(s.length / 2)]!.toFixed(2)} s (min ${s[0]!.toFixed(2)}, max ${s[s.length - 1]!.toFixed(2)}, ${s.length} runs)`;
};

const build = spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(1);
const npmStart: number[] = [];
const nodeMain: number[] = [];
for (let i = 0; i < runs; i++) {
  // Alternate, so that both see the same machine.
  npmStart.push(await timeToHealth('npm', ['start', '--silent']));
  nodeMain.push(await timeToHealth(process.execPath, ['dist/main.js']));
}
console.log(`npm start -> GET /health 200:        ${stats(npmStart)}  (goal < 3 s)`);
console.log(`node dist/main.js -> GET /health 200: ${stats(nodeMain)}`);
