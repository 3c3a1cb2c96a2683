/**
 * The N-channel colour composite (upstream-latest §1.3, without the defects of §10): channels of
 * any colour plus an optional luminance channel are reprojected onto one grid sized from the
 * requested canvas, background-neutralised, tone-mapped one by one, combined (weights normalised
 * so that all channels at full scale give white), feathered across instrument seams, given the
 * overall adjustment, sharpening and saturation, then cropped to the lit area, rotated and placed
 * on the exact output canvas. No-coverage pixels are black and never count in any statistic.
 */
import { encodeRaster, MEDIA_TYPES } from '../imaging/index.js';
import type { ViewerLimits } from '../imaging/viewer/source.js';
import { gaussianFilter } from '../analysis/filters/ndimage.js';
import { EngineError, ValidationError } from '../errors.js';
import { throwIfCancelled } from '../core/cancellation.js';
import { withCelestialImages, type ImageShape, type OpenedCelestialImage } from '../reproject/load.js';
import type { OutputGrid } from '../reproject/grid.js';
import { applyOverall, type OverallAdjustment } from '../reproject/tone.js';
import { avmSpatial, embedAvm, type AvmMetadata, type WcsDefinition } from '../wcs/index.js';
import { autoStretchParams } from './auto-stretch.js';
import { compose, contentBox, flipRowsInPlace, IDENTITY, placeOnCanvas, rotateImage, toBytes, type Affine, type RgbImage } from './canvas.js';
import { channelOnGrid, readChannelFiles, skyLevel } from './channel-data.js';
import { adjustSaturation, hslToRgb, isNeutralSaturation, rgbToHsl, srgbEncode, type SaturationAdjustment } from './color.js';
import { autoFeatherStrength, featherMask, instrumentScale } from './feather.js';
import { planGridOrThrow, type GridPlan } from './grid-plan.js';
import { qualityMetrics, type QualityMetrics } from './quality.js';
import { CoveredOrder, toneChannel, type ChannelTone } from './tone.js';
import { blurCovered, resolutionSigmas } from './resolution.js';
import { maskPanels } from './debug-masks.js';
import { gridKey, sharedCopy, type CachedChannel, type ChannelCacheView } from './reproject-cache.js';
import { finestScale } from '../reproject/load.js';

export interface NChannelChannel {
  readonly label: string;
  readonly paths: readonly string[];
  readonly tone: ChannelTone;
  /** Colour channel: multiplier; luminance: blend strength. 0..2. */
  readonly weight: number;
  /** RGB weights 0..1, or 'luminance'. */
  readonly color: readonly [number, number, number] | 'luminance';
  readonly wavelengthUm?: number;
  /** Tone parameters chosen from the data (auto-stretch.ts) instead of `tone`. */
  readonly autoStretch?: boolean;
}

export interface Sharpening {
  readonly radius: number;
  readonly amount: number;
  readonly threshold: number;
}

export interface NChannelSpec {
  readonly channels: readonly NChannelChannel[];
  readonly overall?: OverallAdjustment;
  readonly backgroundNeutralization: boolean;
  /** null: automatic (only with more than one instrument); 0: off. */
  readonly featherStrength: number | null;
  readonly sharpening?: Sharpening;
  readonly saturation?: SaturationAdjustment;
  readonly rotationDegrees: number;
  readonly cropCenterX: number;
  readonly cropCenterY: number;
  readonly cropZoom: number;
  readonly width: number;
  readonly height: number;
  readonly format: 'png' | 'jpeg';
  readonly quality: number;
  readonly embedAvm: boolean;
  readonly avm?: AvmMetadata;
  readonly limits: ViewerLimits;
  readonly memoryLimitBytes: number;
  readonly failThreshold: number;
  readonly allowForceDownscale: boolean;
  /** Answer the coverage panels of the colour channels instead of the picture (upstream `debug_masks`). */
  readonly debugMasks?: boolean;
  /** The reprojection cache's entries for these channels (reproject-cache.ts); absent: no cache. */
  readonly cache?: ChannelCacheView;
}

