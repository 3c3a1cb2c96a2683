/**
 * `POST /wcs/pixel-to-world` and `POST /wcs/world-to-pixel`: the engine's own WCS (src/wcs, checked
 * against astropy) for a file's first image HDU, so a viewer's cursor read-out is as exact as the
 * engine (SIP, every projection, frames), not a client-side TAN approximation.
 * Pixels are 0-based FITS coordinates (x = column, y = row counted from FITS row 1).
 */
import { Type } from 'typebox';
import type { App } from '../server.js';
import type { EngineContext } from '../context.js';
import { frameOf, Wcs } from '../wcs/index.js';
import { loadImageShape } from '../reproject/load.js';
import { resolveFitsPath, viewerLimits } from './viewer-support.js';
import { ANY_NUMBER, FilePath } from './input-limits.js';

const MAX_POINTS = 10_000;
const Point = Type.Array(Type.Number(ANY_NUMBER), { minItems: 2, maxItems: 2 });
const PixelBody = Type.Object({
  file_path: FilePath({ minLength: 1 }),
  pixels: Type.Array(Point, { minItems: 1, maxItems: MAX_POINTS, description: '[[x, y], ...] 0-based pixel coordinates' }),
});
const WorldBody = Type.Object({
  file_path: FilePath({ minLength: 1 }),
  world: Type.Array(Point, { minItems: 1, maxItems: MAX_POINTS, description: '[[lon, lat], ...] degrees in the image frame' }),
});
const Answer = Type.Object({
  frame: Type.String({ description: 'icrs, fk5, fk4, galactic, ecliptic, ...' }),
  ctype: Type.Array(Type.String()),
  width: Type.Integer(),
  height: Type.Integer(),
  world: Type.Optional(Type.Array(Type.Array(Type.Union([Type.Number(), Type.Null()])))),
  pixels: Type.Optional(Type.Array(Type.Array(Type.Union([Type.Number(), Type.Null()])))),
});

interface CachedWcs {
  readonly wcs: Wcs;
  readonly frame: string;
  readonly ctype: string[];
  readonly width: number;
  readonly height: number;
}

/** A few parsed headers, keyed by file version, so a moving cursor does not re-read the header. */
class WcsCache {
  private readonly entries = new Map<string, Promise<CachedWcs>>();
  constructor(private readonly max = 32) {}

  get(key: string, load: () => Promise<CachedWcs>): Promise<CachedWcs> {
    let hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    hit = load();
    hit.catch(() => this.entries.delete(key));
    this.entries.set(key, hit);
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value as string);
    return hit;
  }
}

const finiteOrNull = (v: number | undefined): number | null => (v !== undefined && Number.isFinite(v) ? v : null);

export async function wcsRoutes(app: App, ctx: EngineContext): Promise<void> {
  const cache = new WcsCache();
  async function wcsOf(filePath: string): Promise<CachedWcs> {
    const file = await resolveFitsPath(ctx, filePath);
    return cache.get(`${file.path}\0${file.version}`, async () => {
      const shape = await loadImageShape(file.path, viewerLimits(ctx));
      const f = frameOf(shape.wcs);
      return { wcs: new Wcs(shape.wcs), frame: f.system, ctype: [...shape.wcs.ctype], width: shape.width, height: shape.height };
    });
  }

  app.post('/wcs/pixel-to-world', {
    schema: { tags: ['wcs'], summary: "Pixel -> world with the file's WCS (SIP included)", body: PixelBody, response: { 200: Answer } },
  }, async (req) => {
    const w = await wcsOf(req.body.file_path);
    const world = req.body.pixels.map(([x, y]) => w.wcs.pixelToWorld([x ?? NaN, y ?? NaN]).map(finiteOrNull));
    return { frame: w.frame, ctype: w.ctype, width: w.width, height: w.height, world };
  });

  app.post('/wcs/world-to-pixel', {
    schema: { tags: ['wcs'], summary: "World -> pixel with the file's WCS (SIP inverse included)", body: WorldBody, response: { 200: Answer } },
  }, async (req) => {
    const w = await wcsOf(req.body.file_path);
    const pixels = req.body.world.map(([lon, lat]) => w.wcs.worldToPixel([lon ?? NaN, lat ?? NaN]).map(finiteOrNull));
    return { frame: w.frame, ctype: w.ctype, width: w.width, height: w.height, pixels };
  });
}
