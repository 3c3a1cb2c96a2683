/**
 * The "good defaults" measures of issue #16 on a rendered composite of the synthetic nebula
 * (nebula-scene.ts): median luminance of the canvas, the fraction of pixels clipped at white
 * outside stars, and the medians of R, G and B over sky offsets. Used by
 * test/api/composite-nchannel.test.ts (the bounds) and scripts/composite-docs-image.ts (the
 * figures the README and docs/composites.md give for their picture).
 */
import { FIELD_ARCSEC, isSkyOffset, nearStar, type SceneStar } from './nebula-scene.js';

export interface RawImage { width: number; height: number; channels: number; data: Uint8Array }

export interface Exposure {
  /** Median of Rec. 709 luminance (0-1) over the whole canvas. */
  medianLuminance: number;
  /** Pixels with R, G and B all >= 254, over the pixels more than 1" from a star. */
  clippedFraction: number;
  /** Median R, G, B (0-1) of the sky offsets inside the footprint. */
  skyMedians: [number, number, number];
  skyPixels: number;
}

const median = (a: number[]) => {
  const s = [...a].sort((p, q) => p - q);
  return s[s.length >> 1]!;
};

/** Measures a square canvas that shows the scene's footprint (a square turned 2 degrees) cropped to its bounding box, north up. */
export function measureExposure(img: RawImage, stars: readonly SceneStar[]): Exposure {
  const size = img.width;
  const span = FIELD_ARCSEC * 0.94 * (Math.cos(Math.PI / 90) + Math.sin(Math.PI / 90));
  const lum: number[] = [];
  const sky: number[][] = [[], [], []];
  let clipped = 0;
  let outsideStars = 0;
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * img.channels;
      const [r, g, b] = [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!];
      lum.push((0.2126 * r + 0.7152 * g + 0.0722 * b) / 255);
      const dx = ((x + 0.5) / size - 0.5) * span;
      const dy = -((y + 0.5) / img.height - 0.5) * span;
      if (nearStar(dx, dy, stars, 1.0)) continue;
      outsideStars++;
      if (Math.min(r, g, b) >= 254) clipped++;
      const inside = Math.abs(dx) < span / 2 - 1.5 && Math.abs(dy) < span / 2 - 1.5;
      if (inside && isSkyOffset(dx, dy)) [r, g, b].forEach((v, k) => sky[k]!.push(v / 255));
    }
  }
  return {
    medianLuminance: median(lum),
    clippedFraction: clipped / outsideStars,
    skyMedians: [median(sky[0]!), median(sky[1]!), median(sky[2]!)],
    skyPixels: sky[0]!.length,
  };
}