export type PipelineStage = 'reproject' | 'background_neutralize' | 'stretch' | 'combine' | 'encode';

export interface ProgressEvent {
  readonly stage: PipelineStage;
  readonly message: string;
  readonly filter?: string;
  /** 1-based. */
  readonly index?: number;
  readonly total?: number;
}

export interface PipelineHooks {
  readonly onProgress?: (event: ProgressEvent) => void;
  /** Rejects when the client has gone (awaited between steps, so pending messages are seen). */
  readonly checkCancelled?: () => Promise<void>;
}

export interface NChannelOutput {
  readonly image: Uint8Array;
  readonly mediaType: string;
  readonly width: number;
  readonly height: number;
  readonly quality: QualityMetrics;
  /** The picture's size before it is placed on the canvas (after rotation): what crop zoom 1 fits. */
  readonly pictureWidth: number;
  readonly pictureHeight: number;
  readonly plan: Omit<GridPlan, 'grid'>;
  readonly autoFeather: boolean;
  readonly featherStrength: number;
  /** Channels reprojected by this render, for the cache (`channel` = index in the request). */
  readonly cacheEntries?: ReadonlyArray<CachedChannel & { readonly channel: number }>;
  /** How many channels came from the cache. */
  readonly cacheHits: number;
  /** Resolution blur sigma per channel, grid pixels (0 = none). */
  readonly blurSigmas: readonly number[];
  /** With `debugMasks`: the colour channels shown, and a warning when instrument blending would apply. */
  readonly debug?: { readonly channels: readonly string[]; readonly warning: string | null };
}

/** Checks that need no file: one luminance at most, a colour channel, unique labels. */
export function validateChannels(channels: readonly NChannelChannel[]): void {
  if (channels.filter((c) => c.color === 'luminance').length > 1) throw new ValidationError('At most one luminance channel is allowed per composite');
  if (!channels.some((c) => c.color !== 'luminance')) throw new ValidationError('At least one color channel (hue or rgb) is required');
  const seen = new Set<string>();
  for (const c of channels) {
    if (seen.has(c.label)) throw new ValidationError(`Duplicate channel label '${c.label}'`);
    seen.add(c.label);
  }
}

/** INSTRUME of the first file of a channel (primary header first), upper case, or undefined. */
export function instrumentOf(shape: Pick<ImageShape, 'header' | 'primaryHeader'>): string | undefined {
  const v = shape.primaryHeader?.getString('INSTRUME') ?? shape.header.getString('INSTRUME');
  return v ? v.trim().toUpperCase() : undefined;
}

export interface ChannelsOnGridOptions {
  /** Cached channels to use, and where to hand the freshly reprojected ones. */
  readonly cache?: ChannelCacheView;
  readonly onReprojected?: (entry: CachedChannel & { channel: number }) => void;
  /** Resolution blur per channel (grid pixels, 0 = none), applied before neutralisation. */
  readonly blurSigmas?: readonly number[];
  /** Only this channel (its index in `spec.channels`): the answer holds its data alone. */
  readonly only?: number;
}

/**
 * Channels reprojected onto the grid (linear, NaN = no coverage), blurred and neutralised when
 * asked. A channel in the cache (same files, matching and grid) is copied from it, not reprojected.
 */
