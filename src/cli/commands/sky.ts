/**
 * Sky commands over the same core as the HTTP routes, in-process on local files:
 *   jwst-engine mosaic FILE... -o OUT.(fits|png|jpg) [--combine mean] [--method bilinear] [--match-background]
 *   jwst-engine composite -c FILE[+FILE...]:COLOUR ... -o OUT.(png|jpg) [--width 2000] [--height 2000]
 *   jwst-engine footprint FILE... [--json]
 *   jwst-engine wcs FILE [--pixel x,y] [--world lon,lat]
 * COLOUR is a name (red, green, blue, cyan, magenta, yellow, orange, purple, white), '#rrggbb' or a hue in degrees.
 */
import { writeFile } from 'node:fs/promises';
import { basename, extname, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadSettings } from '../../config.js';
import { getColormap, STRETCH_NAMES, type StretchName } from '../../imaging/index.js';
import { COMBINE_METHODS, type CombineMethod } from '../../reproject/coadd.js';
import { renderComposite } from '../../reproject/composite.js';
import { boundingBox, footprintOf, pairwiseOverlaps } from '../../reproject/footprint.js';
import { loadImageShape } from '../../reproject/load.js';
import { renderMosaicImage, writeMosaicFits } from '../../reproject/mosaic.js';
import { channelColor, hueToRgb } from '../../reproject/colors.js';
import { Wcs } from '../../wcs/index.js';
import { limitsFromSettings } from '../../imaging/viewer/index.js';

function limits() {
  return limitsFromSettings(loadSettings());
}

function stretchOf(name: string): StretchName {
  if (!(STRETCH_NAMES as readonly string[]).includes(name)) throw new Error(`--stretch must be one of ${STRETCH_NAMES.join(', ')}`);
  return name as StretchName;
}

