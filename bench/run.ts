/**
 * `npm run bench`: runs every `bench/**\/*.bench.ts` in turn (each a standalone script that prints
 * its own table, including the Python reference side by side when /usr/bin/python3 has the stack).
 * Usage: npm run bench [-- name-substring ...]
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const filters = process.argv.slice(2);

function walk(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else if (name.endsWith('.bench.ts')) out.push(relative(root, full));
  }
  return out;
}

const files = walk(join(root, 'bench'), [])
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
let failed = 0;
for (const file of files) {
  process.stdout.write(`\n=== ${file} ===\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', file], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.stdout.write(`\n${files.length - failed} benchmarks ran, ${failed} failed\n`);
process.exit(failed ? 1 : 0);
