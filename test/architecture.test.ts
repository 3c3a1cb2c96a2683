/**
 * The layout rule: the library core knows nothing of HTTP or the CLI. A core module that imports
 * fastify, commander or src/routes fails here, naming the file and the import.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));
const CORE = ['core', 'fits', 'wcs', 'imaging', 'analysis', 'mast', 'downloads', 'reproject', 'storage', 'db', 'tables', 'library', 'composite', 'discovery'];
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

/**
 * No fs/promises FileHandle where a pool thread may run the code: its close() aborts the whole
 * process if the thread is terminated at that moment (src/core/file-descriptor.ts, session 14).
 * The download file layer runs on the main thread (its write and digest threads take descriptor
 * numbers), so it may.
 */
describe('file handles', () => {
  const MAIN_THREAD_ONLY = new Set(['downloads/file-layer.ts', 'downloads/write-thread.ts']);
  const FILE_HANDLE = /import\s*(type\s*)?\{[^}]*\b(open|FileHandle)\b[^}]*\}\s*from\s*['"](node:)?fs\/promises['"]/;
  it('opens files by descriptor number in every module a pool thread may run', () => {
    const offences: string[] = [];
    for (const file of files(SRC)) {
      if (MAIN_THREAD_ONLY.has(relative(SRC, file))) continue;
      const m = FILE_HANDLE.exec(readFileSync(file, 'utf8'));
      if (m) offences.push(`${relative(SRC, file)}: ${m[0]}`);
    }
    assert.deepEqual(offences, []);
  });
});

/**
 * A clone is self-contained: no code of the repository reads a path outside it (people clone the
 * project with nothing beside it). Relative paths in the code (`'../x'`, `new URL('../..', ...)`,
 * Python's `join(HERE, '..', '..')`) are resolved from the file's own folder and must stay inside
 * the clone; the team's reference folder and machine-specific absolute paths are refused outright.
 */
describe('self-contained clone', () => {
  const ROOT = fileURLToPath(new URL('..', import.meta.url));
  const AREAS = ['src', 'test', 'bench', 'scripts', 'web', '.ci'];
  const CODE = /\.(ts|tsx|mts|mjs|js|cjs|py|sh)$|^run$/;
  const SKIP_DIRS = new Set(['node_modules', 'dist', 'out']);
  const SELF = fileURLToPath(import.meta.url);
  // Built from pieces so this file does not match itself.
  const OUTSIDE = [new RegExp(['', 'work', ''].join('/')), new RegExp(`\\b${'shared'}/(fits-corpus|mast-samples|docs)\\b`), /\bSHARED_DIR\s*,\s*['"]\.\./];

  function codeFiles(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) return SKIP_DIRS.has(name) ? [] : codeFiles(full);
      return CODE.test(name) && full !== SELF ? [full] : [];
    });
  }

  /** Every relative path written in the text, as the number of `..` steps and what follows. */
  function relativePaths(text: string): string[] {
    const out: string[] = [];
    for (const m of text.matchAll(/(?<![\w.])((?:\.\.\/)+[\w.\-/]*|\.\.(?=['"`]))/g)) out.push(m[1]!);
    // Python: os.path.join(HERE, '..', '..', 'x')
    for (const m of text.matchAll(/(['"])\.\.\1(?:\s*,\s*(['"])\.\.\2)*/g)) out.push(Array(m[0].split('..').length - 1).fill('..').join('/'));
    return out;
  }

  it('reads nothing outside the repository', () => {
    const offences: string[] = [];
    for (const area of AREAS) {
      let files: string[];
      try {
        files = codeFiles(join(ROOT, area));
      } catch {
        continue; // an area the repository does not have
      }
      for (const file of files) {
        const text = readFileSync(file, 'utf8');
        const where = relative(ROOT, file);
        for (const re of OUTSIDE) {
          const m = re.exec(text);
          if (m) offences.push(`${where}: ${m[0]}`);
        }
        for (const p of relativePaths(text)) {
          const target = relative(ROOT, join(dirname(file), p));
          if (target.startsWith('..')) offences.push(`${where}: '${p}' leaves the repository`);
        }
      }
    }
    assert.deepEqual(offences, []);
  });
});

/**
 * Test holds (src/workers/task-hold.ts) are armed by tests only: no module of the engine calls
 * `holdForTest` (the pool defines it), so no route, setting or environment variable can hold a task.
 */
describe('test holds', () => {
  it('are armed by no module of src/', () => {
    const offences = files(SRC)
      .filter((file) => /\.\s*holdForTest\s*\(|\[\s*['"`]holdForTest/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(SRC, file));
    assert.deepEqual(offences, []);
  });
});
