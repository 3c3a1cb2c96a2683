/**
 * The layout rule: the library core knows nothing of HTTP or the CLI. A core module that imports
 * fastify, commander or src/routes fails here, naming the file and the import.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));
const CORE = ['core', 'fits', 'wcs', 'imaging', 'analysis', 'mast', 'downloads', 'reproject', 'storage', 'db'];
const FORBIDDEN = [/from ['"]fastify['"]/, /from ['"]@fastify\//, /from ['"]commander['"]/, /from ['"]cli-progress['"]/, /from ['"](\.\.\/)+routes\//, /from ['"](\.\.\/)+cli\//, /from ['"](\.\.\/)+server\.js['"]/];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? files(full) : full.endsWith('.ts') ? [full] : [];
  });
}

describe('architecture', () => {
  it('keeps HTTP and CLI out of the library core', () => {
    const offences: string[] = [];
    for (const area of CORE) {
      for (const file of files(join(SRC, area))) {
        const text = readFileSync(file, 'utf8');
        for (const re of FORBIDDEN) {
          const m = re.exec(text);
          if (m) offences.push(`${relative(SRC, file)}: ${m[0]}`);
        }
      }
    }
    assert.deepEqual(offences, []);
  });
});
