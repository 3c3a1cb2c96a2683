/**
 * The viewer endpoints of the contract (§1.1): GET /preview/{data_id}, POST /thumbnail,
 * GET /histogram/{data_id}, GET /pixeldata/{data_id}, GET /cubeinfo/{data_id}. Parameters, defaults
 * and 400 messages are the upstream engine's; the defects of §7.1 are fixed (NaN masked, exact
 * output size, grey PNG without alpha unless needed, 256 px thumbnails, p_* percentile keys,
 * one slice read). All decoding runs in the worker pool; answers carry ETags (304 on
 * If-None-Match) and rendered images are kept in a bounded cache.
 */
import { Type } from 'typebox';
import type { App } from '../server.js';
import type { EngineContext } from '../context.js';
import { parseHistogramParams, parsePixelDataParams, parsePreviewParams } from '../imaging/options.js';
import type { HistogramResult, PixelDataResult, PreviewFileResult } from '../imaging/viewer/index.js';
import { previewFileRequest, thumbnailRequest } from '../imaging/viewer/preview-file.js';
import { previewOnPool } from '../workers/preview-render.js';
import { histogramInParts, type HistogramPartAnswer, type HistogramPartRunner } from '../imaging/viewer/histogram-split.js';
import type { CubeInfo } from '../imaging/cube-info.js';
import { parseAvmMetadataJson } from '../wcs/index.js';
import { CONTRACT_COLORMAPS, MATPLOTLIB_VERSION, colormapNames, getColormap } from '../imaging/colormaps/index.js';
import { STRETCH_NAMES } from '../imaging/display.js';
import { IMAGE_FORMATS } from '../imaging/encode.js';
import { NotFoundError } from '../errors.js';
import { requestSignal } from './request-signal.js';
import { ANY_INT, ANY_NUMBER, FilePath, MAX_JSON_TEXT_LENGTH, MAX_NAME_LENGTH, MAX_PATH_LENGTH } from './input-limits.js';
import { ByteLru } from '../core/byte-lru.js';
import { SingleFlight, etagOf, notModified, resolveFitsPath, viewerLimits } from './viewer-support.js';

const DataId = Type.Object({ data_id: Type.String({ maxLength: MAX_PATH_LENGTH }) });

const PreviewQuery = Type.Object({
  file_path: FilePath({ description: 'FITS file, relative to DATA_DIR' }),
  cmap: Type.Optional(Type.String({ default: 'grayscale', maxLength: MAX_NAME_LENGTH })),
  width: Type.Optional(Type.Integer({ default: 1000, ...ANY_INT, description: 'box width (10-8000); the image fits the box, aspect kept' })),
  height: Type.Optional(Type.Integer({ default: 1000, ...ANY_INT })),
  stretch: Type.Optional(Type.String({ default: 'zscale', maxLength: MAX_NAME_LENGTH, description: 'zscale, asinh, log, sqrt, power, histeq, linear' })),
  gamma: Type.Optional(Type.Number({ default: 1.0, ...ANY_NUMBER })),
  black_point: Type.Optional(Type.Number({ default: 0.0, ...ANY_NUMBER, description: 'percentile fraction (0-1) of the stretched pixels mapped to black' })),
  white_point: Type.Optional(Type.Number({ default: 1.0, ...ANY_NUMBER })),
  asinh_a: Type.Optional(Type.Number({ default: 0.1, ...ANY_NUMBER })),
  slice_index: Type.Optional(Type.Integer({ default: -1, ...ANY_INT, description: '-1 = middle slice of a cube' })),
  format: Type.Optional(Type.String({ default: 'png', maxLength: 16, description: 'png, jpeg or webp' })),
  quality: Type.Optional(Type.Integer({ default: 90, ...ANY_INT })),
  nan_color: Type.Optional(Type.String({ maxLength: 64, description: "colour of no-data pixels: 'transparent' (default; black in JPEG), '#rrggbb', '#rrggbbaa' or 'r,g,b[,a]'" })),
  embed_avm: Type.Optional(Type.Boolean({ default: false, description: 'embed AVM 1.2 XMP (PNG iTXt / JPEG APP1), spatial fields from the WCS of the image as written' })),
  avm_metadata: Type.Optional(Type.String({ default: '', maxLength: MAX_JSON_TEXT_LENGTH, description: 'JSON {target_name, instrument, filter, description, facility, spectral_band}' })),
  smooth_method: Type.Optional(Type.String({ default: '', maxLength: MAX_NAME_LENGTH, description: "'' (off), gaussian, median, box (scipy), astropy_gaussian, astropy_box: NaN-aware, on the full-resolution plane" })),
  smooth_sigma: Type.Optional(Type.Number({ default: 1.0, ...ANY_NUMBER, description: 'Gaussian sigma in pixels (0.1-10)' })),
  smooth_size: Type.Optional(Type.Integer({ default: 3, ...ANY_INT, description: 'odd window width for median/box (1-25)' })),
});

