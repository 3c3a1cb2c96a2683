/**
 * The composite page's settings and the POST /composite/generate-nchannel request they make
 * (src/routes/composite-nchannel.ts: every field of its body has a control). Pure, so it is
 * tested without a browser (test/web/composite-workbench.test.ts).
 */
import { clamp, round, type View } from './composite-view.js';

export const STRETCHES = ['auto', 'asinh', 'log', 'sqrt', 'power', 'histeq', 'linear', 'zscale'] as const;
export const OVERALL_STRETCHES = ['linear', 'asinh', 'log', 'sqrt', 'power', 'histeq', 'zscale'] as const;
export const CURVES = ['linear', 's_curve', 'inverse_s', 'shadows', 'highlights'] as const;
/** Longest side of the low-resolution previews rendered while adjusting. */
export const PREVIEW_PX = 360;

export interface Channel {
  label: string;
  files: string[];
  /** `#rrggbb` of the colour picker (sent as `rgb`), unless `hue` is set. */
  color: string;
  /** Degrees (sent as `hue`); null: the picker's colour. */
  hue: number | null;
  luminance: boolean;
  /** 'auto': no tone field, so the engine chooses them from the data (auto_stretch). */
  stretch: (typeof STRETCHES)[number];
  /** Percentiles (0-1) of the stretched channel that become black and white. */
  black: number;
  white: number;
  curve: (typeof CURVES)[number];
  gamma: number;
  /** asinh softening (the route's asinh_a). */
  asinhA: number;
  weight: number;
  /** wavelength_um; null: not sent. */
  wavelength: number | null;
}

/** The whole picture's adjustments: neutral sky, overall levels, sharpening, colour, seams. */
export interface Look {
  neutralize: boolean;
  /** The request's `overall` block when `on`. */
  overall: { on: boolean; stretch: (typeof OVERALL_STRETCHES)[number]; black: number; white: number; gamma: number; asinhA: number };
  /** Unsharp mask; amount 0 sends no `sharpening`. */
  sharpen: { radius: number; amount: number; threshold: number };
  saturation: number;
  vibrancy: number;
  /** Degrees, -30 to 30 (`hue_rotation`). */
  hueShift: number;
  /** null: automatic across instruments. */
  feather: number | null;
}

export interface AvmFields {
  target_name: string;
  description: string;
  instrument: string;
  filter: string;
  spectral_band: string;
  facility: string;
  publisher: string;
}
export const AVM_FIELDS: ReadonlyArray<[keyof AvmFields, string]> = [
  ['target_name', 'Target name'], ['description', 'Description'], ['instrument', 'Instrument'], ['filter', 'Filters'],
  ['spectral_band', 'Spectral band'], ['facility', 'Facility'], ['publisher', 'Publisher'],
];

/** The exported picture: an exact canvas, its format, metadata and memory verdict. */
export interface Output {
  width: number;
  height: number;
  format: 'png' | 'jpeg';
  /** JPEG quality 1-100. */
  quality: number;
  embedAvm: boolean;
  avm: AvmFields;
  forceDownscale: boolean;
  /** debug_masks: one coverage panel per colour channel instead of the picture. */
  masks: boolean;
}

export const channel = (color: string, label = '', files: string[] = []): Channel => ({
  label, files, color, hue: null, luminance: false, stretch: 'auto', black: 0, white: 1, curve: 'linear', gamma: 1, asinhA: 0.05, weight: 1, wavelength: null,
});

export const START_LOOK: Look = {
  neutralize: true,
  overall: { on: false, stretch: 'linear', black: 0, white: 1, gamma: 1, asinhA: 0.1 },
  sharpen: { radius: 1.5, amount: 0, threshold: 0 },
  saturation: 1,
  vibrancy: 0,
  hueShift: 0,
  feather: null,
};

export const START_OUTPUT: Output = {
  width: 1000, height: 1000, format: 'png', quality: 95, embedAvm: true,
  avm: { target_name: '', description: '', instrument: '', filter: '', spectral_band: '', facility: '', publisher: '' },
  forceDownscale: false, masks: false,
};

export function rgbOf(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [((n >> 16) & 255) / 255, ((n >> 8) & 255) / 255, (n & 255) / 255];
}