export async function channelsOnGrid(
  spec: { readonly channels: ReadonlyArray<Pick<NChannelChannel, 'label' | 'paths'>>; readonly backgroundNeutralization: boolean },
  grid: OutputGrid,
  inputs: ReadonlyMap<string, OpenedCelestialImage>,
  hooks: PipelineHooks = {},
  options: ChannelsOnGridOptions = {},
): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  const total = spec.channels.length;
  const gk = options.cache ? gridKey(grid) : '';
  const cached = new Map((options.cache?.entries ?? []).map((e) => [e.key, e.data]));
  const indices = options.only === undefined ? spec.channels.map((_, i) => i) : [options.only];
  for (const i of indices) {
    const c = spec.channels[i]!;
    await hooks.checkCancelled?.();
    const key = options.cache ? `${options.cache.channelKeys[i]}\n${gk}` : '';
    const hit = options.cache ? cached.get(key) : undefined;
    if (hit) {
      out.push(Float32Array.from(hit)); // blur and neutralisation change it
      continue;
    }
    hooks.onProgress?.({ stage: 'reproject', message: `Reprojecting ${c.label}`, filter: c.label, index: i + 1, total });
    const images = await readChannelFiles(c.paths.map((p) => inputs.get(p)!), grid);
    const data = await channelOnGrid(images, grid, spec.backgroundNeutralization);
    if (options.cache && options.onReprojected) options.onReprojected({ channel: i, key, data: sharedCopy(data) });
    out.push(data);
  }
  for (const [k, i] of indices.entries()) {
    const sigma = options.blurSigmas?.[i] ?? 0;
    if (sigma > 0) blurCovered(out[k]!, grid.width, grid.height, sigma);
  }
  if (spec.backgroundNeutralization) {
    await hooks.checkCancelled?.();
    hooks.onProgress?.({ stage: 'background_neutralize', message: 'Neutralising sky backgrounds' });
    for (const data of out) neutralize(data);
  }
  return out;
}

/** Subtracts the sigma-clipped median sky and clips at 0 (covered pixels stay data). */
export function neutralize(data: Float32Array): void {
  const sky = skyLevel(data).median;
  if (!Number.isFinite(sky)) return;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v === v) data[i] = v > sky ? v - sky : 0;
  }
}

interface Group {
  readonly sum: Float32Array;
  readonly weights: [number, number, number];
  readonly covered: Uint8Array;
}

/**
 * The combination's sums, filled channel by channel in request order (`foldChannel`) as soon as
 * each channel is tone-mapped, so no render holds every channel's plane at once. `shared`: on
 * SharedArrayBuffers, for channel tasks on several threads folding into one (in turn:
 * `foldChannelInTurn`).
 */
export interface ChannelSums {
  /** One group per seam-feathering instrument (a single one without feathering), in order of first channel. */
  readonly groups: Group[];
  /** Group index of each channel (-1: the luminance channel). */
  readonly groupOf: readonly number[];
  /** Pixels any channel covers. */
  readonly covered: Uint8Array;
  /** The luminance channel's values once folded (preallocated when shared). */
  lum: Float32Array | undefined;
  /** [0]: how many channels are folded (they fold in request order). */
  readonly folded: Int32Array;
}

export function newChannelSums(spec: NChannelSpec, setup: NChannelSetup, shared: boolean): ChannelSums {
  const { grid } = setup.plan;
  const n = grid.width * grid.height;
  const buffer = (bytes: number) => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  const { multi, featherStrength } = featheringOf(spec, setup.instruments);
  const keys: string[] = [];
  const groups: Group[] = [];
  const groupOf = spec.channels.map((c, ci) => {
    if (c.color === 'luminance') return -1;
    const key = multi && featherStrength > 0 ? setup.instruments[ci] ?? '' : '';
    let g = keys.indexOf(key);
    if (g < 0) {
      g = keys.push(key) - 1;
      groups.push({ sum: new Float32Array(buffer(n * 3 * 4)), weights: [0, 0, 0], covered: new Uint8Array(buffer(n)) });
    }
    for (let k = 0; k < 3; k++) groups[g]!.weights[k]! += c.color[k]!;
    return g;
  });
  const lum = shared && groupOf.includes(-1) ? new Float32Array(buffer(n * 4)) : undefined;
  return { groups, groupOf, covered: new Uint8Array(buffer(n)), lum, folded: new Int32Array(buffer(4)) };
}

