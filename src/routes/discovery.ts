/**
 * Composite recipes (upstream-latest §2): POST /discovery/suggest-recipes (snake_case, as the .NET
 * backend calls it), POST /api/discovery/suggest-recipes (camelCase both ways, without
 * recommendedFeatherStrength; bad input is a 400, never a 500) and GET /api/discovery/featured.
 */
import { Type, type Static } from 'typebox';
import type { App } from '../server.js';
import type { EngineContext } from '../context.js';
import { BadRequestError } from '../errors.js';
import { FEATURED_TARGETS } from '../discovery/curated.js';
import { generateRecipes, type ObservationInput, type SuggestRecipesResponse } from '../discovery/recipes.js';
import { nullable } from './sky-support.js';

const Text = (max: number) => Type.String({ maxLength: max });

const Observation = Type.Object({
  filter: Text(64),
  instrument: Text(64),
  wavelength_um: nullable(Type.Number({ exclusiveMinimum: 0, maximum: 1000 })),
  observation_id: nullable(Text(256)),
  t_obs_release: nullable(Type.Number({ minimum: 0, maximum: 1e6, description: 'MJD' })),
  dataproduct_type: nullable(Text(32)),
  data_product_type: nullable(Text(32)),
  s_ra: nullable(Type.Number({ minimum: -360, maximum: 720 })),
  s_dec: nullable(Type.Number({ minimum: -90, maximum: 90 })),
});

const SuggestRequest = Type.Object({
  target_name: nullable(Text(256)),
  observations: Type.Array(Observation, { maxItems: 5000 }),
});

const ApiObservation = Type.Object({
  filter: Text(64),
  instrument: Text(64),
  wavelengthUm: nullable(Type.Number({ exclusiveMinimum: 0, maximum: 1000 })),
  observationId: nullable(Text(256)),
  tObsRelease: nullable(Type.Number({ minimum: 0, maximum: 1e6 })),
  dataproductType: nullable(Text(32)),
  dataProductType: nullable(Text(32)),
  sRa: nullable(Type.Number({ minimum: -360, maximum: 720 })),
  sDec: nullable(Type.Number({ minimum: -90, maximum: 90 })),
});

const ApiSuggestRequest = Type.Object({
  targetName: nullable(Text(256)),
  observations: Type.Array(ApiObservation, { maxItems: 5000 }),
});

function suggest(target: string, observations: readonly ObservationInput[]): SuggestRecipesResponse {
  if (observations.length === 0) throw new BadRequestError('observations list is required');
  return generateRecipes(target, observations);
}

/** The facade's camelCase answer (recommended_feather_strength dropped, as upstream). */
function camelResponse(r: SuggestRecipesResponse): Record<string, unknown> {
  return {
    target: r.target && { name: r.target.name, commonName: r.target.common_name, ra: r.target.ra, dec: r.target.dec, category: r.target.category },
    recipes: r.recipes.map((x) => ({
      name: x.name, rank: x.rank, filters: x.filters, colorMapping: x.color_mapping, instruments: x.instruments, requiresMosaic: x.requires_mosaic,
      estimatedTimeSeconds: x.estimated_time_seconds, observationIds: x.observation_ids, description: x.description, overlapWarning: x.overlap_warning, tag: x.tag,
    })),
  };
}

export async function discoveryRoutes(app: App, _ctx: EngineContext): Promise<void> {
  app.post('/discovery/suggest-recipes', {
    schema: { summary: 'Composite recipes (filters and colours) for a target from its observation list', body: SuggestRequest },
  }, async (request) => suggest(request.body.target_name ?? '', request.body.observations));

  app.post('/api/discovery/suggest-recipes', {
    schema: { summary: 'Composite recipes, camelCase facade', body: ApiSuggestRequest },
    // the facade answers every invalid body with 400, as the upstream meant to
    attachValidation: true,
  }, async (request) => {
    if (request.validationError) throw new BadRequestError(`Invalid request: ${request.validationError.message}`);
    const body = request.body as Static<typeof ApiSuggestRequest>;
    const observations: ObservationInput[] = body.observations.map((o) => ({
      filter: o.filter, instrument: o.instrument, wavelength_um: o.wavelengthUm, observation_id: o.observationId, t_obs_release: o.tObsRelease,
      dataproduct_type: o.dataproductType ?? o.dataProductType, s_ra: o.sRa, s_dec: o.sDec,
    }));
    return camelResponse(suggest(body.targetName ?? '', observations));
  });

  app.get('/api/discovery/featured', { schema: { summary: 'Featured targets with good composite potential' } }, async () => FEATURED_TARGETS);
}
