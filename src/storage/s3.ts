/**
 * The S3 provider, for AWS S3 and S3-compatible stores (MinIO, SeaweedFS, ...). The AWS SDK is
 * loaded on first use, never at start-up (it is large: an engine on local storage never loads it).
 * Reads are ranged GETs; whole-object writes of streams go up in parts (lib-storage's Upload);
 * multipart uploads are exposed as such for resumable downloads. Every failure becomes a
 * StorageError: a missing key STORAGE_NOT_FOUND, anything else STORAGE_FAILED.
 */
import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { StorageError } from './errors.js';
import { checkKey, checkPrefix } from './keys.js';
import { type ByteRange, DEFAULT_PRESIGN_SECONDS, type ListOptions, MAX_PARTS, type ObjectInfo, type StorageProvider, type UploadedPart } from './provider.js';
import type { S3Settings, StorageSettings } from './settings.js';

type Sdk = typeof import('@aws-sdk/client-s3');
let sdkPromise: Promise<Sdk> | undefined;

/**
 * The SDK's own switch for its Node-version notice (documented by AWS in aws-sdk-js-v3 issue #7983;
 * read by @aws-sdk/core's emitWarningIfUnsupportedVersion when a client is made). On Node 20 the
 * SDK prints, once per process and per worker thread that makes a client, that its releases after
 * the first week of January 2027 will require Node 22. That is a note for whoever upgrades the SDK
 * (README, "Node versions"), not for a user of the engine, who cannot act on it: we set the switch
 * unless the environment already says otherwise (`...=false` shows the notice).
 */
export const SDK_NODE_WARNING_SWITCH = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

/** The SDK module, imported once on first use. */
function sdk(): Promise<Sdk> {
  process.env[SDK_NODE_WARNING_SWITCH] ??= 'true';
  sdkPromise ??= import('@aws-sdk/client-s3');
  return sdkPromise;
}

const NOT_FOUND = new Set(['NoSuchKey', 'NotFound', 'NoSuchUpload']);

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

function translate(err: unknown, what: string): StorageError {
  if (err instanceof StorageError) return err;
  const name = (err as { name?: string }).name ?? 'Error';
  if (NOT_FOUND.has(name) || statusOf(err) === 404) return new StorageError('STORAGE_NOT_FOUND', `${what}: not found`, { cause: err });
  const message = (err as { message?: string }).message ?? String(err);
  return new StorageError('STORAGE_FAILED', `${what} failed: ${name}${message && message !== name ? ` (${message.slice(0, 200)})` : ''}`, { cause: err });
}

function stripQuotes(etag: string | undefined): string {
  return (etag ?? '').replace(/^"|"$/g, '');
}

/** Counts of what the provider asked of the store (benchmarks and tests read them). */
export interface S3Traffic {
  requests: number;
  bytesRead: number;
}

export class S3Storage implements StorageProvider {
  readonly kind = 's3' as const;
  readonly traffic: S3Traffic = { requests: 0, bytesRead: 0 };
  private clientPromise: Promise<S3Client> | undefined;

  constructor(readonly settings: S3Settings) {}

  get bucket(): string {
    return this.settings.bucket;
  }

  location(key: string): string {
    return `s3://${this.settings.bucket}/${checkKey(key)}`;
  }

  localPath(key: string): undefined {
    checkKey(key);
    return undefined;
  }