/** Adds channel `ci`'s tone-mapped values (NaN = no coverage) to the sums; the next channel to fold must be `ci`. */
export function foldChannel(sums: ChannelSums, spec: NChannelSpec, ci: number, values: Float32Array): void {
  const c = spec.channels[ci]!;
  const { covered } = sums;
  for (let i = 0; i < values.length; i++) if (values[i] === values[i]) covered[i] = 1;
  const g = sums.groupOf[ci]!;
  if (c.color === 'luminance' || g < 0) {
    if (sums.lum) sums.lum.set(values);
    else sums.lum = values;
  } else {
    accumulate(sums.groups[g]!, values, c.color, c.weight);
  }
  Atomics.store(sums.folded, 0, ci + 1);
}

/**
 * foldChannel once the channels before `ci` are folded (by tasks on other threads): waits,
 * blocking this worker thread, and stops if the render is stopped meanwhile.
 */
export function foldChannelInTurn(sums: ChannelSums, spec: NChannelSpec, ci: number, values: Float32Array): void {
  for (let k = Atomics.load(sums.folded, 0); k !== ci; k = Atomics.load(sums.folded, 0)) {
    throwIfCancelled();
    Atomics.wait(sums.folded, 0, k, 50);
  }
  foldChannel(sums, spec, ci, values);
  Atomics.notify(sums.folded, 0);
}

/** Linear RGB of a set of groups, each plane divided by its weight sum (at least 1). */
function combineGroups(groups: readonly Group[], n: number, inPlace = false): Float32Array {
  const w = [0, 0, 0];
  for (const g of groups) for (let k = 0; k < 3; k++) w[k]! += g.weights[k]!;
  const norm = Math.max(1, ...w);
  // One group that is not needed again (no feathering): its sum becomes the picture.
  if (inPlace && groups.length === 1) {
    const rgb = groups[0]!.sum;
    if (norm !== 1) for (let i = 0; i < rgb.length; i++) rgb[i]! /= norm;
    return rgb;
  }
  const rgb = new Float32Array(n * 3);
  for (const g of groups) for (let i = 0; i < rgb.length; i++) rgb[i]! += g.sum[i]!;
  for (let i = 0; i < rgb.length; i++) rgb[i]! /= norm;
  return rgb;
}

/** LRGB: HSL lightness of the colour moved towards the luminance by `weight` (linear values). */
function blendLuminance(rgb: Float32Array, lum: Float32Array, weight: number): void {
  const hsl = new Float64Array(3);
  const c = new Float64Array(3);
  for (let i = 0; i < lum.length; i++) {
    const l = lum[i]!;
    if (l !== l) continue;
    rgbToHsl(rgb[3 * i]!, rgb[3 * i + 1]!, rgb[3 * i + 2]!, hsl);
    const L = Math.min(1, Math.max(0, hsl[2]! * (1 - weight) + l * weight));
    hslToRgb(hsl[0]!, hsl[1]!, L, c);
    rgb[3 * i] = c[0]!;
    rgb[3 * i + 1] = c[1]!;
    rgb[3 * i + 2] = c[2]!;
  }
}

/** Unsharp mask on the luminance of the (encoded) picture, only where there is coverage. */
function sharpen(rgb: Float32Array, covered: Uint8Array, width: number, height: number, s: Sharpening): void {
  const n = width * height;
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = 0.2126 * rgb[3 * i]! + 0.7152 * rgb[3 * i + 1]! + 0.0722 * rgb[3 * i + 2]!;
  const blurred = gaussianFilter({ width, height, data: y }, { sigma: s.radius, mode: 'nearest' });
  for (let i = 0; i < n; i++) {
    if (!covered[i]) continue;
    const d = y[i]! - blurred[i]!;
    if (Math.abs(d) < s.threshold) continue;
    for (let k = 0; k < 3; k++) rgb[3 * i + k] = Math.min(1, Math.max(0, rgb[3 * i + k]! + s.amount * d));
  }
}

