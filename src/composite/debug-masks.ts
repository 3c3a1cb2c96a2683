/**
 * `debug_masks` (upstream-latest §1.2): instead of the picture, a grayscale PNG with one panel per
 * colour channel, white where the channel has data on the grid and black where it has none, so a
 * user can see which filter leaves a gap. Panels are `max(floor(width / n), 64)` wide and `height`
 * high, each showing the grid in display orientation (north up), fitted and centred, nearest
 * sampling.
 */
export interface MaskPanels {
  readonly width: number;
  readonly height: number;
  readonly pixels: Uint8Array;
}

export function maskPanels(channels: readonly Float32Array[], gridWidth: number, gridHeight: number, width: number, height: number): MaskPanels {
  const n = channels.length;
  const pw = Math.max(Math.floor(width / n), 64);
  const out = new Uint8Array(pw * n * height);
  const scale = Math.min(pw / gridWidth, height / gridHeight);
  const w = Math.max(1, Math.round(gridWidth * scale));
  const h = Math.max(1, Math.round(gridHeight * scale));
  const x0 = Math.floor((pw - w) / 2);
  const y0 = Math.floor((height - h) / 2);
  for (const [k, data] of channels.entries()) {
    for (let y = 0; y < h; y++) {
      // display row y (top first) is FITS row gridHeight - 1 - gy
      const gy = gridHeight - 1 - Math.min(gridHeight - 1, Math.floor(((y + 0.5) * gridHeight) / h));
      for (let x = 0; x < w; x++) {
        const gx = Math.min(gridWidth - 1, Math.floor(((x + 0.5) * gridWidth) / w));
        const v = data[gy * gridWidth + gx]!;
        if (v === v) out[(y0 + y) * pw * n + k * pw + x0 + x] = 255;
      }
    }
  }
  return { width: pw * n, height, pixels: out };
}
