/**
 * Private S3-compatible servers for tests, from npm, in the test process on a free port (never a
 * shared service): `fauxqs` (in memory; has AbortMultipartUpload; checks no signature) and
 * `@20minutes/s3rver` (files in a temp dir; checks SigV4 signatures, presigned URLs included; has no
 * ListParts nor AbortMultipartUpload). Neither implements ListParts: the engine never needs it (a
 * resumable upload keeps its own list of parts), the conformance suite skips it where missing.
 */
import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Settings } from '../../src/storage/settings.js';
import { freePort } from './engine-process.js';

export type S3ServerKind = 'fauxqs' | 's3rver';

export interface S3Capabilities {
  readonly abortUpload: boolean;
  readonly listParts: boolean;
  /** The server refuses requests whose signature is wrong (a tampered presigned URL fails). */
  readonly checksSignatures: boolean;
  /** Bucket-level requests (ListObjectsV2) work: @20minutes/s3rver 5.0.0 refuses the SDK's signature of every one (SignatureDoesNotMatch). */
  readonly listObjects: boolean;
}

export interface TestS3 {
  readonly kind: S3ServerKind;
  readonly endpoint: string;
  readonly capabilities: S3Capabilities;
  /** Settings for the engine's S3 provider on `bucket` (created by start or createBucket). */
  settings(bucket: string): S3Settings;
  /** The environment an engine process needs to use `bucket` as its storage. */
  env(bucket: string): Record<string, string>;
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

export const S3_CAPABILITIES: Readonly<Record<S3ServerKind, S3Capabilities>> = {
  fauxqs: { abortUpload: true, listParts: false, checksSignatures: false, listObjects: true },
  s3rver: { abortUpload: false, listParts: false, checksSignatures: true, listObjects: false },
};

const ACCESS_KEY = 'S3RVER';
const SECRET_KEY = 'S3RVER';

function settingsFor(endpoint: string, bucket: string): S3Settings {
  return {
    bucket, endpoint, region: 'us-east-1', forcePathStyle: true,
    accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY, sessionToken: undefined, anonymous: false, publicEndpoint: undefined,
  };
}

function envFor(endpoint: string, bucket: string): Record<string, string> {
  return {
    STORAGE_PROVIDER: 's3', S3_BUCKET: bucket, S3_ENDPOINT: endpoint, S3_REGION: 'us-east-1', S3_FORCE_PATH_STYLE: 'true',
    S3_ACCESS_KEY_ID: ACCESS_KEY, S3_SECRET_ACCESS_KEY: SECRET_KEY,
  };
}

interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

async function startS3rver(buckets: readonly string[]): Promise<TestS3> {
  const require = createRequire(import.meta.url);
  const S3rver = require('@20minutes/s3rver') as S3rverClass;
  const dir = await mkdtemp(join(tmpdir(), 'test-s3rver-'));
  let server: S3rverInstance | undefined;
  let port = 0;
  for (let attempt = 0; attempt < 5 && !server; attempt++) {
    port = await freePort();
    const s = new S3rver({ port, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: buckets.map((name) => ({ name })) });
    try {
      await s.run();
      server = s;
    } catch (err) {
      if (attempt === 4) throw err;
    }
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const running = server!;
  return {
    kind: 's3rver',
    endpoint,
    capabilities: S3_CAPABILITIES.s3rver,
    settings: (bucket) => settingsFor(endpoint, bucket),
    env: (bucket) => envFor(endpoint, bucket),
    createBucket: (name) => sdkCreateBucket(settingsFor(endpoint, name)),
    async stop() {
      await running.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function startFauxqsServer(buckets: readonly string[]): Promise<TestS3> {
  const { startFauxqs } = await import('fauxqs');
  const server = await startFauxqs({ port: 0, logger: false, host: '127.0.0.1' });
  const endpoint = `http://127.0.0.1:${server.port}`;
  for (const b of buckets) server.createBucket(b);
  return {
    kind: 'fauxqs',
    endpoint,
    capabilities: S3_CAPABILITIES.fauxqs,
    settings: (bucket) => settingsFor(endpoint, bucket),
    env: (bucket) => envFor(endpoint, bucket),
    async createBucket(name) {
      server.createBucket(name);
    },
    stop: () => server.stop(),
  };
}

async function sdkCreateBucket(settings: S3Settings): Promise<void> {
  const m = await import('@aws-sdk/client-s3');
  const client = new m.S3Client({
    region: settings.region, endpoint: settings.endpoint, forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
  });
  try {
    await client.send(new m.CreateBucketCommand({ Bucket: settings.bucket }));
  } finally {
    client.destroy();
  }
}

/** Starts a server of `kind` with `buckets` made. Stop it in `after`. */
export function startTestS3(kind: S3ServerKind = 'fauxqs', buckets: readonly string[] = ['engine']): Promise<TestS3> {
  return kind === 'fauxqs' ? startFauxqsServer(buckets) : startS3rver(buckets);
}

export const S3_SERVER_KINDS: readonly S3ServerKind[] = ['fauxqs', 's3rver'];