/** The grid WCS seen through an affine map from canvas pixels (FITS orientation, 0-based) to grid pixels. */
export function canvasWcs(def: WcsDefinition, m: Affine): WcsDefinition {
  // intermediate = L (p_grid - crpix) with p_grid = A q + t (1-based both) -> L A (q - crpix')
  const L = def.pc.map((row, i) => row.map((v, j) => (i < 2 && j < 2 ? v * def.cdelt[j]! : v)));
  const [[l00, l01], [l10, l11]] = L as [[number, number], [number, number]];
  const la = [[l00 * m.a + l01 * m.d, l00 * m.b + l01 * m.e], [l10 * m.a + l11 * m.d, l10 * m.b + l11 * m.e]];
  // t for 1-based pixels: p1 = A (q1 - 1) + t0 + 1
  const rx = def.crpix[0]! - 1 - m.c;
  const ry = def.crpix[1]! - 1 - m.f;
  const det = m.a * m.e - m.b * m.d;
  const qx = (m.e * rx - m.b * ry) / det + 1;
  const qy = (-m.d * rx + m.a * ry) / det + 1;
  return { ...def, crpix: [qx, qy, ...def.crpix.slice(2)], cdelt: [1, 1, ...def.cdelt.slice(2)], pc: [la[0]!, la[1]!], fromCd: true, naxis: 2, sip: undefined, lookupTables: undefined, lookupRequests: undefined };
}

/** Canvas (display rows, top first) -> grid (FITS rows) as an affine map in FITS orientation. */
function fitsMap(displayMap: Affine, canvasHeight: number, gridHeight: number): Affine {
  // q = (u, v) FITS canvas -> display (u, H-1-v) -> display grid -> FITS grid (x, Hg-1-y)
  const toDisplay: Affine = { a: 1, b: 0, c: 0, d: 0, e: -1, f: canvasHeight - 1 };
  const toFits: Affine = { a: 1, b: 0, c: 0, d: 0, e: -1, f: gridHeight - 1 };
  return compose(compose(toDisplay, displayMap), toFits);
}

/**
 * What every part of a render takes from the files' headers: the grid and its memory verdict, each
 * channel's instrument (INSTRUME of its first file) and resolution blur. Plain data, so a render
 * split over worker threads (src/workers/composite-render.ts) plans once and hands it to each part.
 */
export interface NChannelSetup {
  readonly plan: GridPlan;
  readonly instruments: ReadonlyArray<string | undefined>;
  readonly blurSigmas: readonly number[];
}

function allPathsOf(spec: Pick<NChannelSpec, 'channels'>): string[] {
  return [...new Set(spec.channels.flatMap((c) => c.paths))];
}

function setupOf(spec: NChannelSpec, byPath: ReadonlyMap<string, OpenedCelestialImage>): NChannelSetup {
  const plan = planGridOrThrow([...byPath.values()], {
    width: spec.width, height: spec.height, zoom: spec.cropZoom, channelCount: spec.channels.length,
    memoryLimitBytes: spec.memoryLimitBytes, failThreshold: spec.failThreshold, allowForceDownscale: spec.allowForceDownscale,
  });
  const instruments = spec.channels.map((c) => instrumentOf(byPath.get(c.paths[0]!)!));
  const blurSigmas = resolutionSigmas(
    spec.channels.map((c, i) => ({ instrument: instruments[i], nativeScale: Math.min(...c.paths.map((p) => finestScale(byPath.get(p)!.wcs))) })),
    finestScale(plan.grid.wcs),
  );
  return { plan, instruments, blurSigmas };
}

/** The setup of a render (headers only): the first part of a render split over threads. */
export async function planNChannel(spec: NChannelSpec): Promise<NChannelSetup> {
  validateChannels(spec.channels);
  return withCelestialImages(allPathsOf(spec), spec.limits, async (inputs) => setupOf(spec, new Map(inputs.map((img) => [img.path, img]))));
}

