import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isPrivateHost, redirectAllowList } from '../../src/downloads/redirect-policy.js';

const refusal = (base: string, target: string, allowed: string[] = []) => redirectAllowList(base, allowed).refusal(new URL(target));

describe('download redirect policy', () => {
  it('knows loopback, private, link-local and unspecified addresses', () => {
    for (const h of ['127.0.0.1', '127.8.9.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '0.0.0.0', '100.64.0.1',
      'localhost', 'db.localhost', '[::1]', '::', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:a9fe:a9fe']) {
      assert.equal(isPrivateHost(h), true, h);
    }
    for (const h of ['mast.stsci.edu', '8.8.8.8', '172.32.0.1', '192.169.0.1', '2600:1f18::1', 's3.amazonaws.com']) assert.equal(isPrivateHost(h), false, h);
  });

  it('with the real MAST: its host and listed mirrors only, https only, never a private address', () => {
    const base = 'https://mast.stsci.edu';
    assert.equal(refusal(base, 'https://mast.stsci.edu/other/path?x=1'), null);
    assert.match(refusal(base, 'https://evil.example.com/x')!, /evil\.example\.com is neither the host of MAST_BASE_URL nor in DOWNLOAD_ALLOWED_HOSTS/);
    assert.equal(refusal(base, 'https://stpubdata.s3.amazonaws.com/jwst/x.fits', ['*.s3.amazonaws.com']), null);
    assert.equal(refusal(base, 'https://mirror.example.org:8443/x', ['mirror.example.org:8443']), null);
    assert.notEqual(refusal(base, 'https://mirror.example.org:9443/x', ['mirror.example.org:8443']), null);
    assert.notEqual(refusal(base, 'https://s3.amazonaws.com.evil.com/x', ['*.s3.amazonaws.com']), null);
    // a listed name cannot open the door to the machine itself
    assert.match(refusal(base, 'http://127.0.0.1:8000/health', ['127.0.0.1'])!, /127\.0\.0\.1 is a loopback or private address/);
    assert.match(refusal(base, 'http://169.254.169.254/latest/meta-data/')!, /loopback or private/);
    assert.match(refusal(base, 'http://[::1]:6379/')!, /loopback or private/);
    assert.match(refusal(base, 'http://mast.stsci.edu/x')!, /not served over https/);
    assert.match(refusal(base, 'file:///etc/passwd')!, /not http\(s\)/);
  });

  it('a loopback MAST (tests, a local mirror) may redirect to its own host', () => {
    const base = 'http://127.0.0.1:4000';
    assert.equal(refusal(base, 'http://127.0.0.1:5000/storage/file'), null);
    assert.notEqual(refusal(base, 'http://localhost:5000/storage/file'), null);
    assert.equal(refusal(base, 'http://localhost:5000/storage/file', ['localhost']), null);
  });
});
