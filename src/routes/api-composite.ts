/**
 * Upstream's camelCase N-channel composite facade (upstream-latest §1.1, §7.3), in public and full
 * mode: POST /api/composite/generate-nchannel with `dataIds` per channel (library records the
 * caller may see, resolved through the same sandbox: public records only in public mode), the
 * .NET gateway's 400 messages, `allowForceDownscale` forced false, `debugMasks` dropped (upstream
 * defect §10.22). Rendered by POST /composite/generate-nchannel (render gate: 429 + Retry-After);
 * only `X-Composite-*` / `X-Quality-*` headers are passed on, plus an attachment disposition.
 */
import { Type, type Static } from 'typebox';
import type { App } from '../server.js';
import type { EngineContext } from '../context.js';
import { BadRequestError } from '../errors.js';
import { nullable } from './sky-support.js';
import { fieldErrorAs400, forward, relay, withErrorField } from './forward.js';
import { NOT_FOUND } from './jwstdata.js';

/** Per channel (the schema's bound); the total is MAX_COMPOSITE_REQUEST_FILES, as upstream. */
const MAX_INPUT_FILES = 100;
const Num = (min: number, max: number) => nullable(Type.Number({ minimum: min, maximum: max }));
const Tone = {
  blackPoint: Num(0, 1),
  whitePoint: Num(0, 1),
  gamma: nullable(Type.Number({ exclusiveMinimum: 0, maximum: 5 })),
  asinhA: Num(0.001, 1),
};

const Channel = Type.Object({
  dataIds: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: MAX_INPUT_FILES }),
  stretch: nullable(Type.String({ maxLength: 32 })),
  ...Tone,
  curve: nullable(Type.String({ maxLength: 16 })),
  weight: Num(0, 2),
  color: Type.Object({
    hue: Num(0, 360),
    rgb: nullable(Type.Array(Type.Number({ minimum: -1e6, maximum: 1e6 }), { minItems: 3, maxItems: 3 })),
    luminance: nullable(Type.Boolean()),
  }),
  label: nullable(Type.String({ minLength: 1, maxLength: 64 })),
  wavelengthUm: nullable(Type.Number({ exclusiveMinimum: 0, maximum: 1000 })),
  autoStretch: nullable(Type.Boolean()),
});

const Body = Type.Object({
  channels: Type.Array(Channel, { minItems: 1, maxItems: 20 }),
  overall: nullable(Type.Object({ stretch: nullable(Type.String({ maxLength: 16 })), ...Tone })),
  sharpening: nullable(Type.Object({ radius: Num(0.5, 10), amount: Num(0, 3), threshold: Num(0, 1) })),
  saturation: nullable(Type.Object({ saturation: Num(0, 2), vibrancy: Num(0, 1), hueRotation: Num(-30, 30) })),
  backgroundNeutralization: nullable(Type.Boolean()),
  featherStrength: Num(0, 1),
  rotationDegrees: Num(-180, 180),
  cropCenterX: Num(0, 1),
  cropCenterY: Num(0, 1),
  cropZoom: Num(0.1, 5),
  outputFormat: nullable(Type.String({ maxLength: 8 })),
  quality: nullable(Type.Integer({ minimum: 1, maximum: 100 })),
  width: nullable(Type.Integer({ minimum: 1, maximum: 4096 })),
  height: nullable(Type.Integer({ minimum: 1, maximum: 4096 })),
  allowForceDownscale: nullable(Type.Boolean({ description: 'ignored: always false here' })),
  debugMasks: nullable(Type.Boolean({ description: 'ignored' })),
});
type BodyIn = Static<typeof Body>;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const given = (v: unknown) => v !== undefined && v !== null;

/** The .NET gateway's checks (its messages), before the schema's own. */
export function gatewayChecks(body: unknown, maxFiles: number): void {
  const channels = isObject(body) ? body.channels : undefined;
  if (!Array.isArray(channels) || channels.length === 0) throw new BadRequestError('At least one channel configuration is required');
  let files = 0;
  for (const c of channels) {
    const ids = isObject(c) ? c.dataIds : undefined;
    if (!Array.isArray(ids) || ids.length === 0) throw new BadRequestError('At least one DataId is required for each channel');
    files += ids.length;
    const color = (c as Record<string, unknown>).color;
    if (!isObject(color)) throw new BadRequestError('Color specification is required for each channel');
    const hue = given(color.hue);
    const rgb = given(color.rgb);
    const lum = color.luminance === true;
    if (!hue && !rgb && !lum) throw new BadRequestError('Either Hue, Rgb, or Luminance must be specified for each channel color');
    if (lum && (hue || rgb)) throw new BadRequestError('Luminance channel must not have Hue or Rgb');
    if (hue && rgb) throw new BadRequestError('Provide either Hue or Rgb, not both');
  }
  if (files > maxFiles) throw new BadRequestError(`Too many input files: ${files} exceeds maximum ${maxFiles}`);
}

const snake = (o: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => [k.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`), isObject(v) ? snake(v) : v]));

export async function apiCompositeRoutes(app: App, ctx: EngineContext): Promise<void> {
  app.post('/api/composite/generate-nchannel', {
    schema: { tags: ['composite'], summary: 'N-channel composite of library records (camelCase facade of POST /composite/generate-nchannel)', body: Body },
    attachValidation: true,
    onSend: withErrorField,
  }, async (request, reply) => {
    gatewayChecks(request.body, ctx.settings.maxCompositeRequestFiles);
    if (request.validationError) throw new BadRequestError(`Invalid request: ${request.validationError.message}`);
    const { channels, allowForceDownscale: _a, debugMasks: _d, ...rest } = request.body as BodyIn;
    const resolved = [];
    for (const { dataIds, ...c } of channels) {
      const filePaths = [];
      for (const id of dataIds) filePaths.push((await ctx.library.resolve(id, request.viewer, NOT_FOUND)).path);
      resolved.push({ ...snake(c), file_paths: filePaths });
    }
    const body = { ...snake(rest), channels: resolved, allow_force_downscale: false };
    const forwarded = await forward(app, ctx, request, reply, 'POST', '/composite/generate-nchannel', body);
    if (forwarded.statusCode !== 200) {
      // field errors are 400 at the gateway; 429 keeps its Retry-After
      return relay(reply, fieldErrorAs400(forwarded), (h) => h === 'content-type' || h === 'retry-after');
    }
    const format = String(forwarded.headers['content-type']).includes('jpeg') ? 'jpeg' : 'png';
    reply.header('content-disposition', `attachment; filename="composite-nchannel.${format}"`);
    return relay(reply, forwarded, (h) => h === 'content-type' || h.startsWith('x-composite-') || h.startsWith('x-quality-'));
  });
}