/** A channel's tone mapping (its own, or the automatic one chosen from its data) into `out`. */
function toneInto(c: NChannelChannel, data: Float32Array, instrument: string | undefined, out: Float32Array): Float32Array {
  const order = new CoveredOrder(data);
  const tone = c.autoStretch ? autoStretchParams(data, instrument, order).tone : c.tone;
  return toneChannel(data, tone, out, order);
}

/** One channel of a render split over threads: its cache entry when reprojected (its values are folded into the sums). */
export interface ChannelPart {
  readonly cacheEntry?: CachedChannel & { readonly channel: number };
}

/**
 * Channel `index` of a render, alone: reprojected (or copied from the cache), blurred, neutralised
 * and tone-mapped exactly as `renderNChannel` does it, then folded into the shared `sums` in its
 * turn. Events: its `reproject` (a cache miss), a `background_neutralize` (when on), its `stretch`.
 */
export async function renderChannelPart(spec: NChannelSpec, setup: NChannelSetup, index: number, sums: ChannelSums, hooks: PipelineHooks = {}): Promise<ChannelPart> {
  const c = spec.channels[index]!;
  return withCelestialImages([...new Set(c.paths)], spec.limits, async (inputs) => {
    const byPath = new Map(inputs.map((img) => [img.path, img]));
    let cacheEntry: (CachedChannel & { channel: number }) | undefined;
    const [data] = await channelsOnGrid(spec, setup.plan.grid, byPath, hooks, { cache: spec.cache, onReprojected: (e) => (cacheEntry = e), blurSigmas: setup.blurSigmas, only: index });
    await hooks.checkCancelled?.();
    hooks.onProgress?.({ stage: 'stretch', message: `Stretching ${c.label}`, filter: c.label, index: index + 1, total: spec.channels.length });
    foldChannelInTurn(sums, spec, index, toneInto(c, data!, setup.instruments[index], data!));
    return { cacheEntry };
  });
}

/** Seam feathering across instruments: whether it applies and its strength. */
function featheringOf(spec: NChannelSpec, instruments: ReadonlyArray<string | undefined>) {
  const colourIdx = spec.channels.map((c, i) => (c.color === 'luminance' ? -1 : i)).filter((i) => i >= 0);
  const known = [...new Set(colourIdx.map((i) => instruments[i]).filter((v): v is string => !!v))];
  const multi = known.length > 1 && colourIdx.length > 1;
  let featherStrength = 0;
  let autoFeather = false;
  if (spec.featherStrength !== null) featherStrength = spec.featherStrength;
  else if (multi) {
    autoFeather = true;
    featherStrength = autoFeatherStrength(colourIdx.map((i) => instrumentScale(instruments[i] ?? '', spec.channels[i]!.wavelengthUm)));
  }
  return { colourIdx, known, multi, featherStrength, autoFeather };
}