const HistogramQuery = Type.Object({
  file_path: FilePath(),
  bins: Type.Optional(Type.Integer({ default: 256, ...ANY_INT })),
  slice_index: Type.Optional(Type.Integer({ default: -1, ...ANY_INT })),
  stretch: Type.Optional(Type.String({ default: 'zscale', maxLength: MAX_NAME_LENGTH })),
  gamma: Type.Optional(Type.Number({ default: 1.0, ...ANY_NUMBER })),
  black_point: Type.Optional(Type.Number({ default: 0.0, ...ANY_NUMBER })),
  white_point: Type.Optional(Type.Number({ default: 1.0, ...ANY_NUMBER })),
  asinh_a: Type.Optional(Type.Number({ default: 0.1, ...ANY_NUMBER })),
  smooth_method: Type.Optional(Type.String({ default: '', maxLength: MAX_NAME_LENGTH, description: "'' (off), gaussian, median, box (scipy), astropy_gaussian, astropy_box: NaN-aware, on the full-resolution plane" })),
  smooth_sigma: Type.Optional(Type.Number({ default: 1.0, ...ANY_NUMBER, description: 'Gaussian sigma in pixels (0.1-10)' })),
  smooth_size: Type.Optional(Type.Integer({ default: 3, ...ANY_INT, description: 'odd window width for median/box (1-25)' })),
});

const PixelDataQuery = Type.Object({
  file_path: FilePath(),
  max_size: Type.Optional(Type.Integer({ default: 1200, ...ANY_INT })),
  slice_index: Type.Optional(Type.Integer({ default: -1, ...ANY_INT })),
});

const FileQuery = Type.Object({ file_path: FilePath() });
const ThumbnailBody = Type.Object({ file_path: FilePath() });

interface CachedImage {
  readonly image: Buffer;
  readonly mediaType: string;
  readonly headers: Record<string, string>;
}

/** Rendered previews and thumbnails kept in memory (bytes). */
export const RENDER_CACHE_BYTES = 64 * 1024 * 1024;