  /** The SDK client, made on first use. */
  client(): Promise<S3Client> {
    this.clientPromise ??= sdk().then((m) => {
      const s = this.settings;
      const credentials = s.accessKeyId !== undefined && s.secretAccessKey !== undefined
        ? { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey, ...(s.sessionToken ? { sessionToken: s.sessionToken } : {}) }
        : undefined;
      const client = new m.S3Client({
        region: s.region,
        forcePathStyle: s.forcePathStyle,
        ...(s.endpoint ? { endpoint: s.endpoint } : {}),
        ...(credentials ? { credentials } : {}),
        // Anonymous: no credentials looked up, requests go unsigned (public buckets).
        ...(s.anonymous ? { signer: { sign: async <T>(request: T) => request } } : {}),
        // Checksums only when an operation requires them: S3-compatible servers differ on the newer defaults.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
      return client;
    });
    return this.clientPromise;
  }

  private async send<T>(what: string, make: (m: Sdk, c: S3Client) => Promise<T>): Promise<T> {
    const [m, c] = await Promise.all([sdk(), this.client()]);
    this.traffic.requests++;
    try {
      return await make(m, c);
    } catch (err) {
      throw translate(err, what);
    }
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    checkKey(key);
    try {
      const out = await this.send(`HEAD ${this.location(key)}`, (m, c) => c.send(new m.HeadObjectCommand({ Bucket: this.bucket, Key: key })));
      return { key, size: out.ContentLength ?? 0, modifiedAt: out.LastModified ?? new Date(0), etag: stripQuotes(out.ETag) };
    } catch (err) {
      if (err instanceof StorageError && err.code === 'STORAGE_NOT_FOUND') return undefined;
      throw err;
    }
  }

  async readRange(key: string, offset: number, length: number): Promise<Buffer> {
    checkKey(key);
    if (length <= 0) return Buffer.alloc(0);
    const what = `GET ${this.location(key)} bytes ${offset}-${offset + length - 1}`;
    try {
      return await this.send(what, async (m, c) => {
        const out = await c.send(new m.GetObjectCommand({ Bucket: this.bucket, Key: key, Range: `bytes=${offset}-${offset + length - 1}` }));
        const bytes = await out.Body!.transformToByteArray();
        this.traffic.bytesRead += bytes.length;
        // A store that ignored the Range header sent the whole object: keep only what was asked.
        if (out.ContentRange === undefined && bytes.length > length) return Buffer.from(bytes.buffer, bytes.byteOffset + offset, Math.min(length, bytes.length - offset));
        return Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, length));
      });
    } catch (err) {
      // 416: the range starts at or past the end of the object.
      if (statusOf((err as StorageError).cause) === 416) return Buffer.alloc(0);
      throw err;
    }
  }

  async readStream(key: string, range?: ByteRange): Promise<Readable> {
    checkKey(key);
    const header = range ? `bytes=${range.start}-${range.end ?? ''}` : undefined;
    return this.send(`GET ${this.location(key)}`, async (m, c) => {
      const out = await c.send(new m.GetObjectCommand({ Bucket: this.bucket, Key: key, ...(header ? { Range: header } : {}) }));
      return out.Body as Readable;
    });
  }

