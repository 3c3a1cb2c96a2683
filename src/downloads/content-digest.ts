/**
 * SHA-256 and FITS checksums of a file's bytes, computed together in one ordered pass: fed while
 * downloading (sequential transfers) or by reading the finished file (parallel transfers).
 */
import { createHash, type Hash } from 'node:crypto';
import { FitsChecksumAccumulator, type FitsChecksumReport } from './fits-checksum.js';
import type { FileLayer } from './file-layer.js';

export interface DigestResult {
  readonly sha256: string;
  readonly bytes: number;
  readonly fits: FitsChecksumReport;
}

/**
 * One half of a digest, when a stream's two halves run on two threads (DigestService): the
 * SHA-256, or the FITS checksums. The other half of the result is then empty ('' or no HDUs).
 */
export type DigestPart = 'sha256' | 'fits';

export class ContentDigest {
  private readonly hash: Hash | undefined;
  private readonly fits = new FitsChecksumAccumulator();
  private readonly sumsFits: boolean;
  private count = 0;

  /** Both halves, or only `part`. */
  constructor(part?: DigestPart) {
    this.hash = part === 'fits' ? undefined : createHash('sha256');
    this.sumsFits = part !== 'sha256';
  }

  get bytes(): number {
    return this.count;
  }

  update(data: Uint8Array): void {
    this.hash?.update(data);
    if (this.sumsFits) this.fits.update(data);
    this.count += data.length;
  }

  finish(): DigestResult {
    return { sha256: this.hash?.digest('hex') ?? '', bytes: this.count, fits: this.fits.finish() };
  }
}

/** Feeds bytes [0, length) of `path` into `digest` (or a new one), 1 MiB at a time. */
export async function digestFile(fs: FileLayer, path: string, length?: number, digest: ContentDigest = new ContentDigest(), signal?: AbortSignal): Promise<ContentDigest> {
  const file = await fs.openReadable(path);
  try {
    const buf = new Uint8Array(1 << 20);
    let pos = 0;
    for (;;) {
      signal?.throwIfAborted();
      const want = length === undefined ? buf.length : Math.min(buf.length, length - pos);
      if (want <= 0) break;
      const n = await file.read(want === buf.length ? buf : buf.subarray(0, want), pos);
      if (n === 0) break;
      digest.update(buf.subarray(0, n));
      pos += n;
    }
    return digest;
  } finally {
    await file.close();
  }
}
