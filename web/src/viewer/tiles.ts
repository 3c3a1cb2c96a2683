/**
 * The tiles of one image plane: which are needed for a view (the level whose pixels are closest to
 * screen pixels without being smaller, never finer than native), fetched from GET /viewer/tile with
 * a few in flight, uploaded as textures and kept in a bounded LRU. Level-0 values are kept too, so
 * the cursor read-out of a native pixel needs no request when its tile is loaded.
 */
import type { GlRenderer, GpuTile, View } from './gl-renderer.js';
import { noteTiming } from './timing.js';

export interface PlaneRef {
  readonly filePath: string;
  readonly hdu: number;
  readonly slice: number;
  readonly width: number;
  readonly height: number;
  readonly levels: number;
  readonly tileSize: number;
}

interface Entry extends GpuTile {
  readonly key: string;
  readonly level: number;
  readonly width: number;
  /** Bytes of the texture. */
  readonly bytes: number;
  /** Level-0 values for the read-out (dropped from all but the newest KEEP_VALUES tiles). */
  values?: Float32Array;
}

/**
 * Textures kept: at least MIN_TILES (1 MB each for a full 512² R32F tile, in the GPU process), or
 * what the current view needs plus half again and a margin on a large screen. 160 tiles took a
 * 10000² mosaic's renderer and GPU processes past 600 MB after some panning at 100 %; a 1366 x 900
 * screen needs at most 4 x 3 level-0 tiles (and the coarsest level's few) at any zoom, since the
 * level is chosen so that its pixels are never smaller than screen pixels.
 */
const MIN_TILES = 40;
/** Level-0 tiles whose values stay in JS for the read-out (the others ask the engine). */
const KEEP_VALUES = 24;
const IN_FLIGHT = 6;

export function levelFor(scale: number, levels: number): number {
  if (scale >= 1) return 0;
  return Math.max(0, Math.min(levels - 1, Math.floor(Math.log2(1 / scale) + 1e-9)));
}

export class TileStore {
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Set<string>();
  private readonly queue: Array<{ key: string; level: number; tx: number; ty: number }> = [];
  private active = 0;
  private closed = false;
  private maxTiles = MIN_TILES;
  /** Aborts the tile requests still in flight when the plane is closed. */
  private readonly abort = new AbortController();

  constructor(private readonly gl: GlRenderer, readonly plane: PlaneRef, private readonly onLoad: () => void) {}

  private key(level: number, tx: number, ty: number): string {
    return `${level}/${tx}/${ty}`;
  }

  private grid(level: number) {
    const f = 2 ** level;
    const t = this.plane.tileSize;
    return { f, cols: Math.ceil(Math.ceil(this.plane.width / f) / t), rows: Math.ceil(Math.ceil(this.plane.height / f) / t) };
  }

  /** Tiles of `level` meeting the view (canvas cssWidth x cssHeight). */
  visible(level: number, view: View, cssWidth: number, cssHeight: number): Array<[number, number]> {
    const { f, cols, rows } = this.grid(level);
    const span = this.plane.tileSize * f;
    const hx = cssWidth / 2 / view.scale;
    const hy = cssHeight / 2 / view.scale;
    const x0 = Math.max(0, Math.floor((view.cx - hx + 0.5) / span));
    const x1 = Math.min(cols - 1, Math.floor((view.cx + hx + 0.5) / span));
    const y0 = Math.max(0, Math.floor((view.cy - hy + 0.5) / span));
    const y1 = Math.min(rows - 1, Math.floor((view.cy + hy + 0.5) / span));
    const out: Array<[number, number]> = [];
    for (let ty = y0; ty <= y1; ty++) for (let tx = x0; tx <= x1; tx++) out.push([tx, ty]);
    return out;
  }

