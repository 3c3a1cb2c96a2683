/**
 * Makes docs/images/composite-default.png, the README's example of the N-channel composite with
 * default settings: the synthetic NIRCam nebula of test/helpers/nebula-scene.ts (F090W, F187N,
 * F444W) rendered with nothing but its files and hues, as POST /composite/generate-nchannel would.
 * It prints the picture's exposure measures (test/helpers/exposure.ts).
 * Run by hand when the pipeline changes:  npx tsx scripts/composite-docs-image.ts
 */
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderNChannel } from '../src/composite/pipeline.js';
import { limitsFromSettings } from '../src/imaging/viewer/source.js';
import { loadSettings } from '../src/config.js';
import { hueToRgb } from '../src/reproject/colors.js';
import sharp from 'sharp';
import { writeNebulaScene } from '../test/helpers/nebula-scene.js';
import { measureExposure } from '../test/helpers/exposure.js';

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'composite-docs-'));
  try {
    const scene = await writeNebulaScene(dir);
    const out = await renderNChannel({
      channels: scene.files.map((f) => ({
        label: f.filter.filter,
        paths: [join(dir, f.path)],
        // the route's defaults for a channel given only its files and colour
        tone: { stretch: 'asinh', blackPoint: 0, whitePoint: 1, gamma: 1, asinhA: 0.05, curve: 'linear' },
        weight: 1,
        color: hueToRgb(f.filter.hue),
        autoStretch: true,
      })),
      backgroundNeutralization: true, featherStrength: null, rotationDegrees: 0, cropCenterX: 0.5, cropCenterY: 0.5, cropZoom: 1,
      width: 640, height: 640, format: 'png', quality: 95, embedAvm: true, limits: limitsFromSettings(loadSettings({})),
      memoryLimitBytes: 3e9, failThreshold: 0.85, allowForceDownscale: false,
    });
    const target = new URL('../docs/images/composite-default.png', import.meta.url);
    await mkdir(new URL('.', target), { recursive: true });
    await writeFile(target, out.image);
    console.log(`wrote ${target.pathname}: quality ${JSON.stringify(out.quality)}`);
    // the measures of this picture (the README and docs/composites.md quote them)
    const { data, info } = await sharp(out.image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const e = measureExposure({ width: info.width, height: info.height, channels: info.channels, data }, scene.stars);
    console.log(`median luminance ${e.medianLuminance.toFixed(3)}, white-clipped outside stars ${(100 * e.clippedFraction).toFixed(3)} %, `
      + `sky medians R G B ${e.skyMedians.map((v) => v.toFixed(3)).join(' ')} (spread ${(Math.max(...e.skyMedians) - Math.min(...e.skyMedians)).toFixed(3)}, ${e.skyPixels} sky pixels)`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