export async function viewerRoutes(app: App, ctx: EngineContext): Promise<void> {
  const cache = new ByteLru<CachedImage>(RENDER_CACHE_BYTES);
  const jsonCache = new ByteLru<{ body: unknown; headers: Record<string, string> }>(16 * 1024 * 1024);
  const renders = new SingleFlight<PreviewFileResult>();

  app.get('/preview/:data_id', {
    schema: { summary: 'Stretched, colour-mapped preview image (PNG, JPEG or WebP) of the first image HDU', params: DataId, querystring: PreviewQuery },
  }, async (request, reply) => {
    const q = request.query;
    const req = parsePreviewParams(q);
    const file = await resolveFitsPath(ctx, q.file_path);
    const avm = q.embed_avm ? parseAvmMetadataJson(q.avm_metadata ?? '') : undefined;
    const normalized = { ...req, colormap: req.colormap.name, avm };
    const etag = etagOf('preview', file, normalized);
    const hit = cache.get(etag);
    if (notModified(request, reply, etag, hit?.headers)) return reply;
    if (hit) return reply.type(hit.mediaType).header('etag', etag).header('cache-control', 'no-cache').headers(hit.headers).send(hit.image);
    const payload = previewFileRequest(file.path, req, viewerLimits(ctx), avm);
    // split over the pool's free threads (preview-split.ts), one task on a busy pool
    const r = await renders.run(etag, (signal) => previewOnPool(ctx.pool, payload, signal), requestSignal(ctx, request, reply));
    const image = Buffer.from(r.image.buffer, r.image.byteOffset, r.image.byteLength);
    const headers = {
      'x-cube-slices': String(r.nSlices),
      'x-cube-current': String(r.currentSlice),
      'x-stretch-applied': r.applied.stretch,
      ...(avm ? { 'x-avm-embedded': String(r.avmEmbedded) } : {}),
    };
    cache.set(etag, { image, mediaType: r.mediaType, headers }, image.byteLength);
    return reply.type(r.mediaType).header('etag', etag).header('cache-control', 'no-cache').headers(headers).send(image);
  });

  app.post('/thumbnail', {
    schema: {
      summary: 'Grey zscale PNG thumbnail, 256 px on its longer side, as base64',
      body: ThumbnailBody,
      response: { 200: Type.Object({ thumbnail_base64: Type.String() }) },
    },
  }, async (request, reply) => {
    const file = await resolveFitsPath(ctx, request.body.file_path);
    const etag = etagOf('thumbnail', file, {});
    const hit = cache.get(etag);
    if (hit) return { thumbnail_base64: hit.image.toString('base64') };
    // split over the pool's free threads (preview-split.ts), one task on a busy pool
    const r = await renders.run(etag, (signal) => previewOnPool(ctx.pool, thumbnailRequest(file.path, viewerLimits(ctx)), signal), requestSignal(ctx, request, reply));
    const image = Buffer.from(r.image.buffer, r.image.byteOffset, r.image.byteLength);
    cache.set(etag, { image, mediaType: r.mediaType, headers: {} }, image.byteLength);
    return { thumbnail_base64: image.toString('base64') };
  });

  app.get('/histogram/:data_id', {
    schema: { summary: 'Histograms, percentiles and stats of the stretched finite pixels', params: DataId, querystring: HistogramQuery },
  }, async (request, reply) => {
    const q = request.query;
    const req = parseHistogramParams(q);
    const file = await resolveFitsPath(ctx, q.file_path);
    const etag = etagOf('histogram', file, req);
    if (notModified(request, reply, etag)) return reply;
    let body = jsonCache.get(etag)?.body as Omit<HistogramResult, never> | undefined;
    if (!body) {
      // split over the pool's free threads (histogram-split.ts): both cores on one request when
      // they are idle; on a busy pool one task, as a split only adds passes there (as composites do)
      const signal = requestSignal(ctx, request, reply);
      const run: HistogramPartRunner = (payload) => ctx.pool.run<HistogramPartAnswer>('viewer.histogram-part', payload, { signal });
      body = await histogramInParts(run, { path: file.path, sliceIndex: req.sliceIndex, bins: req.bins, display: req.display, limits: viewerLimits(ctx), smooth: req.smooth }, Math.max(1, ctx.pool.idleThreads));
      jsonCache.set(etag, { body, headers: {} }, 64 * req.bins + 2048);
    }
    return reply.header('etag', etag).header('cache-control', 'no-cache').send({ data_id: request.params.data_id, ...body });
  });

  app.get('/pixeldata/:data_id', {
    schema: {
      summary: 'Area-averaged float32 pixels (base64, or raw with Accept: application/octet-stream), WCS block and units',
      params: DataId,
      querystring: PixelDataQuery,
    },
  }, async (request, reply) => {
    const q = request.query;
    const req = parsePixelDataParams(q);
    const file = await resolveFitsPath(ctx, q.file_path);
    const raw = /application\/octet-stream/i.test(request.headers.accept ?? '');
    const etag = etagOf('pixeldata', file, { ...req, raw });
    if (notModified(request, reply, etag)) return reply;
    const r = await ctx.pool.run<PixelDataResult>('viewer.pixeldata', {
      path: file.path,
      sliceIndex: req.sliceIndex,
      maxSize: req.maxSize,
      limits: viewerLimits(ctx),
      encoding: raw ? 'raw' : 'base64',
    }, { signal: requestSignal(ctx, request, reply) });
    reply.header('etag', etag).header('cache-control', 'no-cache');
    if (raw) {
      const bytes = r.raw!;
      return reply
        .type('application/octet-stream')
        .headers({
          'x-image-width': String(r.preview_shape[1]),
          'x-image-height': String(r.preview_shape[0]),
          'x-original-width': String(r.original_shape[1]),
          'x-original-height': String(r.original_shape[0]),
          'x-scale-factor': String(r.scale_factor),
          'x-pixel-format': 'float32-le; row 0 = FITS row 1',
          'x-cube-slices': String(r.n_slices),
          'x-cube-current': String(r.current_slice),
          'x-units': r.units.replace(/[^\x20-\x7e]/g, '?'),
        })
        .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    }
    return reply.send({
      data_id: request.params.data_id,
      original_shape: r.original_shape,
      preview_shape: r.preview_shape,
      scale_factor: r.scale_factor,
      wcs: r.wcs,
      units: r.units,
      pixels: r.pixels,
    });
  });

  app.get('/colormaps', {
    schema: {
      summary: 'Colormap names the viewer accepts, with their 256 colours (matplotlib tables) for colour bars',
      querystring: Type.Object({ colors: Type.Optional(Type.Boolean({ default: false, description: 'include the 256 #rrggbb entries of each' })) }),
    },
  }, async (request) => {
    const names = colormapNames().sort();
    const withColors = request.query.colors === true;
    return {
      default: 'grayscale',
      contract: [...CONTRACT_COLORMAPS],
      stretches: [...STRETCH_NAMES],
      formats: [...IMAGE_FORMATS],
      matplotlib_version: MATPLOTLIB_VERSION,
      colormaps: names.map((name) => ({ name, ...(withColors ? { colors: colormapHex(name) } : {}) })),
    };
  });

  app.get('/colormaps/:name', {
    schema: { summary: 'The 256 colours of one colormap, as #rrggbb (entry i is used for display values in [i/256, (i+1)/256))', params: Type.Object({ name: Type.String({ maxLength: MAX_NAME_LENGTH }) }) },
  }, async (request) => {
    const colors = colormapHex(request.params.name);
    if (!colors) throw new NotFoundError(`Unknown colormap '${request.params.name}'`);
    return { name: request.params.name, colors };
  });

  app.get('/cubeinfo/:data_id', {
    schema: { summary: 'Slice count and axis-3 WCS of the first HDU with three or more axes', params: DataId, querystring: FileQuery },
  }, async (request, reply) => {
    const file = await resolveFitsPath(ctx, request.query.file_path);
    const etag = etagOf('cubeinfo', file, {});
    if (notModified(request, reply, etag)) return reply;
    const info = await ctx.pool.run<CubeInfo>('viewer.cubeinfo', { path: file.path, limits: viewerLimits(ctx) }, { signal: requestSignal(ctx, request, reply) });
    return reply.header('etag', etag).header('cache-control', 'no-cache').send({ data_id: request.params.data_id, ...info });
  });
}

function colormapHex(name: string): string[] | undefined {
  const cmap = getColormap(name);
  if (!cmap) return undefined;
  const out: string[] = [];
  for (let i = 0; i < 256; i++) {
    out.push(`#${[cmap.lut[3 * i]!, cmap.lut[3 * i + 1]!, cmap.lut[3 * i + 2]!].map((c) => c.toString(16).padStart(2, '0')).join('')}`);
  }
  return out;
}