/** `#rrggbb` of a hue at full saturation, as the engine colours a `hue` channel. */
export function hueHex(hue: number): string {
  const h = (((hue % 360) + 360) % 360) / 60;
  const x = 1 - Math.abs((h % 2) - 1);
  const rgb = [[1, x, 0], [x, 1, 0], [0, 1, x], [0, x, 1], [x, 0, 1], [1, 0, x]][Math.floor(h) % 6]!;
  return `#${rgb.map((v) => Math.round(v * 255).toString(16).padStart(2, '0')).join('')}`;
}

export const labelOf = (c: Channel, i: number): string => c.label.trim() || `ch${i + 1}`;

/** Why the settings cannot render yet (the route would refuse them), or null. */
export function blocker(channels: readonly Channel[]): string | null {
  if (channels.some((c) => c.files.length === 0)) return 'Choose each channel’s files: the preview renders as soon as every channel has one.';
  const lums = channels.filter((c) => c.luminance).length;
  if (lums > 1) return 'At most one channel can be the luminance.';
  if (lums === channels.length) return 'At least one channel needs a colour (not luminance).';
  const labels = channels.map(labelOf);
  const dup = labels.find((l, i) => labels.indexOf(l) !== i);
  if (dup !== undefined) return `Two channels are labelled ${dup}: labels must differ.`;
  if (channels.some((c) => c.stretch !== 'auto' && !(c.white > c.black))) return 'A white point must be above its black point.';
  return null;
}

/** The canvas of a preview: the output's aspect, its longest side PREVIEW_PX at most. */
export function previewSize(out: Pick<Output, 'width' | 'height'>): { width: number; height: number } {
  const s = Math.min(1, PREVIEW_PX / Math.max(out.width, out.height));
  return { width: Math.max(1, Math.round(out.width * s)), height: Math.max(1, Math.round(out.height * s)) };
}

function avmJson(avm: AvmFields): string | null {
  const set = Object.entries(avm).map(([k, v]) => [k, v.trim()] as const).filter(([, v]) => v !== '');
  return set.length === 0 ? null : JSON.stringify(Object.fromEntries(set));
}

/**
 * The generate-nchannel request of the page's state, at the output's canvas, or at a preview
 * canvas (a JPEG with no AVM: only its pixels are shown).
 */
export function compositeRequest(channels: readonly Channel[], view: View, look: Look, out: Output, preview = false): Record<string, unknown> {
  const size = preview ? previewSize(out) : { width: out.width, height: out.height };
  const format = preview ? 'jpeg' : out.format;
  const sat = look.saturation !== 1 || look.vibrancy !== 0 || look.hueShift !== 0;
  const o = look.overall;
  return {
    channels: channels.map((c, i) => ({
      file_paths: c.files,
      label: labelOf(c, i),
      color: c.luminance ? { luminance: true } : c.hue !== null ? { hue: c.hue } : { rgb: rgbOf(c.color) },
      weight: c.weight,
      ...(c.wavelength !== null ? { wavelength_um: c.wavelength } : {}),
      // 'auto': no tone field, so the engine chooses them from the data
      ...(c.stretch === 'auto' ? {} : { stretch: c.stretch, black_point: c.black, white_point: c.white, curve: c.curve, gamma: c.gamma, asinh_a: c.asinhA }),
    })),
    background_neutralization: look.neutralize,
    overall: o.on ? { stretch: o.stretch, black_point: o.black, white_point: o.white, gamma: o.gamma, asinh_a: o.asinhA } : null,
    sharpening: look.sharpen.amount > 0 ? { radius: look.sharpen.radius, amount: look.sharpen.amount, threshold: look.sharpen.threshold } : null,
    saturation: sat ? { saturation: look.saturation, vibrancy: look.vibrancy, hue_rotation: look.hueShift } : null,
    feather_strength: look.feather,
    rotation_degrees: round(view.rotation, 2),
    crop_zoom: round(view.zoom),
    crop_center_x: round(view.centerX),
    crop_center_y: round(view.centerY),
    output_format: format,
    quality: format === 'jpeg' && !preview ? clamp(Math.round(out.quality), 1, 100) : null,
    width: size.width,
    height: size.height,
    allow_force_downscale: out.forceDownscale,
    debug_masks: out.masks,
    embed_avm: preview ? false : out.embedAvm,
    avm_metadata: preview || !out.embedAvm ? null : avmJson(out.avm),
  };
}
