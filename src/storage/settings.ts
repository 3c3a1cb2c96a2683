/**
 * Storage settings (docs/storage.md): STORAGE_PROVIDER (local | s3), the S3 endpoint and bucket,
 * credentials (else the AWS default chain: environment, shared files, instance roles), and the
 * local read cache of ranged reads. Parsed from the environment by src/config.ts.
 */
export interface S3Settings {
  readonly bucket: string;
  /** S3_ENDPOINT: an S3-compatible server (MinIO, SeaweedFS, ...); unset = AWS for the region. */
  readonly endpoint: string | undefined;
  readonly region: string;
  /** S3_FORCE_PATH_STYLE: http://host/bucket/key instead of http://bucket.host/key (MinIO, most local servers). */
  readonly forcePathStyle: boolean;
  /** S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY (+ S3_SESSION_TOKEN); unset = the AWS default chain. */
  readonly accessKeyId: string | undefined;
  readonly secretAccessKey: string | undefined;
  readonly sessionToken: string | undefined;
  /** S3_ANONYMOUS: send unsigned requests (public buckets such as stpubdata). */
  readonly anonymous: boolean;
  /** S3_PUBLIC_ENDPOINT: the host presigned URLs are written for (when clients reach the store elsewhere). */
  readonly publicEndpoint: string | undefined;
}

export interface StorageSettings {
  readonly provider: 'local' | 's3';
  readonly s3: S3Settings | undefined;
  /** STORAGE_READ_CACHE_MB: bytes of ranged reads kept in memory per process (LRU by access). 0 = off. */
  readonly readCacheBytes: number;
  /** STORAGE_READ_BLOCK_KB: the unit ranged reads are fetched and cached in. */
  readonly readBlockBytes: number;
  /** S3_UPLOAD_PART_MB: the part size of downloads into the store (multipart uploads; 5 MiB at least). */
  readonly uploadPartBytes: number;
}

