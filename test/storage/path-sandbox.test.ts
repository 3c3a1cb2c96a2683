import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
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

  it('resolveInput answers each request from the file as it is now (a path asked for before is not trusted blindly)', async () => {
    await writeFile(join(root, 'mast', 'obs1', 'b.fits'), 'first');
    const first = await sandbox.resolveInput('mast/obs1/b.fits');
    assert.equal(first.path, join(root, 'mast', 'obs1', 'b.fits'));
    assert.equal(first.size, 5);
    // rewritten in place: same path, new size and version
    await writeFile(join(root, 'mast', 'obs1', 'b.fits'), 'second!');
    const second = await sandbox.resolveInput('mast/obs1/b.fits');
    assert.equal(second.size, 7);
    assert.notEqual(second.version, first.version);
    // replaced by a symlink that leads outside: refused
    await unlink(join(root, 'mast', 'obs1', 'b.fits'));
    await symlink(join(base, 'secret.txt'), join(root, 'mast', 'obs1', 'b.fits'));
    await rejectsWith(sandbox.resolveInput('mast/obs1/b.fits'), 403, /outside allowed directory/);
    // a directory on the way replaced by a symlink to the outside, with the file moved there: refused
    await writeFile(join(root, 'mast', 'c.fits'), 'c');
    await mkdir(join(root, 'sub'));
    await writeFile(join(root, 'sub', 'c.fits'), 'c');
    assert.equal((await sandbox.resolveInput('sub/c.fits')).path, join(root, 'sub', 'c.fits'));
    await mkdir(join(base, 'elsewhere'));
    await rename(join(root, 'sub', 'c.fits'), join(base, 'elsewhere', 'c.fits'));
    await rm(join(root, 'sub'), { recursive: true });
    await symlink(join(base, 'elsewhere'), join(root, 'sub'));
    await rejectsWith(sandbox.resolveInput('sub/c.fits'), 403, /outside allowed directory/);
    // deleted: 404
    await unlink(join(root, 'mast', 'c.fits'));
    await sandbox.resolveInput('mast/c.fits').catch(() => undefined);
    await writeFile(join(root, 'mast', 'c.fits'), 'c');
    await sandbox.resolveInput('mast/c.fits');
    await unlink(join(root, 'mast', 'c.fits'));
    await rejectsWith(sandbox.resolveInput('mast/c.fits'), 404, /^File not found: c.fits$/);
  });
});
