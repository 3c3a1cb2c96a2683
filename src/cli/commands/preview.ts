/**
 * `jwst-engine preview FILE -o out.png [--stretch --cmap --size --slice ...]`: the same rendering as
 * GET /preview, from the terminal (runs in-process; local paths, no DATA_DIR sandbox). The format
 * follows the output's extension (.png, .jpg/.jpeg, .webp) unless --format is given.
 */
import { writeFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadSettings } from '../../config.js';
import { parsePreviewParams } from '../../imaging/options.js';
import { limitsFromSettings, previewFile, previewFileRequest } from '../../imaging/viewer/index.js';

interface PreviewOpts {
  output: string;
  stretch?: string;
  cmap?: string;
  size?: string;
  width?: string;
  height?: string;
  slice?: string;
  gamma?: string;
  blackPoint?: string;
  whitePoint?: string;
  asinhA?: string;
  format?: string;
  quality?: string;
  nanColor?: string;
}

function number(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`--${name} expects a number, got "${value}"`);
  return n;
}

function formatOf(output: string, explicit: string | undefined): string {
  if (explicit) return explicit;
  const ext = extname(output).toLowerCase();
  return ext === '.jpg' || ext === '.jpeg' ? 'jpeg' : ext === '.webp' ? 'webp' : 'png';
}

export function previewCommands(program: Command): void {
  program
    .command('preview')
    .description('render a FITS image (first image HDU; one slice of a cube) to PNG, JPEG or WebP')
    .argument('<file>', 'FITS file (.fits, .fits.gz, .fits.bz2, .fz ...)')
    .requiredOption('-o, --output <path>', 'output image (.png, .jpg, .webp)')
    .option('--stretch <name>', 'zscale, asinh, log, sqrt, power, histeq or linear', 'zscale')
    .option('--cmap <name>', 'colormap (matplotlib tables: grayscale, viridis, inferno, magma, ...)', 'grayscale')
    .option('--size <px>', 'longer side of the output (box size)', '1000')
    .option('--width <px>', 'box width (overrides --size)')
    .option('--height <px>', 'box height (overrides --size)')
    .option('--slice <n>', 'cube slice (-1 = middle)', '-1')
    .option('--gamma <g>', 'gamma 0.1-5 (the power stretch uses 1/gamma)', '1')
    .option('--black-point <f>', 'percentile fraction 0-1 mapped to black', '0')
    .option('--white-point <f>', 'percentile fraction 0-1 mapped to white', '1')
    .option('--asinh-a <a>', 'asinh softening 0.001-1', '0.1')
    .option('--format <fmt>', 'png, jpeg or webp (default: from the extension)')
    .option('--quality <q>', 'JPEG/WebP quality 1-100', '90')
    .option('--nan-color <colour>', "no-data colour: 'transparent', '#rrggbb', '#rrggbbaa' or 'r,g,b[,a]'")
    .action(async (file: string, opts: PreviewOpts) => {
      const size = number(opts.size, 'size')!;
      const req = parsePreviewParams({
        stretch: opts.stretch,
        cmap: opts.cmap,
        width: number(opts.width, 'width') ?? size,
        height: number(opts.height, 'height') ?? size,
        slice_index: number(opts.slice, 'slice'),
        gamma: number(opts.gamma, 'gamma'),
        black_point: number(opts.blackPoint, 'black-point'),
        white_point: number(opts.whitePoint, 'white-point'),
        asinh_a: number(opts.asinhA, 'asinh-a'),
        format: formatOf(opts.output, opts.format),
        quality: number(opts.quality, 'quality'),
        nan_color: opts.nanColor,
      });
      const settings = loadSettings();
      const r = await previewFile(previewFileRequest(resolve(file), req, limitsFromSettings(settings)));
      await writeFile(opts.output, r.image);
      const a = r.applied;
      const limits = a.vmin === null ? 'no finite pixels' : `limits ${a.vmin.toPrecision(6)} .. ${a.vmax!.toPrecision(6)}`;
      process.stdout.write(
        `${opts.output}: ${r.width}x${r.height} ${req.format.toUpperCase()} (${r.channels} channel${r.channels > 1 ? 's' : ''}), ` +
          `${a.stretch} ${limits}${r.nSlices > 1 ? `, slice ${r.currentSlice} of ${r.nSlices}` : ''}\n`,
      );
    });
}
