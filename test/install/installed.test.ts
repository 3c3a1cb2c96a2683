/**
 * The package as a user installs and runs it, from the production build (scripts/build.mjs, only
 * when its inputs changed): the `jwst-engine` bin reached through symlinks (what npm install -g,
 * npx and npm link create) does its work, and SIGTERM to the PID of `npm start` / `npm run demo`
 * stops the engine (npm's `sh -c` layer execs, so the signal reaches node) and frees the port.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/engine-process.js';
import { CORPUS_PATH, REPO_ROOT } from '../helpers/paths.js';

const BIN = join(REPO_ROOT, 'dist/cli/main.js');
const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

function run(file: string, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(file, args, { cwd: tmpdir(), encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'silent' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** True when nothing listens on the port (we can bind it ourselves). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The direct children of a process (Linux /proc). */
function children(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Runs an npm script with PORT/DATA_DIR, waits for /health, sends SIGTERM to the npm process and
 * checks that the whole tree under it is gone and the port is free.
 */
async function startAndTerminate(script: string[], dataDir: string): Promise<void> {
  const port = await freePort();
  const npm = spawn('npm', script, {
    cwd: REPO_ROOT,
    env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  npm.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => npm.once('exit', () => resolve()));
  try {
    for (;;) {
      if (npm.exitCode !== null) throw new Error(`npm ${script.join(' ')} exited early: ${stderr}`);
      try {
        if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) break;
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const tree: number[] = [];
    for (let todo = [npm.pid!]; todo.length > 0; ) {
      const next = todo.flatMap(children);
      tree.push(...next);
      todo = next;
    }
    assert.ok(tree.length > 0, 'npm runs the engine as a child');
    process.kill(npm.pid!, 'SIGTERM');
    await exited;
    // The engine may still be closing when npm returns: wait for the processes, not a time.
    while (tree.some(alive)) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await portFree(port), true, `port ${port} still in use after SIGTERM`);
  } finally {
    if (npm.exitCode === null) npm.kill('SIGKILL');
  }
}

// Bounded (a hang fails), generously: on a clean clone `before` builds the engine and the web
// interface, which alone takes minutes at load 16 on 2 cores (tsc --noEmit took 6.5 min there).
describe('installed package', { timeout: 1_500_000 }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'installed-'));
    const build = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts/build.mjs'), '--if-stale'], { cwd: REPO_ROOT, stdio: 'inherit' });
    assert.equal(build.status, 0, 'build failed');
    chmodSync(BIN, 0o755); // npm marks bin targets executable when it links them
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('the jwst-engine bin works through a chain of symlinks, under any name', async () => {
    // Like npm install -g: <prefix>/bin/jwst-engine -> ../lib/node_modules/<pkg>/dist/cli/main.js
    await symlink(REPO_ROOT, join(dir, 'package'));
    await symlink(join('package', 'dist', 'cli', 'main.js'), join(dir, 'jwst-engine'));
    await symlink('jwst-engine', join(dir, 'renamed'));
    for (const name of ['jwst-engine', 'renamed']) {
      const version = run(join(dir, name), ['--version']);
      assert.equal(version.code, 0, version.stderr);
      assert.equal(version.stdout.trim(), VERSION);
      const info = run(join(dir, name), ['info', join(CORPUS_PATH, 'astropy-m13.fits')]);
      assert.equal(info.code, 0, info.stderr);
      assert.match(info.stdout, /PRIMARY\s+1\s+PrimaryHDU\s+\d+\s+\(300, 300\)\s+16/);
    }
    const direct = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' });
    assert.equal(direct.stdout.trim(), VERSION);
  });

  it('SIGTERM to the PID of `npm start` stops the engine and frees the port', async () => {
    await startAndTerminate(['start'], join(dir, 'start-data'));
  });

  it('SIGTERM to the PID of `npm run demo` stops the engine and the fake MAST', async () => {
    await startAndTerminate(['run', 'demo'], join(dir, 'demo-data'));
  });
});
