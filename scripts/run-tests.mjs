#!/usr/bin/env node
// Runs every test file under test/ with Node's own test runner, TypeScript loaded by tsx.
// Usage: node scripts/run-tests.mjs [path-substring ...]   (filters the files)
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, full));
  }
  return out;
}

const files = walk(join(root, 'test'), [])
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// End-to-end tests drive the production build of the web interface: build it first.
if (files.some((f) => f.startsWith('test/e2e/'))) {
  const build = spawnSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
// Each file runs in its own process, two at a time. --test-timeout bounds each file (Node 20 applies
// it to the file's process as a whole): a file that hangs fails after it and the run goes on,
// instead of holding CI until the job's own timeout. The bound is far above any file's time at
// load 16 on 2 cores (the longest, the cluster and install tests, take minutes there); no test
// relies on it for what it asserts. TEST_FILE_TIMEOUT_MS overrides it.
const fileTimeoutMs = Number(process.env.TEST_FILE_TIMEOUT_MS ?? 30 * 60_000);
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', `--test-timeout=${fileTimeoutMs}`, ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
);
process.exit(result.status ?? 1);
