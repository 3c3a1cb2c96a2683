/**
 * The tiled viewer's endpoints (new; CARTA-style): float32 tiles of any image plane at
 * power-of-two levels, the true values of native pixels with RA/Dec, plane statistics in data
 * units, a cube pixel's spectrum, the image layout (HDUs, levels, compass, scale) and sky grid
 * lines from the engine's WCS. Everything that opens a file runs in the worker pool; answers carry
 * ETags (304 on If-None-Match) and tiles are kept in a bounded cache.
 */
import { Type } from 'typebox';
import type { App } from '../server.js';
import type { EngineContext } from '../context.js';
import { BadRequestError } from '../errors.js';
import { TILE_SIZE, checkRegionFile, readRegionFile, tileSetKey, type ImageInfo, type PixelSpectrum, type PixelValuesResult, type PlaneStats, type SkyGridResult, type TileResult } from '../imaging/viewer/index.js';
import { requestSignal } from './request-signal.js';
import { ByteLru } from '../core/byte-lru.js';
import { SingleFlight, etagOf, notModified, resolveFitsPath, viewerLimits } from './viewer-support.js';

export const MAX_VALUE_POINTS = 100;
const MAX_COORD = 10_000_000;

const FilePath = Type.String({ minLength: 1, maxLength: 1024, description: 'FITS file, relative to DATA_DIR' });
const Hdu = Type.Optional(Type.String({ maxLength: 64, description: '0-based HDU index or EXTNAME (SCI, ERR, DQ, WHT, ...); default the first image HDU' }));
const Slice = Type.Optional(Type.Integer({ minimum: -1, maximum: MAX_COORD, default: -1, description: 'cube slice (last FITS axis); -1 = the middle' }));
const Coord = (description: string) => Type.Integer({ minimum: 0, maximum: MAX_COORD, description });
const Real = (description: string) => Type.Optional(Type.Number({ minimum: -1e300, maximum: 1e300, description }));

const hduRef = (h: string | undefined) => (h === undefined || h.trim() === '' ? undefined : h.trim());

/** "x,y;x,y;..." -> pairs (0-based pixels). */
export function parsePoints(text: string): Array<[number, number]> {
  const pairs = text.split(';').map((p) => p.trim()).filter(Boolean);
  if (pairs.length === 0) throw new BadRequestError('Points must hold at least one "x,y" pair');
  if (pairs.length > MAX_VALUE_POINTS) throw new BadRequestError(`At most ${MAX_VALUE_POINTS} points per request`);
  return pairs.map((p) => {
    const parts = p.split(',').map((v) => Number(v.trim()));
    if (parts.length !== 2 || !parts.every((v) => Number.isFinite(v) && Math.abs(v) <= MAX_COORD)) {
      throw new BadRequestError(`Point '${p.slice(0, 40)}' is not "x,y" with two numbers`);
    }
    return [parts[0]!, parts[1]!];
  });
}

export const TILE_CACHE_BYTES = 96 * 1024 * 1024;

