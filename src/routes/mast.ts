/**
 * MAST search endpoints (contract §1.5): `/mast/search/{target,coordinates,observation,program,recent}`
 * answer `{search_type, query_params, results, result_count, timestamp}` with MAST's rows as MAST
 * sent them, plus `total_count`, `limit`, `offset`, `cached` (and `resolved` for targets);
 * `POST /mast/products` answers `{obs_id, products, product_count}` plus `total_bytes`.
 * Errors: 422 bad input (field named), 404 unknown target/observation, 502 MAST failed, 504 timeout.
 */
import { Type, type Static } from 'typebox';
import type { App } from '../server.js';
import type { EngineContext } from '../context.js';
import { MastInputError, parseAngle, type ObservationFilters, type Paging } from '../mast/index.js';
import { productsResponse, searchResponse } from './mast-json.js';

import { nullable } from './nullable.js';
const OneOrMany = (pattern: string, description: string) =>
  Type.Array(Type.String({ pattern, maxLength: 64 }), { maxItems: 20, description: `${description}; a string or a list of strings` });

const CalibLevel = nullable(Type.Array(Type.Integer({ minimum: 0, maximum: 4 }), { maxItems: 5, description: 'calibration levels; default [2, 3] (observation search: all levels)' }));
const Radius = Type.Number({ exclusiveMinimum: 0, maximum: 10, default: 0.2, description: 'cone radius in degrees, (0, 10]' });
const Limit = nullable(Type.Integer({ minimum: 1, maximum: 5000, description: 'rows returned (default: all)' }));
const Offset = nullable(Type.Integer({ minimum: 0, maximum: 100_000_000, description: 'rows skipped (default 0)' }));
const TargetName = Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\u0000-\\u001f\\u007f]*[^\\s\\u0000-\\u001f\\u007f][^\\u0000-\\u001f\\u007f]*$' });
const Angle = Type.Union([Type.Number({ minimum: -1e6, maximum: 1e6 }), Type.String({ maxLength: 40 })], { description: 'degrees, or sexagesimal (RA in hours: "10:07:01.8", "10h07m01.8s"; Dec: "-40:26:11")' });
const ObsIdPattern = '^(?=.*[A-Za-z0-9]{3})[A-Za-z0-9*][A-Za-z0-9_*-]{0,127}$';
const ObsIdExact = '^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$';

const Filters = nullable(Type.Object({
  instrument: nullable(OneOrMany('^[A-Za-z]{3,10}(/[A-Za-z0-9_]{1,20})?$', 'e.g. NIRCAM, MIRI, NIRCAM/IMAGE (prefix match)')),
  filter: nullable(OneOrMany('^[A-Za-z0-9_+-]{2,20}$', 'optical element, e.g. F444W')),
  dataproduct_type: nullable(OneOrMany('^[A-Za-z]{3,20}$', 'image, cube, spectrum, timeseries, ...')),
  intentType: nullable(OneOrMany('^[A-Za-z]{3,20}$', 'science or calibration')),
  include_proprietary: nullable(Type.Boolean({ description: 'include exclusive-access data (default false)' })),
}, { additionalProperties: false }));

const TargetBody = Type.Object({ target_name: TargetName, radius: Type.Optional(Radius), calib_level: CalibLevel, filters: Filters, limit: Limit, offset: Offset });
const CoordinatesBody = Type.Object({ ra: Angle, dec: Angle, radius: Type.Optional(Radius), calib_level: CalibLevel, filters: Filters, limit: Limit, offset: Offset });
const ObservationBody = Type.Object({ obs_id: Type.String({ pattern: ObsIdPattern, maxLength: 128, description: 'obs_id, * wildcards allowed' }), calib_level: CalibLevel, filters: Filters, limit: Limit, offset: Offset });
const ProgramBody = Type.Object({ program_id: Type.String({ pattern: '^(?:[jJ][wW])?\\d{1,5}$', maxLength: 7, description: 'JWST program (proposal) id, e.g. 2733' }), calib_level: CalibLevel, filters: Filters, limit: Limit, offset: Offset });
const RecentBody = Type.Object({
  days_back: Type.Optional(Type.Integer({ minimum: 1, maximum: 365, default: 30 })),
  instrument: nullable(Type.String({ pattern: '^[A-Za-z]{3,10}$', maxLength: 10 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000_000, default: 0 })),
});
const ProductsBody = Type.Object({
  obs_id: Type.String({ pattern: ObsIdExact, maxLength: 128 }),
  product_type: nullable(OneOrMany('^[A-Za-z*]{1,20}$', 'productType values (default SCIENCE; "ALL" for every type)')),
  calib_level: CalibLevel,
  product_subgroup: nullable(OneOrMany('^[A-Za-z0-9_-]{1,20}$', 'productSubGroupDescription, e.g. I2D, CAL, S3D, X1D')),
  extension: nullable(OneOrMany('^\\.?[A-Za-z0-9.*]{1,12}$', 'file extension (default fits; "*" for every extension)')),
  mrp_only: nullable(Type.Boolean({ description: 'only Minimum Recommended Products' })),
});

