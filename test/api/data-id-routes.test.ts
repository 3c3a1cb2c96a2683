/**
 * Issue #18, "data_id everywhere": every route of the OpenAPI document that takes a file
 * (`file_path`, `file_paths`, in the query, the body or nested objects) is called with a minimal
 * request made from its schema, once naming the file by path and then by its library record:
 * `data_id` / `data_ids` instead of the path, the id itself as `file_path`, and `{data_id}` in the
 * path where the route has one. Each must answer exactly as the path does (same status, same
 * error), and an unknown id is 404 on every route (the id is resolved before validation). The
 * list of routes comes from the document, so a new route that takes files is held to it too.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { routesOf, type Route, type Schema } from '../helpers/hostile-inputs.js';
import { writeTile } from './sky-files.js';

const FILE = 'mast/jw02733-o001_t001_nircam_clear-f090w/jw02733-o001_t001_nircam_clear-f090w_i2d.fits';
const UNKNOWN = '00000000-0000-4000-8000-00000000beef';
/** Stands for the file in a request made from a schema, until a variant names it. */
const SLOT = '\u0000file';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Values that make the minimal request a complete one where the schema alone cannot say. */
const CHOSEN: Readonly<Record<string, Json>> = { algorithm: 'statistics', color: { hue: 30 } };

/** Whether a schema has a file_path or file_paths property anywhere under it. */
function takesFiles(schema: Schema | undefined, depth = 0): boolean {
  if (!schema || depth > 8) return false;
  return Object.entries(schema.properties ?? {}).some(([k, v]) => k === 'file_path' || k === 'file_paths' || takesFiles(v, depth + 1))
    || takesFiles(schema.items, depth + 1)
    || [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])].some((o) => takesFiles(o, depth + 1));
}

/**
 * A minimal value the schema accepts (defaults, first enum member, lower bounds): required
 * properties, and the optional ones that take files; files are SLOT.
 */
function sample(schema: Schema | undefined, key: string, depth = 0): Json {
  if (!schema || depth > 8) return null;
  const s = schema as Schema & { default?: Json; exclusiveMinimum?: number };
  if (key === 'file_path') return SLOT;
  if (key === 'file_paths') return Array.from({ length: Math.max(1, s.minItems ?? 1) }, () => SLOT);
  if (CHOSEN[key] !== undefined) return CHOSEN[key]!;
  if (s.default !== undefined) return s.default;
  if (s.const !== undefined) return s.const as Json;
  if (s.enum?.length) return s.enum[0] as Json;
  const options = s.anyOf ?? s.oneOf;
  if (options?.length) return sample(options.find((o) => takesFiles(o)) ?? options.find((o) => o.type !== 'null') ?? options[0], key, depth + 1);
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  switch (type) {
    case 'object': {
      const out: { [key: string]: Json } = {};
      for (const [name, prop] of Object.entries(s.properties ?? {})) {
        if (s.required?.includes(name) || name === 'file_path' || name === 'file_paths' || takesFiles(prop)) out[name] = sample(prop, name, depth + 1);
      }
      return out;
    }
    case 'array':
      return Array.from({ length: Math.max(1, s.minItems ?? 0) }, () => sample(s.items, key, depth + 1));
    case 'integer':
    case 'number':
      return Math.min(s.maximum ?? Infinity, Math.max(s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : 1), 1));
    case 'boolean':
      return false;
    case 'string':
      return 'x'.repeat(Math.max(1, s.minLength ?? 1));
    default:
      return null;
  }
}

/** How a request names the file. */
type Naming = 'path' | 'data_id' | 'id as file_path' | 'unknown data_id';

/** A copy of `node` with every SLOT named as `naming` says (keys data_id/data_ids replace file_path/file_paths). */
function named(node: Json, naming: Naming, dataId: string): Json {
  if (Array.isArray(node)) return node.map((v) => named(v, naming, dataId));
  if (node === null || typeof node !== 'object') return node;
  const out: { [key: string]: Json } = {};
  for (const [k, v] of Object.entries(node)) {
    const isSlot = k === 'file_path' && v === SLOT;
    const isSlots = k === 'file_paths' && Array.isArray(v) && v.every((x) => x === SLOT);
    if (!isSlot && !isSlots) {
      out[k] = named(v, naming, dataId);
      continue;
    }
    const one = naming === 'path' ? FILE : naming === 'unknown data_id' ? UNKNOWN : dataId;
    const value: Json = isSlot ? one : (v as Json[]).map(() => one);
    if (naming === 'data_id' || naming === 'unknown data_id') out[isSlot ? 'data_id' : 'data_ids'] = value;
    else out[k] = value;
  }
  return out;
}

interface FileRoute {
  readonly route: Route;
  readonly query: { [key: string]: Json };
  readonly body: Json | undefined;
}