export async function viewerTileRoutes(app: App, ctx: EngineContext): Promise<void> {
  const tiles = new ByteLru<TileResult>(TILE_CACHE_BYTES, 4 * 1024 * 1024);
  // One pass over a plane gives a set of tiles (the coarse pyramid, or a row of tiles: see
  // tileSetKey); concurrent requests for tiles of one set wait for the same pass.
  const flights = new SingleFlight<TileResult[]>();
  // Plane statistics (a pass over the plane, a few KB of JSON): kept per ETag, and concurrent
  // requests for the same plane wait for one pass (the page asks again on Back, reload, a preset).
  const statsCache = new ByteLru<PlaneStats>(4 * 1024 * 1024, 256 * 1024);
  const statsFlights = new SingleFlight<PlaneStats>();
  // Image sizes per file version and HDU reference, learnt from /viewer/image and tile answers,
  // so that a tile request knows its set before the file is opened. Bounded.
  const shapes = new Map<string, { width: number; height: number }>();
  const shapeKey = (file: { path: string; version: string }, hdu: string | undefined) => `${file.path}\0${file.version}\0${hdu ?? ''}`;
  const learnShape = (key: string, width: number, height: number) => {
    shapes.delete(key);
    shapes.set(key, { width, height });
    if (shapes.size > 1000) shapes.delete(shapes.keys().next().value as string);
  };

  app.get('/viewer/image', {
    schema: {
      summary: "Layout of an image HDU for the tiled viewer: the file's image HDUs, size, slices, units, tile levels, sky orientation (compass, pixel scale) and spectral axis",
      querystring: Type.Object({ file_path: FilePath, hdu: Hdu, slice_index: Slice }),
    },
  }, async (request, reply) => {
    const q = request.query;
    const file = await resolveFitsPath(ctx, q.file_path);
    const params = { hdu: hduRef(q.hdu), sliceIndex: q.slice_index ?? -1 };
    const etag = etagOf('viewer-image', file, params);
    if (notModified(request, reply, etag)) return reply;
    const info = await ctx.pool.run<ImageInfo>('viewer.image-info', { path: file.path, ...params, limits: viewerLimits(ctx) }, { signal: requestSignal(ctx, request, reply) });
    learnShape(shapeKey(file, params.hdu), info.hdu.width, info.hdu.height);
    learnShape(shapeKey(file, String(info.hdu.index)), info.hdu.width, info.hdu.height);
    return reply.header('etag', etag).header('cache-control', 'no-cache').send({ file_path: q.file_path, ...info });
  });

  app.get('/viewer/tile', {
    schema: {
      summary: 'A float32 tile (little-endian, row 0 = its lowest FITS row) of an image plane at a power-of-two level: level L pixels are NaN-aware means of 2^L x 2^L native pixels; level 0 is the data',
      querystring: Type.Object({
        file_path: FilePath,
        hdu: Hdu,
        slice_index: Slice,
        level: Type.Integer({ minimum: 0, maximum: 30, description: '0 = native pixels; each level halves the resolution' }),
        x: Coord('tile column (0 = left)'),
        y: Coord('tile row (0 = bottom, FITS row 1)'),
      }),
    },
  }, async (request, reply) => {
    const q = request.query;
    const file = await resolveFitsPath(ctx, q.file_path);
    const params = { hdu: hduRef(q.hdu), sliceIndex: q.slice_index ?? -1, level: q.level, tx: q.x, ty: q.y };
    const etag = etagOf('viewer-tile', file, params);
    let tile = tiles.get(etag);
    const headers = (t: TileResult) => ({
      'x-tile-width': String(t.width),
      'x-tile-height': String(t.height),
      'x-tile-x0': String(t.x0),
      'x-tile-y0': String(t.y0),
      'x-tile-factor': String(t.factor),
      'x-tile-levels': String(t.levels),
      'x-image-width': String(t.imageWidth),
      'x-image-height': String(t.imageHeight),
      'x-cube-slices': String(t.nSlices),
      'x-cube-current': String(t.currentSlice),
      'x-pixel-format': 'float32-le',
      'x-exact-values': String(t.exact && t.level === 0),
      'x-units': t.bunit.replace(/[^\x20-\x7e]/g, '?'),
    });
    if (notModified(request, reply, etag, tile ? headers(tile) : {})) return reply;
    if (!tile) {
      const shape = shapes.get(shapeKey(file, params.hdu));
      const set = shape ? tileSetKey(shape.width, shape.height, q.level, q.x, q.y) : `${q.level}/${q.x}/${q.y}`;
      const flight = `${file.path}\0${file.version}\0${params.hdu ?? ''}\0${params.sliceIndex}\0${set}`;
      const done = await flights.run(flight, (signal) => ctx.pool.run<TileResult[]>('viewer.tile-set', { path: file.path, ...params, limits: viewerLimits(ctx) }, { signal }), requestSignal(ctx, request, reply));
      // The pass's other tiles are kept under the ETags their own requests will have.
      for (const t of done) {
        const span = TILE_SIZE * t.factor;
        const key = etagOf('viewer-tile', file, { ...params, level: t.level, tx: Math.round(t.x0 / span), ty: Math.round(t.y0 / span) });
        if (!tiles.get(key)) tiles.set(key, t, t.data.byteLength + 512);
      }
      learnShape(shapeKey(file, params.hdu), done[0]!.imageWidth, done[0]!.imageHeight);
      tile = done.find((t) => t.level === q.level && Math.round(t.x0 / (TILE_SIZE * t.factor)) === q.x && Math.round(t.y0 / (TILE_SIZE * t.factor)) === q.y) ?? done[0]!;
    }
    return reply
      .type('application/octet-stream')
      .header('etag', etag)
      .header('cache-control', 'no-cache')
      .headers(headers(tile))
      .send(Buffer.from(tile.data.buffer, tile.data.byteOffset, tile.data.byteLength));
  });

  app.get('/viewer/region-file', {
    schema: {
      summary: 'A DS9 region file (.reg or .txt, at most 1 MiB) on the engine as text, for region overlays named by path',
      querystring: Type.Object({ file_path: Type.String({ minLength: 1, maxLength: 1024, description: 'region file, relative to DATA_DIR' }) }),
    },
  }, async (request, reply) => {
    const { path, size, version } = await ctx.sandbox.resolveInput(request.query.file_path);
    checkRegionFile(request.query.file_path, size);
    const etag = etagOf('viewer-region-file', { path, version }, {});
    if (notModified(request, reply, etag)) return reply;
    const text = await readRegionFile(path);
    return reply.type('text/plain; charset=utf-8').header('etag', etag).header('cache-control', 'no-cache').send(text);
  });

  app.get('/viewer/values', {
    schema: {
      summary: 'True values of native pixels (the cursor read-out) with BUNIT and RA/Dec from the HDU WCS',
      querystring: Type.Object({
        file_path: FilePath,
        hdu: Hdu,
        slice_index: Slice,
        points: Type.String({ minLength: 3, maxLength: 4000, description: `"x,y;x,y;...": 0-based pixels, at most ${MAX_VALUE_POINTS}` }),
      }),
    },
  }, async (request, reply) => {
    const q = request.query;
    const points = parsePoints(q.points);
    const file = await resolveFitsPath(ctx, q.file_path);
    const params = { hdu: hduRef(q.hdu), sliceIndex: q.slice_index ?? -1, points };
    const etag = etagOf('viewer-values', file, params);
    if (notModified(request, reply, etag)) return reply;
    const r = await ctx.pool.run<PixelValuesResult>('viewer.pixel-values', { path: file.path, ...params, limits: viewerLimits(ctx) }, { signal: requestSignal(ctx, request, reply) });
    return reply.header('etag', etag).header('cache-control', 'no-cache').send(r);
  });

  app.get('/viewer/spectrum', {
    schema: {
      summary: "A cube pixel's value in every slice (its spectrum); the slice world values are in /viewer/image",
      querystring: Type.Object({ file_path: FilePath, hdu: Hdu, x: Coord('0-based column'), y: Coord('0-based row') }),
    },
  }, async (request, reply) => {
    const q = request.query;
    const file = await resolveFitsPath(ctx, q.file_path);
    const params = { hdu: hduRef(q.hdu), x: q.x, y: q.y };
    const etag = etagOf('viewer-spectrum', file, params);
    if (notModified(request, reply, etag)) return reply;
    const r = await ctx.pool.run<PixelSpectrum>('viewer.pixel-spectrum', { path: file.path, ...params, limits: viewerLimits(ctx) }, { signal: requestSignal(ctx, request, reply) });
    return reply.header('etag', etag).header('cache-control', 'no-cache').send(r);
  });

  app.get('/viewer/stats', {
    schema: {
      summary: 'Statistics of an image plane in data units: min, max, mean, std, percentiles, zscale limits and a histogram (for colour limits and the histogram panel)',
      querystring: Type.Object({
        file_path: FilePath,
        hdu: Hdu,
        slice_index: Slice,
        bins: Type.Optional(Type.Integer({ minimum: 10, maximum: 4096, default: 256 })),
        lo: Real('histogram range start (data units)'),
        hi: Real('histogram range end (data units)'),
      }),
    },
  }, async (request, reply) => {
    const q = request.query;
    if (q.lo !== undefined && q.hi !== undefined && !(q.hi > q.lo)) throw new BadRequestError('hi must be greater than lo');
    const file = await resolveFitsPath(ctx, q.file_path);
    const params = { hdu: hduRef(q.hdu), sliceIndex: q.slice_index ?? -1, bins: q.bins ?? 256, lo: q.lo, hi: q.hi };
    const etag = etagOf('viewer-stats', file, params);
    if (notModified(request, reply, etag)) return reply;
    let r = statsCache.get(etag);
    if (!r) {
      r = await statsFlights.run(etag, (signal) => ctx.pool.run<PlaneStats>('viewer.plane-stats', { path: file.path, ...params, limits: viewerLimits(ctx) }, { signal }), requestSignal(ctx, request, reply));
      statsCache.set(etag, r, 1024 + 16 * (r.histogram?.counts.length ?? 0));
    }
    return reply.header('etag', etag).header('cache-control', 'no-cache').send(r);
  });

  app.get('/viewer/grid', {
    schema: {
      summary: "RA/Dec (or l/b) grid lines over a region of the image, traced through the HDU's own WCS (rotation and SIP/TPV distortion included); pixel polylines with sexagesimal labels",
      querystring: Type.Object({
        file_path: FilePath,
        hdu: Hdu,
        x0: Real('region left (0-based pixel); default the whole image'),
        y0: Real('region bottom'),
        x1: Real('region right'),
        y1: Real('region top'),
        lines: Type.Optional(Type.Integer({ minimum: 1, maximum: 20, default: 5, description: 'about how many lines of each kind' })),
      }),
    },
  }, async (request, reply) => {
    const q = request.query;
    const given = [q.x0, q.y0, q.x1, q.y1].filter((v) => v !== undefined).length;
    if (given !== 0 && given !== 4) throw new BadRequestError('Give all of x0, y0, x1, y1 or none');
    if (given === 4 && !(q.x1! > q.x0! && q.y1! > q.y0!)) throw new BadRequestError('The region must have x1 > x0 and y1 > y0');
    const file = await resolveFitsPath(ctx, q.file_path);
    const params = { hdu: hduRef(q.hdu), rect: given === 4 ? { x0: q.x0!, y0: q.y0!, x1: q.x1!, y1: q.y1! } : undefined, lines: q.lines ?? 5 };
    const etag = etagOf('viewer-grid', file, params);
    if (notModified(request, reply, etag)) return reply;
    const r = await ctx.pool.run<SkyGridResult>('viewer.sky-grid', { path: file.path, ...params, limits: viewerLimits(ctx) }, { signal: requestSignal(ctx, request, reply) });
    return reply.header('etag', etag).header('cache-control', 'no-cache').send(r);
  });
}