const Row = Type.Object({}, { additionalProperties: true });
const SearchResponse = Type.Object({
  search_type: Type.String(),
  query_params: Type.Object({}, { additionalProperties: true }),
  results: Type.Array(Row),
  result_count: Type.Integer(),
  total_count: Type.Integer(),
  limit: Type.Union([Type.Integer(), Type.Null()]),
  offset: Type.Integer(),
  cached: Type.Boolean(),
  resolved: Type.Optional(Type.Object({ ra: Type.Number(), dec: Type.Number(), canonical_name: Type.Union([Type.String(), Type.Null()]), resolver: Type.Union([Type.String(), Type.Null()]) })),
  timestamp: Type.String({ description: 'ISO 8601, UTC (Z)' }),
});
const ProductsResponse = Type.Object({
  obs_id: Type.String(),
  products: Type.Array(Row),
  product_count: Type.Integer(),
  total_bytes: Type.Integer(),
  obsids: Type.Array(Type.String()),
});
const ErrorBody = Type.Object({ detail: Type.Unknown() });
const errors = { 404: ErrorBody, 422: ErrorBody, 502: ErrorBody, 504: ErrorBody };

type FiltersIn = Static<typeof Filters>;
const list = (v: readonly string[] | null | undefined): string[] | undefined => (v === null || v === undefined || v.length === 0 ? undefined : [...v]);

interface SearchBodyCommon {
  readonly filters?: FiltersIn;
  readonly limit?: number | null;
  readonly offset?: number | null;
}

/** The narrowing and paging every observation search body carries, as the core takes them. */
function criteriaOf(b: SearchBodyCommon, proprietaryByDefault = false): ObservationFilters & Paging {
  const f = b.filters;
  return {
    instrument: list(f?.instrument),
    filter: list(f?.filter),
    dataproductType: list(f?.dataproduct_type),
    intentType: list(f?.intentType),
    includeProprietary: f?.include_proprietary ?? proprietaryByDefault,
    limit: b.limit ?? undefined,
    offset: b.offset ?? undefined,
  };
}

/** `query_params` echoes the request, with `filters` only when they were given. */
function echo(b: SearchBodyCommon, params: Record<string, unknown>): Record<string, unknown> {
  return b.filters ? { ...params, filters: b.filters } : params;
}