  async write(key: string, body: Buffer | Readable): Promise<ObjectInfo> {
    checkKey(key);
    if (Buffer.isBuffer(body)) {
      await this.send(`PUT ${this.location(key)}`, (m, c) => c.send(new m.PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: body.length })));
    } else {
      const client = await this.client();
      await this.send(`PUT ${this.location(key)}`, async () => {
        const { Upload } = await import('@aws-sdk/lib-storage');
        // Parts of 8 MiB, 4 at once: at most 32 MiB of a stream in memory.
        await new Upload({ client, params: { Bucket: this.bucket, Key: key, Body: body }, partSize: 8 * 1024 * 1024, queueSize: 4, leavePartsOnError: false }).done();
      });
    }
    const st = await this.stat(key);
    if (!st) throw new StorageError('STORAGE_FAILED', `PUT ${this.location(key)}: the object is not there after the write`);
    return st;
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectInfo> {
    checkPrefix(prefix);
    const max = options.maxKeys ?? Number.POSITIVE_INFINITY;
    let token: string | undefined;
    let n = 0;
    do {
      const out = await this.send(`LIST s3://${this.bucket}/${prefix}`, (m, c) =>
        c.send(new m.ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, MaxKeys: Math.min(1000, Math.max(1, max - n)), ...(token ? { ContinuationToken: token } : {}) })));
      for (const o of out.Contents ?? []) {
        if (n >= max) return;
        n++;
        yield { key: o.Key ?? '', size: o.Size ?? 0, modifiedAt: o.LastModified ?? new Date(0), etag: stripQuotes(o.ETag) };
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token && n < max);
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    await this.send(`DELETE ${this.location(key)}`, (m, c) => c.send(new m.DeleteObjectCommand({ Bucket: this.bucket, Key: key }))).catch((err: unknown) => {
      if (!(err instanceof StorageError && err.code === 'STORAGE_NOT_FOUND')) throw err;
    });
  }

  async presignedUrl(key: string, expiresSeconds = DEFAULT_PRESIGN_SECONDS): Promise<string> {
    checkKey(key);
    const [m, client] = await Promise.all([sdk(), this.client()]);
    const { getSignedUrl } = await import('@aws-sdk/s3-request-presigner');
    let url: string;
    try {
      url = await getSignedUrl(client, new m.GetObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn: Math.max(1, Math.min(604_800, Math.round(expiresSeconds))) });
    } catch (err) {
      throw translate(err, `presign ${this.location(key)}`);
    }
    const pub = this.settings.publicEndpoint;
    if (!pub) return url;
    // The signature covers the host: a public endpoint only rewrites where clients send the request,
    // which must reach the same store under that name (a proxy that keeps the Host header).
    const u = new URL(url);
    const p = new URL(pub);
    u.protocol = p.protocol;
    u.host = p.host;
    return u.toString();
  }

  async startUpload(key: string): Promise<string> {
    checkKey(key);
    const out = await this.send(`CreateMultipartUpload ${this.location(key)}`, (m, c) => c.send(new m.CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key })));
    if (!out.UploadId) throw new StorageError('STORAGE_FAILED', `CreateMultipartUpload ${this.location(key)}: no upload id in the answer`);
    return out.UploadId;
  }

  async uploadPart(key: string, uploadId: string, partNumber: number, body: Buffer): Promise<UploadedPart> {
    checkKey(key);
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PARTS) {
      throw new StorageError('STORAGE_BAD_KEY', `Part number ${partNumber} is outside 1..${MAX_PARTS}`);
    }
    const out = await this.send(`UploadPart ${partNumber} of ${this.location(key)}`, (m, c) =>
      c.send(new m.UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: body, ContentLength: body.length })));
    return { partNumber, etag: stripQuotes(out.ETag), size: body.length };
  }

  async listParts(key: string, uploadId: string): Promise<UploadedPart[]> {
    checkKey(key);
    const parts: UploadedPart[] = [];
    let marker: string | undefined;
    do {
      const out = await this.send(`ListParts ${this.location(key)}`, (m, c) =>
        c.send(new m.ListPartsCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, ...(marker ? { PartNumberMarker: marker } : {}) })));
      for (const p of out.Parts ?? []) parts.push({ partNumber: p.PartNumber ?? 0, etag: stripQuotes(p.ETag), size: p.Size ?? 0 });
      marker = out.IsTruncated ? out.NextPartNumberMarker : undefined;
    } while (marker);
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  async completeUpload(key: string, uploadId: string, parts: readonly UploadedPart[]): Promise<ObjectInfo> {
    checkKey(key);
    if (parts.length === 0) throw new StorageError('STORAGE_BAD_KEY', 'An upload needs at least one part');
    const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
    await this.send(`CompleteMultipartUpload ${this.location(key)}`, (m, c) =>
      c.send(new m.CompleteMultipartUploadCommand({
        Bucket: this.bucket, Key: key, UploadId: uploadId,
        MultipartUpload: { Parts: sorted.map((p) => ({ PartNumber: p.partNumber, ETag: `"${p.etag}"` })) },
      })));
    const st = await this.stat(key);
    if (!st) throw new StorageError('STORAGE_FAILED', `CompleteMultipartUpload ${this.location(key)}: the object is not there afterwards`);
    return st;
  }

  async abortUpload(key: string, uploadId: string): Promise<void> {
    checkKey(key);
    await this.send(`AbortMultipartUpload ${this.location(key)}`, (m, c) => c.send(new m.AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }))).catch((err: unknown) => {
      if (!(err instanceof StorageError && err.code === 'STORAGE_NOT_FOUND')) throw err;
    });
  }

  /** Closes the SDK's connections. */
  async close(): Promise<void> {
    if (!this.clientPromise) return;
    (await this.clientPromise).destroy();
    this.clientPromise = undefined;
  }
}

/** The object store the settings name (STORAGE_PROVIDER=s3 with its bucket), or undefined for local storage. */
export function objectStoreOf(storage: StorageSettings): S3Storage | undefined {
  return storage.provider === 's3' && storage.s3 ? new S3Storage(storage.s3) : undefined;
}