function int(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} expects a positive integer`);
  return n;
}

/** PNG or JPEG from the output file's extension. */
function imageFormatOf(output: string): 'png' | 'jpeg' | undefined {
  const ext = extname(output).toLowerCase();
  return ext === '.png' ? 'png' : ext === '.jpg' || ext === '.jpeg' ? 'jpeg' : undefined;
}

/** Ends the progress line and says what was written. */
function reportWritten(output: string, size: { width: number; height: number }, quiet: boolean | undefined): void {
  process.stderr.write(quiet ? '' : '\n');
  process.stdout.write(`wrote ${output} (${size.width}x${size.height})\n`);
}

const progress = (quiet: boolean | undefined) => (f: number, stage: string) => {
  if (!quiet) process.stderr.write(`\r${(f * 100).toFixed(0).padStart(3)}% ${stage.padEnd(40)}`);
};

export function skyCommands(program: Command): void {
  program
    .command('mosaic')
    .description('mosaic FITS files on their optimal common grid; the output format follows the extension (.fits, .png, .jpg)')
    .argument('<files...>', 'FITS files')
    .requiredOption('-o, --output <file>', 'output file (.fits, .png, .jpg)')
    .option('--combine <method>', `${COMBINE_METHODS.join(', ')}`, 'mean')
    .option('--method <name>', 'bilinear, nearest, bicubic or exact', 'bilinear')
    .option('--match-background', 'subtract per-tile background offsets')
    .option('--stretch <name>', 'image output: stretch of every file', 'asinh')
    .option('--cmap <name>', 'image output: colormap', 'grayscale')
    .option('--width <n>', 'image output: box width')
    .option('--height <n>', 'image output: box height')
    .option('-q, --quiet', 'no progress on stderr')
    .action(async (files: string[], o: { output: string; combine: string; method: string; matchBackground?: boolean; stretch: string; cmap: string; width?: string; height?: string; quiet?: boolean }) => {
      if (!(COMBINE_METHODS as readonly string[]).includes(o.combine)) throw new Error(`--combine must be one of ${COMBINE_METHODS.join(', ')}`);
      if (!['bilinear', 'nearest', 'bicubic', 'exact'].includes(o.method)) throw new Error('--method must be bilinear, nearest, bicubic or exact');
      const ext = extname(o.output).toLowerCase();
      const common = {
        files: files.map((f) => ({ path: resolve(f), display: { stretch: stretchOf(o.stretch) } })),
        combine: o.combine as CombineMethod,
        interpolation: o.method as 'bilinear',
        matchBackground: o.matchBackground ?? false,
        limits: limits(),
        maxOutputPixels: Number.MAX_SAFE_INTEGER,
      };
      if (ext === '.fits' || ext === '.fit' || ext === '.fts') {
        reportWritten(o.output, await writeMosaicFits({ ...common, outputPath: resolve(o.output) }, progress(o.quiet)), o.quiet);
        return;
      }
      const format = imageFormatOf(o.output);
      if (!format) throw new Error('output must end in .fits, .png or .jpg');
      const colormap = getColormap(o.cmap);
      if (!colormap) throw new Error(`unknown colormap ${o.cmap}`);
      const r = await renderMosaicImage({ ...common, format, quality: 95, colormap, width: int(o.width, 'width'), height: int(o.height, 'height'), embedAvm: true }, progress(o.quiet));
      await writeFile(o.output, r.image);
      reportWritten(o.output, r, o.quiet);
    });

  program
    .command('composite')
    .description('colour composite of any number of channels (PNG/JPEG with AVM)')
    .requiredOption('-c, --channel <files:colour>', 'FILE[+FILE...]:COLOUR (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .requiredOption('-o, --output <file>', 'output .png or .jpg')
    .option('--width <n>', 'box width', '2000')
    .option('--height <n>', 'box height', '2000')
    .option('--stretch <name>', 'stretch of every channel', 'zscale')
    .option('-q, --quiet', 'no progress on stderr')
    .action(async (o: { channel: string[]; output: string; width: string; height: string; stretch: string; quiet?: boolean }) => {
      const channels = o.channel.map((spec) => {
        const at = spec.lastIndexOf(':');
        if (at <= 0) throw new Error(`--channel expects FILE[+FILE...]:COLOUR, got "${spec}"`);
        const colour = spec.slice(at + 1);
        const hue = Number(colour);
        return {
          paths: spec.slice(0, at).split('+').map((p) => resolve(p)),
          color: Number.isFinite(hue) && colour.trim() !== '' ? hueToRgb(hue) : channelColor({ color: colour }),
          display: { stretch: stretchOf(o.stretch) },
          curve: 'linear' as const,
        };
      });
      const format = imageFormatOf(o.output);
      if (!format) throw new Error('output must end in .png or .jpg');
      const r = await renderComposite({ channels, width: int(o.width, 'width')!, height: int(o.height, 'height')!, format, quality: 95, embedAvm: true, limits: limits() }, progress(o.quiet));
      await writeFile(o.output, r.image);
      reportWritten(o.output, r, o.quiet);
    });

  program
    .command('footprint')
    .description('sky footprints (corners in FITS order), bounding box across RA 0/360 and overlaps, from headers only')
    .argument('<files...>', 'FITS files')
    .option('--json', 'print JSON')
    .action(async (files: string[], o: { json?: boolean }) => {
      const fps = [];
      for (const f of files) fps.push({ file: f, ...footprintOf(await loadImageShape(resolve(f), limits())) });
      const bbox = boundingBox(fps);
      const overlaps = pairwiseOverlaps(fps);
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ footprints: fps, bounding_box: bbox, overlaps }, null, 2)}\n`);
        return;
      }
      for (const f of fps) process.stdout.write(`${basename(f.file)}: centre ${f.centerRa.toFixed(6)} ${f.centerDec.toFixed(6)}; corners ${f.cornersRa.map((r, i) => `(${r.toFixed(6)}, ${f.cornersDec[i]!.toFixed(6)})`).join(' ')}\n`);
      process.stdout.write(`bounding box: RA ${bbox.minRa.toFixed(6)}..${bbox.maxRa.toFixed(6)}${bbox.wrapsRa ? ' (crosses RA 0)' : ''}, Dec ${bbox.minDec.toFixed(6)}..${bbox.maxDec.toFixed(6)}\n`);
      for (const ov of overlaps) process.stdout.write(`overlap ${basename(files[ov.a]!)} / ${basename(files[ov.b]!)}: ${(ov.fractionOfA * 100).toFixed(1)}% / ${(ov.fractionOfB * 100).toFixed(1)}%\n`);
    });

  program
    .command('wcs')
    .description('the celestial WCS of the first image HDU, and pixel <-> world conversions (0-based pixels, degrees)')
    .argument('<file>', 'FITS file')
    .option('--pixel <x,y>', 'pixel -> world')
    .option('--world <lon,lat>', 'world -> pixel')
    .action(async (file: string, o: { pixel?: string; world?: string }) => {
      const shape = await loadImageShape(resolve(file), limits());
      const wcs = new Wcs(shape.wcs);
      const cel = wcs.celestial!;
      const [sx, sy] = wcs.pixelScales();
      process.stdout.write(`${basename(file)}: ${shape.width}x${shape.height}, ${shape.wcs.ctype.join(' ')}, frame ${cel.frame.system}${cel.frame.equinox ? ` ${cel.frame.equinox}` : ''}, scale ${(sx * 3600).toFixed(4)}" x ${(sy * 3600).toFixed(4)}"${wcs.hasDistortion ? ', SIP' : ''}\n`);
      const pair = (s: string, option: string): [number, number] => {
        const v = s.split(',').map((t) => (t.trim() === '' ? NaN : Number(t)));
        if (v.length !== 2 || !v.every(Number.isFinite)) throw new Error(`--${option} expects two numbers as a,b, got "${s}"`);
        return [v[0]!, v[1]!];
      };
      // both checked before anything is printed
      const pixel = o.pixel === undefined ? undefined : pair(o.pixel, 'pixel');
      const world = o.world === undefined ? undefined : pair(o.world, 'world');
      if (pixel) process.stdout.write(`pixel ${o.pixel} -> world ${wcs.pixelToWorld(pixel).map((v) => v.toFixed(9)).join(' ')}\n`);
      if (world) process.stdout.write(`world ${o.world} -> pixel ${wcs.worldToPixel(world).map((v) => v.toFixed(6)).join(' ')}\n`);
    });
}