export async function renderNChannel(spec: NChannelSpec, hooks: PipelineHooks = {}): Promise<NChannelOutput> {
  validateChannels(spec.channels);
  const progress = hooks.onProgress ?? (() => undefined);
  return withCelestialImages(allPathsOf(spec), spec.limits, async (inputs) => {
    const byPath = new Map(inputs.map((img) => [img.path, img]));
    const setup = setupOf(spec, byPath);
    const { grid } = setup.plan;
    const cacheEntries: Array<CachedChannel & { channel: number }> = [];
    const data = await channelsOnGrid(spec, grid, byPath, hooks, { cache: spec.cache, onReprojected: (e) => cacheEntries.push(e), blurSigmas: setup.blurSigmas });
    const cache = { cacheEntries: spec.cache ? cacheEntries : undefined, cacheHits: spec.cache ? spec.channels.length - cacheEntries.length : 0 };
    if (spec.debugMasks) {
      const { colourIdx, known, multi, featherStrength, autoFeather } = featheringOf(spec, setup.instruments);
      const { grid: _g, ...planInfo } = setup.plan;
      const shown = colourIdx.map((i) => spec.channels[i]!);
      const panels = maskPanels(colourIdx.map((i) => data[i]!), grid.width, grid.height, spec.width, spec.height);
      const image = await encodeRaster({ width: panels.width, height: panels.height, channels: 1, pixels: panels.pixels }, { format: 'png' });
      const warning = multi && featherStrength > 0
        ? `Channels from ${known.length} instruments (${known.join(', ')}): their seams are feathered (strength ${featherStrength.toFixed(3)})`
        : null;
      return {
        image, mediaType: MEDIA_TYPES.png, width: panels.width, height: panels.height, quality: { score: 1, snr: 0, balance: 0, spread: 0, coverage: 0 },
        pictureWidth: panels.width, pictureHeight: panels.height,
        plan: planInfo, autoFeather, featherStrength, blurSigmas: setup.blurSigmas, ...cache, debug: { channels: shown.map((c) => c.label), warning },
      };
    }
    const sums = newChannelSums(spec, setup, false);
    for (const [ci, c] of spec.channels.entries()) {
      await hooks.checkCancelled?.();
      progress({ stage: 'stretch', message: `Stretching ${c.label}`, filter: c.label, index: ci + 1, total: spec.channels.length });
      foldChannel(sums, spec, ci, toneInto(c, data[ci]!, setup.instruments[ci], data[ci]!));
      data[ci] = new Float32Array(0); // folded: released
    }
    return { ...(await finishNChannel(spec, setup, sums, hooks)), ...cache };
  });
}

/**
 * The rest of a render once every channel is folded into `sums`: combination, seam feathering,
 * luminance, overall adjustment, sharpening, saturation, canvas and encoding.
 */
