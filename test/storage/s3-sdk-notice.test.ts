/**
 * The AWS SDK's Node-version notice (session 17): on Node 20 the SDK prints, when a client is made,
 * that its releases after January 2027 require Node 22. A user of the engine cannot act on it, so
 * src/storage/s3.ts sets the SDK's documented switch unless the environment says otherwise.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { SDK_NODE_WARNING_SWITCH } from '../../src/storage/s3.js';
import { REPO_ROOT } from '../helpers/paths.js';

/** Generous: the child compiles the SDK and our storage code through tsx (seconds; minutes at load 16). */
const CHILD_MS = 300_000;
const NOTICE = 'NodeVersionSupportWarning';

function runChild(env: Record<string, string>): Promise<{ stdout: string; stderr: string }> {
  const clean = { ...process.env };
  delete clean[SDK_NODE_WARNING_SWITCH];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', 'test/storage/s3-sdk-notice-child.ts'], { cwd: REPO_ROOT, env: { ...clean, ...env }, timeout: CHILD_MS }, (err, stdout, stderr) => {
      if (err) reject(new Error(`the child making S3 clients (waited up to ${CHILD_MS / 1000} s for it to exit): ${err.message}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

describe('the AWS SDK\'s Node-version notice', { timeout: 900_000 }, () => {
  it('is not printed when the engine makes a client (each thread that uses S3 makes its own, through the same code)', async () => {
    const { stdout, stderr } = await runChild({});
    assert.equal(stdout, 'client made\n');
    assert.doesNotMatch(stderr, new RegExp(NOTICE), stderr);
  });

  it('is printed when the environment asks for it (`=false`): the switch is the SDK\'s and ours only a default', async (t) => {
    if (Number(process.versions.node.split('.')[0]) >= 22) {
      t.skip('the SDK prints it only on Node < 22');
      return;
    }
    const { stdout, stderr } = await runChild({ [SDK_NODE_WARNING_SWITCH]: 'false' });
    assert.equal(stdout, 'client made\n');
    assert.equal(stderr.split(NOTICE).length - 1, 1, stderr);
  });
});
