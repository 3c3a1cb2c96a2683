import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadSettings, loadStorageSettings } from '../../src/config.js';

describe('storage settings', () => {
  it('defaults to the local provider with a 256 MiB read cache of 64 KiB blocks', () => {
    const s = loadSettings({}).storage;
    assert.equal(s.provider, 'local');
    assert.equal(s.s3, undefined);
    assert.equal(s.readCacheBytes, 256 * 1024 * 1024);
    assert.equal(s.readBlockBytes, 64 * 1024);
  });

  it('reads the S3 settings; an endpoint implies path-style unless told otherwise', () => {
    const s = loadStorageSettings({ STORAGE_PROVIDER: 's3', S3_BUCKET: 'jwst-data', S3_ENDPOINT: 'http://minio:9000/', S3_REGION: 'eu-west-1', S3_ACCESS_KEY_ID: 'k', S3_SECRET_ACCESS_KEY: 's' });
    assert.deepEqual(s.s3, {
      bucket: 'jwst-data', endpoint: 'http://minio:9000', region: 'eu-west-1', forcePathStyle: true,
      accessKeyId: 'k', secretAccessKey: 's', sessionToken: undefined, anonymous: false, publicEndpoint: undefined,
    });
    assert.equal(loadStorageSettings({ STORAGE_PROVIDER: 's3', S3_BUCKET: 'b-1', S3_ENDPOINT: 'http://x:1', S3_FORCE_PATH_STYLE: 'false' }).s3?.forcePathStyle, false);
    assert.equal(loadStorageSettings({ STORAGE_PROVIDER: 's3', S3_BUCKET: 'b-1' }).s3?.forcePathStyle, false);
  });

  it('refuses bad values, naming the variable', () => {
    const bad: Record<string, string>[] = [
      { STORAGE_PROVIDER: 'gcs' },
      { STORAGE_PROVIDER: 's3' },
      { STORAGE_PROVIDER: 's3', S3_BUCKET: 'Bad_Bucket' },
      { S3_BUCKET: 'ok-bucket', S3_ENDPOINT: 'ftp://x' },
      { S3_BUCKET: 'ok-bucket', S3_ACCESS_KEY_ID: 'only-the-id' },
      { STORAGE_READ_CACHE_MB: '-1' },
      { STORAGE_READ_BLOCK_KB: '1' },
    ];
    for (const env of bad) assert.throws(() => loadSettings(env), ConfigError, JSON.stringify(env));
  });
});