export async function mastRoutes(app: App, ctx: EngineContext): Promise<void> {
  const mast = ctx.mast;
  const tags = ['mast'];

  // The core's own input checks answer like schema validation: 422 with a FastAPI-style list naming
  // the field. Scoped to these routes; every other error goes on to the server's handler.
  app.setErrorHandler((err, _req, reply) => {
    if (!(err instanceof MastInputError)) throw err;
    return reply.status(422).send({ detail: [{ loc: ['body', err.field], msg: err.message, type: 'value_error' }] });
  });

  app.post('/mast/resolve', {
    schema: {
      tags, summary: 'Resolve a target name to RA/Dec (degrees, ICRS) with MAST',
      body: Type.Object({ target_name: TargetName }),
      response: { 200: Type.Object({ target_name: Type.String(), ra: Type.Number(), dec: Type.Number(), canonical_name: Type.Union([Type.String(), Type.Null()]), resolver: Type.Union([Type.String(), Type.Null()]) }), ...errors },
    },
  }, async (req) => {
    const r = await mast.resolveName(req.body.target_name.trim());
    return { target_name: req.body.target_name, ra: r.ra, dec: r.dec, canonical_name: r.canonicalName, resolver: r.resolver };
  });

  app.post('/mast/search/target', {
    schema: { tags, summary: 'Cone search around a resolved target name', body: TargetBody, response: { 200: SearchResponse, ...errors } },
  }, async (req) => {
    const b = req.body;
    const radius = b.radius ?? 0.2;
    const calib = b.calib_level ?? [2, 3];
    const r = await mast.searchTarget({ targetName: b.target_name.trim(), radius, calibLevel: calib, ...criteriaOf(b) });
    return searchResponse('target', echo(b, { target_name: b.target_name, radius, calib_level: calib }), r, b);
  });

  app.post('/mast/search/coordinates', {
    schema: { tags, summary: 'Cone search around RA/Dec (degrees or sexagesimal)', body: CoordinatesBody, response: { 200: SearchResponse, ...errors } },
  }, async (req) => {
    const b = req.body;
    const ra = parseAngle(b.ra, 'ra');
    const dec = parseAngle(b.dec, 'dec');
    const radius = b.radius ?? 0.2;
    const calib = b.calib_level ?? [2, 3];
    const r = await mast.searchCoordinates({ ra, dec, radius, calibLevel: calib, ...criteriaOf(b) });
    return searchResponse('coordinates', echo(b, { ra, dec, radius, calib_level: calib }), r, b);
  });

  app.post('/mast/search/observation', {
    schema: { tags, summary: 'Observations by obs_id (* wildcards allowed)', body: ObservationBody, response: { 200: SearchResponse, ...errors } },
  }, async (req) => {
    const b = req.body;
    const calib = b.calib_level ?? null;
    // An exact id names one observation: it is shown even in its exclusive-access period (a
    // wildcard search hides such data by default, like the other searches).
    const r = await mast.searchObservation({ obsId: b.obs_id, calibLevel: calib ?? undefined, ...criteriaOf(b, !b.obs_id.includes('*')) });
    return searchResponse('observation_id', echo(b, { obs_id: b.obs_id, calib_level: calib }), r, b);
  });

  app.post('/mast/search/program', {
    schema: { tags, summary: 'Observations of a JWST program (proposal)', body: ProgramBody, response: { 200: SearchResponse, ...errors } },
  }, async (req) => {
    const b = req.body;
    const calib = b.calib_level ?? [2, 3];
    const r = await mast.searchProgram({ programId: b.program_id, calibLevel: calib, ...criteriaOf(b) });
    return searchResponse('program_id', echo(b, { program_id: b.program_id, calib_level: calib }), r, b);
  });

  app.post('/mast/search/recent', {
    schema: { tags, summary: 'Observations released in the last days_back days, newest first', body: RecentBody, response: { 200: SearchResponse, ...errors } },
  }, async (req) => {
    const b = req.body;
    const daysBack = b.days_back ?? 30;
    const limit = b.limit ?? 50;
    const offset = b.offset ?? 0;
    const r = await mast.searchRecent({ daysBack, instrument: b.instrument ? [b.instrument] : undefined, limit, offset });
    return searchResponse('recent_releases', { days_back: daysBack, instrument: b.instrument ?? null, limit, offset }, r, { limit, offset });
  });

  app.post('/mast/products', {
    schema: { tags, summary: "An observation's products (default: SCIENCE .fits), de-duplicated", body: ProductsBody, response: { 200: ProductsResponse, ...errors } },
  }, async (req) => {
    const b = req.body;
    // the one product-selection rule (src/mast/product-selection.ts) fills in the defaults
    return productsResponse(await mast.listProducts(b.obs_id, {
      productType: list(b.product_type),
      extension: list(b.extension),
      calibLevel: b.calib_level ?? undefined,
      subgroup: list(b.product_subgroup),
      mrpOnly: b.mrp_only ?? false,
    }));
  });
}
