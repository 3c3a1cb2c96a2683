/**
 * Runs a bench script against the engine as users run it: `npm start` runs the built engine
 * (dist/, plain node, no tsx) with the GLIBC_TUNABLES of its start script. Under tsx every worker
 * thread of the pool loads the engine's sources through tsx's loader (~100 MB more for the idle
 * pool's two threads), which no deployment pays.
 *
 * The script stays TypeScript (typechecked with the rest of bench/): it is transpiled to a
 * temporary .mjs and takes the engine's modules from BENCH_ENGINE (a directory URL: dist/ here,
 * src/ when run under tsx), so it imports the engine only by dynamic import (see
 * bench/composite/ours.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** GLIBC_TUNABLES of package.json's start script (what `npm start` runs the engine with), or ''. */
export function startTunables(): string {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  return /GLIBC_TUNABLES=(\S+)/.exec(pkg.scripts['start'] ?? '')?.[1] ?? '';
}

let built = false;

/** Builds dist/ if its sources changed since the last build (as `npm start` does). */
export function buildEngineIfStale(): void {
  if (built) return;
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--if-stale', 'engine'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('building the engine (scripts/build.mjs engine) failed');
  built = true;
}

const transpiled = new Map<string, string>();
process.once('exit', () => {
  for (const out of transpiled.values()) rmSync(dirname(out), { recursive: true, force: true });
});

/** `script` (a .ts file) as a plain .mjs in a temporary directory. */
function transpile(script: string): string {
  let out = transpiled.get(script);
  if (!out) {
    const js = ts.transpileModule(readFileSync(script, 'utf8'), {
      fileName: script,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    out = join(mkdtempSync(join(tmpdir(), 'bench-built-')), 'script.mjs');
    writeFileSync(out, js);
    transpiled.set(script, out);
  }
  return out;
}

/** How a bench's side runs `script` on the built engine: command, arguments and environment. */
export function builtEngineCommand(script: string, args: readonly string[], env: Record<string, string> = {}): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
  buildEngineIfStale();
  const tunables = [startTunables(), env['GLIBC_TUNABLES']].filter(Boolean).join(':');
  return {
    command: process.execPath,
    args: [transpile(script), ...args],
    env: { ...process.env, ...env, BENCH_ENGINE: pathToFileURL(join(root, 'dist') + '/').href, ...(tunables ? { GLIBC_TUNABLES: tunables } : {}) },
  };
}

/** One line for a bench's output: how our side ran. */
export function builtEngineNote(): string {
  const t = startTunables();
  return `ours: the built engine (dist/, rebuilt when stale, as npm start), plain node without tsx${t ? `, GLIBC_TUNABLES=${t} as npm start` : ''}`;
}