  /**
   * The loaded tiles to draw for a view and whether every wanted tile is there. While the wanted
   * level loads, the coarsest level is drawn underneath (coarse first, so finer tiles cover it);
   * once it is complete only its own tiles are drawn (the coarse ones would be covered: on a
   * software rasteriser every covered pixel shaded twice is time). Missing tiles are requested.
   */
  tilesFor(view: View, cssWidth: number, cssHeight: number): { tiles: GpuTile[]; complete: boolean; level: number } {
    const level = levelFor(view.scale, this.plane.levels);
    const coarsest = this.plane.levels - 1;
    const wanted = this.visible(level, view, cssWidth, cssHeight);
    const under = level === coarsest ? [] : this.visible(coarsest, view, cssWidth, cssHeight);
    this.maxTiles = Math.max(MIN_TILES, Math.ceil(1.5 * (wanted.length + under.length)) + 8);
    const fine: GpuTile[] = [];
    let complete = true;
    for (const [tx, ty] of wanted) {
      const e = this.touch(this.key(level, tx, ty));
      if (e) fine.push(e);
      else {
        complete = false;
        this.request(level, tx, ty);
      }
    }
    const coarse: GpuTile[] = [];
    for (const [tx, ty] of under) {
      // Kept fresh in the LRU either way: zooming out needs them at once.
      const e = this.touch(this.key(coarsest, tx, ty));
      if (e) coarse.push(e);
      else if (!complete) this.request(coarsest, tx, ty);
    }
    return { tiles: complete ? fine : [...coarse, ...fine], complete, level };
  }

  /** Textures held now and their bytes (R32F: 4 per pixel), and the bytes of level-0 values kept in JS. */
  memory(): { textures: number; textureBytes: number; valueBytes: number } {
    let textureBytes = 0;
    let valueBytes = 0;
    for (const e of this.entries.values()) {
      textureBytes += e.bytes;
      valueBytes += e.values?.byteLength ?? 0;
    }
    return { textures: this.entries.size, textureBytes, valueBytes };
  }

  /** The level-0 value at a native pixel when its tile is loaded (undefined otherwise). */
  valueAt(x: number, y: number): number | undefined {
    const t = this.plane.tileSize;
    const e = this.entries.get(this.key(0, Math.floor(x / t), Math.floor(y / t)));
    if (!e?.values) return undefined;
    return e.values[(y - e.y0) * e.width + (x - e.x0)];
  }

  private touch(key: string): Entry | undefined {
    const e = this.entries.get(key);
    if (e) {
      this.entries.delete(key);
      this.entries.set(key, e);
    }
    return e;
  }

  private request(level: number, tx: number, ty: number): void {
    const key = this.key(level, tx, ty);
    if (this.pending.has(key)) return;
    this.pending.add(key);
    this.queue.push({ key, level, tx, ty });
    this.pump();
  }

  private pump(): void {
    while (this.active < IN_FLIGHT && this.queue.length && !this.closed) {
      // Newest first: the tiles of where the user is now.
      const job = this.queue.pop()!;
      this.active++;
      void this.fetchTile(job.key, job.level, job.tx, job.ty).finally(() => {
        this.active--;
        this.pending.delete(job.key);
        this.pump();
      });
    }
  }

  private async fetchTile(key: string, level: number, tx: number, ty: number): Promise<void> {
    const p = this.plane;
    const q = new URLSearchParams({ file_path: p.filePath, hdu: String(p.hdu), slice_index: String(p.slice), level: String(level), x: String(tx), y: String(ty) });
    try {
      const t0 = performance.now();
      const res = await fetch(`/viewer/tile?${q}`, { signal: this.abort.signal });
      if (!res.ok || this.closed) return;
      const w = Number(res.headers.get('x-tile-width'));
      const h = Number(res.headers.get('x-tile-height'));
      const x0 = Number(res.headers.get('x-tile-x0'));
      const y0 = Number(res.headers.get('x-tile-y0'));
      const f = Number(res.headers.get('x-tile-factor'));
      const values = new Float32Array(await res.arrayBuffer());
      noteTiming('tile-fetch', t0, key);
      if (this.closed) return;
      const t1 = performance.now();
      const texture = this.gl.upload(w, h, values);
      noteTiming('tile-upload', t1, key);
      this.entries.set(key, { key, level, texture, x0, y0, x1: x0 + w * f, y1: y0 + h * f, width: w, bytes: values.byteLength, values: level === 0 ? values : undefined });
      while (this.entries.size > this.maxTiles) {
        const [oldKey, old] = this.entries.entries().next().value as [string, Entry];
        this.entries.delete(oldKey);
        this.gl.release(old.texture);
      }
      if (level === 0) {
        // Newest last: keep the values of the newest KEEP_VALUES level-0 tiles only.
        let kept = 0;
        for (const e of [...this.entries.values()].reverse()) {
          if (e.values && ++kept > KEEP_VALUES) e.values = undefined;
        }
      }
      this.onLoad();
    } catch {
      // A failed tile is asked for again the next time it is needed.
    }
  }

  /** Releases every texture. */
  close(): void {
    this.closed = true;
    this.abort.abort();
    for (const e of this.entries.values()) this.gl.release(e.texture);
    this.entries.clear();
    this.queue.length = 0;
  }
}
