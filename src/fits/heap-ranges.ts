/**
 * Reading scattered byte ranges of a heap (variable-length table cells, compressed tiles) in few
 * reads: neighbours are coalesced when the gap between them is small, within limits each caller
 * sets. `planHeapReads` decides the reads (pure); `HeapBytes.load` performs them and finds each
 * range's bytes again.
 */
import { FitsError } from './errors.js';

/** `length` bytes at `start` (heap- or data-unit-relative, as the caller chooses). */
export interface ByteRange {
  readonly start: number;
  readonly length: number;
}

export interface HeapMergeLimits {
  /** Ranges at most this many bytes apart are read together. */
  readonly maxGap: number;
  /** A merged read does not grow past this many bytes (one range larger than it is still read whole). */
  readonly maxReadBytes?: number;
  /** Merging reads bytes nobody asked for (the gaps); in total at most this many. */
  readonly maxWasteBytes?: number;
}

/**
 * The reads that cover every non-empty range, sorted by start. Overlapping and repeated ranges join
 * the read they fall into. Reads may overlap only when `maxReadBytes` stopped a merge; their starts
 * never decrease and their ends always increase, so the last read starting at or before a range's
 * start is the one that holds it.
 */
export function planHeapReads(ranges: readonly ByteRange[], limits: HeapMergeLimits): ByteRange[] {
  const maxRead = limits.maxReadBytes ?? Infinity;
  let wasteLeft = limits.maxWasteBytes ?? Infinity;
  const sorted = ranges.filter((r) => r.length > 0).sort((a, b) => a.start - b.start);
  const reads: { start: number; end: number }[] = [];
  for (const r of sorted) {
    const end = r.start + r.length;
    const last = reads[reads.length - 1];
    if (last) {
      const gap = r.start - last.end;
      const grows = end > last.end;
      if (gap <= limits.maxGap && gap <= wasteLeft && !(grows && end - last.start > maxRead)) {
        wasteLeft -= Math.max(0, gap);
        if (grows) last.end = end;
        continue;
      }
    }
    reads.push({ start: r.start, end });
  }
  return reads.map((b) => ({ start: b.start, length: b.end - b.start }));
}

/** Reads exactly `length` bytes at `start` (or throws). */
export type RangeReader = (start: number, length: number) => Promise<Uint8Array>;

/** The bytes of a set of heap ranges, read as planned by `planHeapReads`. */
export class HeapBytes {
  private constructor(
    private readonly reads: readonly ByteRange[],
    private readonly chunks: readonly Uint8Array[],
  ) {}

  /** Plans the reads for `ranges` under `limits` and performs them one after the other. */
  static async load(ranges: readonly ByteRange[], limits: HeapMergeLimits, read: RangeReader): Promise<HeapBytes> {
    const reads = planHeapReads(ranges, limits);
    const chunks: Uint8Array[] = [];
    for (const r of reads) chunks.push(await read(r.start, r.length));
    return new HeapBytes(reads, chunks);
  }

  /** The chunk holding [start, start + length) and the range's position in it. */
  locate(start: number, length: number): { bytes: Uint8Array; pos: number } {
    if (length === 0) return { bytes: new Uint8Array(0), pos: 0 };
    // the last read starting at or before `start` (see planHeapReads: it has the furthest end)
    let lo = 0;
    let hi = this.reads.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((this.reads[mid] as ByteRange).start <= start) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const read = this.reads[found];
    if (!read || start + length > read.start + read.length) {
      throw new FitsError('FITS_BAD_DATA', 'internal: heap range was not loaded');
    }
    return { bytes: this.chunks[found] as Uint8Array, pos: start - read.start };
  }

  /** True when [start, start + length) lies within one of the reads (so `view` can return it). */
  contains(start: number, length: number): boolean {
    try {
      this.locate(start, length);
      return true;
    } catch {
      return false;
    }
  }

  /** The bytes of [start, start + length), without copying (a plain Uint8Array, even over a Buffer). */
  view(start: number, length: number): Uint8Array {
    const { bytes, pos } = this.locate(start, length);
    return new Uint8Array(bytes.buffer, bytes.byteOffset + pos, length);
  }
}