export async function finishNChannel(
  spec: NChannelSpec,
  setup: NChannelSetup,
  sums: ChannelSums,
  hooks: PipelineHooks = {},
): Promise<Omit<NChannelOutput, 'cacheEntries' | 'cacheHits'>> {
  const progress = hooks.onProgress ?? (() => undefined);
  const { grid } = setup.plan;
  const n = grid.width * grid.height;
  const { featherStrength, autoFeather } = featheringOf(spec, setup.instruments);
  const { grid: _g, ...planInfo } = setup.plan;
  const extras = { plan: planInfo, autoFeather, featherStrength, blurSigmas: setup.blurSigmas };
  const { covered, lum } = sums;
  const lumChannel = spec.channels.find((c) => c.color === 'luminance');
  const lumWeight = lumChannel ? Math.min(1, lumChannel.weight) : 0;
  await hooks.checkCancelled?.();
  progress({ stage: 'combine', message: 'Combining channels' });
  const all = sums.groups;
  let rgb = combineGroups(all, n, true);
  if (all.length > 1) {
    // the instrument covering most pixels is the base; each other one fades in from its edge
    const pixels = new Map(all.map((g) => [g, countSet(g.covered)]));
    const majority = all.reduce((a, b) => (pixels.get(b)! > pixels.get(a)! ? b : a));
    const radius = Math.max(Math.floor(Math.min(grid.width, grid.height) * featherStrength), 20);
    for (const minority of all.filter((g) => g !== majority)) {
      const mask = featherMask(minority.covered, grid.width, grid.height, radius);
      if (!mask) continue;
      const base = combineGroups(all.filter((g) => g !== minority), n);
      for (let i = 0; i < n; i++) {
        if (!minority.covered[i]) continue;
        const m = mask[i]!;
        for (let k = 0; k < 3; k++) rgb[3 * i + k] = base[3 * i + k]! * (1 - m) + rgb[3 * i + k]! * m;
      }
    }
  }
  if (lum) blendLuminance(rgb, lum, lumWeight);
  // No coverage is NaN for the overall adjustment, which skips it; without one it is black at once.
  const none = spec.overall ? NaN : 0;
  for (let i = 0; i < n; i++) {
    if (!covered[i]) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = none;
    else for (let k = 0; k < 3; k++) rgb[3 * i + k] = srgbEncode(rgb[3 * i + k]!);
  }
  if (spec.overall) {
    applyOverall(rgb, spec.overall);
    for (let i = 0; i < rgb.length; i++) if (rgb[i] !== rgb[i]) rgb[i] = 0;
  }
  if (spec.sharpening && spec.sharpening.amount > 0) sharpen(rgb, covered, grid.width, grid.height, spec.sharpening);
  if (spec.saturation && !isNeutralSaturation(spec.saturation)) adjustSaturation(rgb, spec.saturation);

  await hooks.checkCancelled?.();
  progress({ stage: 'encode', message: 'Encoding image' });
  // Display orientation (FITS row 1 at the bottom), cropped to the lit box.
  const fitsBox = contentBox({ width: grid.width, height: grid.height, data: rgb });
  const box = fitsBox && { x0: fitsBox.x0, x1: fitsBox.x1, y0: grid.height - fitsBox.y1, y1: grid.height - fitsBox.y0 };
  // In rgb's own array (a group's sum or combineGroups' fresh one: nothing reads it after this).
  let picture: RgbImage = flipRowsInPlace({ width: grid.width, height: grid.height, data: rgb }, box);
  rgb = new Float32Array(0);
  sums.groups.length = 0; // the sums are spent (the picture may be in one's array)
  sums.lum = undefined;
  let map: Affine = box ? { ...IDENTITY, c: box.x0, f: box.y0 } : IDENTITY;
  const quality = qualityMetrics(picture);
  if (Math.abs(spec.rotationDegrees) > 0.01) {
    const r = rotateImage(picture, spec.rotationDegrees);
    picture = r.image;
    map = compose(r.map, map);
  }
  const { width: pictureWidth, height: pictureHeight } = picture;
  const placed = placedBytes(picture, spec);
  picture = { width: 0, height: 0, data: new Float32Array(0) }; // released before encoding
  map = compose(placed.map, map);
  const { pixels } = placed;
  let image: Uint8Array = await encodeRaster({ width: spec.width, height: spec.height, channels: 3, pixels }, { format: spec.format, quality: spec.quality });
  if (spec.embedAvm) {
    try {
      const wcs = canvasWcs(grid.wcs, fitsMap(map, spec.height, grid.height));
      image = embedAvm(Buffer.from(image), avmSpatial(wcs, spec.width, spec.height), spec.avm ?? { facility: 'JWST' });
    } catch (err) {
      if (!(err instanceof EngineError)) throw err; // a projection AVM cannot describe: no spatial tags
      image = embedAvm(Buffer.from(image), undefined, spec.avm ?? { facility: 'JWST' });
    }
  }
  return { image, mediaType: MEDIA_TYPES[spec.format], width: spec.width, height: spec.height, quality, pictureWidth, pictureHeight, ...extras };
}

/** The picture placed on the canvas, as 8-bit RGB (the float canvas lives only in here). */
function placedBytes(picture: RgbImage, spec: NChannelSpec): { pixels: Uint8Array; map: Affine } {
  const placed = placeOnCanvas(picture, { width: spec.width, height: spec.height, zoom: spec.cropZoom, centerX: spec.cropCenterX, centerY: spec.cropCenterY });
  return { pixels: toBytes(placed.image), map: placed.map };
}

function countSet(mask: Uint8Array): number {
  let k = 0;
  for (let i = 0; i < mask.length; i++) k += mask[i]!;
  return k;
}

/** Adds a channel's values times its weight and colour into a group's sum (where covered). */
function accumulate(g: Group, values: Float32Array, color: readonly [number, number, number], w: number): void {
  const [r, gg, b] = color;
  for (let i = 0; i < values.length; i++) {
    const v0 = values[i]!;
    if (v0 !== v0) continue;
    g.covered[i] = 1;
    const v = Math.min(1, v0 * w);
    g.sum[3 * i]! += r * v;
    g.sum[3 * i + 1]! += gg * v;
    g.sum[3 * i + 2]! += b * v;
  }
}
