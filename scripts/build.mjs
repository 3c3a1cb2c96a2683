#!/usr/bin/env node
// Builds the engine (tsc -> dist/) and the web interface (vite -> web/dist/).
// Usage: node scripts/build.mjs [--if-stale] [engine] [web]   (both parts when none is named)
// --if-stale skips a part whose inputs are unchanged since its last build: each build leaves a
// fingerprint (path, size, mtime of every input) in its output folder, so `npm start` and
// `npm run demo` start at once when nothing changed and rebuild only what did.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (pkg, file) => join(root, 'node_modules', pkg, file);

const PARTS = {
  engine: {
    inputs: ['src', 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'],
    stamp: 'dist/.build-fingerprint',
    command: [bin('typescript', 'bin/tsc'), '-p', 'tsconfig.build.json'],
  },
  web: {
    inputs: ['web/src', 'web/index.html', 'web/vite.config.ts', 'web/tsconfig.json', 'package-lock.json'],
    stamp: 'web/dist/.build-fingerprint',
    command: [bin('vite', 'bin/vite.js'), 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'],
  },
};

/** Every file under the inputs, with size and mtime, hashed: any edit, addition or removal changes it. */
function fingerprint(inputs) {
  const hash = createHash('sha256');
  const visit = (path) => {
    if (!existsSync(path)) return;
    const st = statSync(path);
    if (st.isDirectory()) {
      for (const name of readdirSync(path).sort()) visit(join(path, name));
    } else {
      hash.update(`${relative(root, path)}\0${st.size}\0${st.mtimeMs}\n`);
    }
  };
  for (const input of inputs) visit(join(root, input));
  return hash.digest('hex');
}

const args = process.argv.slice(2);
const ifStale = args.includes('--if-stale');
const named = args.filter((a) => !a.startsWith('--'));
for (const name of named) {
  if (!(name in PARTS)) {
    console.error(`build: unknown part ${name} (engine, web)`);
    process.exit(2);
  }
}
for (const name of named.length > 0 ? named : Object.keys(PARTS)) {
  const part = PARTS[name];
  const stamp = join(root, part.stamp);
  const before = fingerprint(part.inputs);
  if (ifStale && existsSync(stamp) && readFileSync(stamp, 'utf8') === before) continue;
  const run = spawnSync(process.execPath, part.command, { cwd: root, stdio: 'inherit' });
  if (run.status !== 0) process.exit(run.status ?? 1);
  writeFileSync(stamp, before); // the inputs as they were when the build began
}
