import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PathSandbox } from '../../src/storage/path-sandbox.js';
import { EngineError } from '../../src/errors.js';

async function rejectsWith(p: Promise<unknown>, status: number, message: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof EngineError, `expected EngineError, got ${String(err)}`);
    assert.equal(err.httpStatus, status);
    assert.match(err.message, message);
    return true;
  });
}

describe('PathSandbox', () => {
  let base: string;
  let root: string;
  let sandbox: PathSandbox;

  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'sandbox-test-'));
    root = join(base, 'data');
    await mkdir(join(root, 'mast', 'obs1'), { recursive: true });
    await writeFile(join(root, 'mast', 'obs1', 'a.fits'), 'x');
    await writeFile(join(base, 'secret.txt'), 'secret');
    await symlink(join(base, 'secret.txt'), join(root, 'escape.fits'));
    await symlink(join(root, 'mast', 'obs1', 'a.fits'), join(root, 'inside-link.fits'));
    sandbox = new PathSandbox(root);
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('resolves a relative path inside DATA_DIR', async () => {
    assert.equal(await sandbox.resolve('mast/obs1/a.fits'), join(root, 'mast', 'obs1', 'a.fits'));
  });

  it('follows symlinks that stay inside', async () => {
    assert.equal(await sandbox.resolve('inside-link.fits'), join(root, 'mast', 'obs1', 'a.fits'));
  });

  it('rejects absolute paths, .. and NUL bytes with 403', async () => {
    await rejectsWith(sandbox.resolve('/etc/passwd'), 403, /^Access denied: invalid path$/);
    await rejectsWith(sandbox.resolve('../secret.txt'), 403, /^Access denied: invalid path$/);
    await rejectsWith(sandbox.resolve('mast/../../secret.txt'), 403, /invalid path/);
    await rejectsWith(sandbox.resolve('mast/obs1/a.fits\0.png'), 403, /invalid path/);
    await rejectsWith(sandbox.resolve(''), 403, /invalid path/);
  });

  it('rejects symlink escapes with 403', async () => {
    await rejectsWith(sandbox.resolve('escape.fits'), 403, /^Access denied: path outside allowed directory$/);
  });

  it('answers 404 for a missing file, naming only its base name', async () => {
    await rejectsWith(sandbox.resolve('mast/obs1/missing.fits'), 404, /^File not found: missing.fits$/);
  });

  it('answers 400 for a directory', async () => {
    await rejectsWith(sandbox.resolve('mast/obs1'), 400, /^Path is not a file$/);
    assert.equal(await sandbox.resolve('mast/obs1', { allowDirectory: true }), join(root, 'mast', 'obs1'));
  });

  it('checks containment of outputs that do not exist yet', async () => {
    assert.equal(await sandbox.resolve('processed/new.fits', { mayNotExist: true }), join(root, 'processed', 'new.fits'));
    await symlink(base, join(root, 'outside-dir'));
    await rejectsWith(sandbox.resolve('outside-dir/new.fits', { mayNotExist: true }), 403, /outside allowed directory/);
  });
});