function mentionsFiles(node: Json | undefined): boolean {
  return JSON.stringify(node ?? null).includes(JSON.stringify(SLOT));
}

describe('data_id wherever a route takes a file (issue #18)', { timeout: 300_000 }, () => {
  let engine: TestEngine;
  let dataId: string;
  let routes: FileRoute[];

  before(async () => {
    engine = await startTestEngine({ LIBRARY_SCAN_ON_START: 'false' });
    await writeTile(engine.dataDir, { name: FILE, ra: 151.75, dec: -40.44, width: 32, height: 24, scale: 1e-5, value: (x, y) => (x * 7 + y * 3) % 11 });
    dataId = (await engine.ctx.library.registerCompletedFile({ path: FILE, source: 'download' })).dataId;
    const routeList = routesOf((await engine.app.inject({ url: '/docs/json' })).json());
    routes = [];
    for (const route of routeList) {
      const query: { [key: string]: Json } = {};
      for (const p of route.parameters) if (p.in === 'query' && (p.required || p.name === 'file_path')) query[p.name] = sample(p.schema, p.name);
      const body = route.body ? sample(route.body, '') : undefined;
      if (mentionsFiles(query) || mentionsFiles(body)) routes.push({ route, query, body });
    }
  });
  after(() => engine?.dispose());

  const call = (r: FileRoute, naming: Naming, pathId?: string) => {
    const query = named(r.query, naming, dataId) as { [key: string]: Json };
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) for (const item of Array.isArray(v) ? v : [v]) qs.append(k, String(item));
    const path = r.route.path.replace(/\{[^}]+\}/g, (m) => (m === '{data_id}' && pathId ? pathId : 'x'));
    const url = `${path}${qs.size ? `?${qs}` : ''}`;
    const body = r.body === undefined ? undefined : named(r.body, naming, dataId);
    return engine.app.inject({ method: r.route.method as 'GET' | 'POST', url, ...(body === undefined ? {} : { payload: body as object }) });
  };

  /** What must be equal between namings: the status and, for errors, the answer. */
  const outcome = (res: Awaited<ReturnType<typeof call>>) => ({ status: res.statusCode, error: res.statusCode >= 400 ? res.body : undefined });

  it('finds the routes that take files in the OpenAPI document', () => {
    const names = routes.map((r) => `${r.route.method} ${r.route.path}`);
    // The document lists them; these are some of each family, so the list cannot go quietly empty.
    for (const known of ['GET /preview/{data_id}', 'POST /composite/generate', 'POST /thumbnail', 'GET /fits/header', 'POST /wcs/pixel-to-world', 'POST /process/jobs',
      'POST /composite/generate-nchannel', 'POST /mosaic/generate', 'GET /viewer/tile', 'GET /analysis/table-info', 'POST /analysis/detect-sources']) {
      assert.ok(names.includes(known), `${known} not found among ${names.join(', ')}`);
    }
    assert.ok(routes.length >= 30, names.join(', '));
  });

  it('answers a data_id, data_ids, or the id as file_path exactly as the path', async () => {
    const differences: string[] = [];
    let succeeded = 0;
    for (const r of routes) {
      const name = `${r.route.method} ${r.route.path}`;
      const byPath = outcome(await call(r, 'path'));
      if (byPath.status < 400) succeeded++;
      for (const naming of ['data_id', 'id as file_path'] as const) {
        const got = outcome(await call(r, naming));
        if (JSON.stringify(got) !== JSON.stringify(byPath)) differences.push(`${name} by ${naming}: ${JSON.stringify(got)} but by path ${JSON.stringify(byPath)}`);
      }
    }
    assert.deepEqual(differences, []);
    // Most minimal requests are complete ones (the rest fail alike for reasons other than the file).
    assert.ok(succeeded >= routes.length / 2, `only ${succeeded} of ${routes.length} minimal requests succeeded`);
  });

  it('takes {data_id} in the path when no file_path is given', async () => {
    const withPathId = routes.filter((r) => r.route.path.includes('{data_id}'));
    assert.ok(withPathId.length >= 4);
    for (const r of withPathId) {
      const { file_path: _ignored, ...rest } = r.query;
      const byPath = outcome(await call(r, 'path'));
      const byId = outcome(await call({ ...r, query: rest }, 'path', dataId));
      assert.deepEqual(byId, byPath, `${r.route.method} ${r.route.path}`);
    }
  });

  it('answers an unknown id 404 on every one of them', async () => {
    const wrong: string[] = [];
    for (const r of routes) {
      const res = await call(r, 'unknown data_id');
      if (res.statusCode !== 404) wrong.push(`${r.route.method} ${r.route.path}: ${res.statusCode} ${res.body.slice(0, 160)}`);
    }
    assert.deepEqual(wrong, []);
  });
});
