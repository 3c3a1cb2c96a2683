/**
 * Hostile requests generated from the engine's OpenAPI document (fast-check): for each route,
 * path parameters, query parameters and JSON bodies that follow the schema most of the time and
 * break it on purpose the rest (oversized and odd strings, huge arrays, wrong types, path
 * traversal, NaN/Infinity, deep nesting, prototype keys). Used by test/api/hostile-inputs.test.ts.
 */
import fc from 'fast-check';

/** The subset of JSON Schema / OpenAPI 3 the engine's routes use. */
export interface Schema {
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly required?: readonly string[];
  readonly items?: Schema;
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly anyOf?: readonly Schema[];
  readonly oneOf?: readonly Schema[];
  readonly allOf?: readonly Schema[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly $ref?: string;
}

interface Parameter {
  readonly in: 'path' | 'query' | 'header' | 'cookie';
  readonly name: string;
  readonly required?: boolean;
  readonly schema?: Schema;
}

export interface Route {
  readonly method: string;
  /** OpenAPI path, `{name}` for parameters. */
  readonly path: string;
  readonly parameters: readonly Parameter[];
  readonly body: Schema | undefined;
}

/** One generated request, JSON-serialisable so a failing one can be kept as a regression case. */
export interface HostileRequest {
  readonly method: string;
  readonly url: string;
  /** The raw body (absent: no body). */
  readonly payload?: string;
  /** Extra headers; a body goes with Content-Type application/json unless these say otherwise. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Headers a client should not be able to hurt the engine with. */
const hostileHeaders: fc.Arbitrary<Record<string, string>> = fc.oneof(
  fc.constantFrom<Record<string, string>>(
    { 'content-type': 'text/plain' }, { 'content-type': 'application/x-www-form-urlencoded' }, { 'content-type': 'multipart/form-data; boundary=x' },
    { 'content-type': 'application/json; charset=utf-16' }, { 'content-type': 'application/octet-stream' },
    { authorization: 'Bearer not.a.jwt' }, { authorization: `Bearer ${'A'.repeat(4000)}` }, { authorization: 'Basic Zm9vOmJhcg==' },
    { 'x-api-key': 'jwk_nope' }, { range: 'bytes=0-1,2-3,4-5' }, { 'if-none-match': '"x", W/"y"' }, { 'accept-encoding': 'br;q=2, *;q=-1' },
    { 'content-encoding': 'gzip' }, { 'x-forwarded-for': '127.0.0.1, ::1' }, { origin: 'https://evil.example' },
  ),
  fc.dictionary(fc.constantFrom('accept', 'authorization', 'x-api-key', 'if-none-match', 'range', 'cookie'), fc.string({ unit: 'binary-ascii', maxLength: 200 }).map((v) => v.replace(/[\r\n\0]/g, '')), { maxKeys: 2 }),
);

interface OpenApiDoc {
  readonly paths: Readonly<Record<string, Readonly<Record<string, {
    parameters?: Parameter[];
    requestBody?: { content?: Record<string, { schema?: Schema }> };
  }>>>>;
  readonly components?: { readonly schemas?: Readonly<Record<string, Schema>> };
}

const METHODS = new Set(['get', 'post', 'put', 'patch', 'delete']);

export function routesOf(doc: OpenApiDoc): Route[] {
  const schemas = doc.components?.schemas ?? {};
  const deref = (s: Schema | undefined, depth = 0): Schema | undefined => {
    if (!s || depth > 20) return s;
    if (s.$ref) return deref(schemas[s.$ref.split('/').pop() ?? ''], depth + 1);
    return s;
  };
  const routes: Route[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (!METHODS.has(method)) continue;
      routes.push({
        method: method.toUpperCase(),
        path,
        parameters: (op.parameters ?? []).map((p) => ({ ...p, schema: deref(p.schema) })),
        body: deref(op.requestBody?.content?.['application/json']?.schema),
      });
    }
  }
  return routes;
}

/** Strings a file_path, an id or a name should never get past. */
const TRAVERSAL = [
  `${'../'.repeat(4)}etc/passwd`, '/etc/passwd', '..', '.', '', ' ', '..%2f..%2fetc%2fpasswd', 'mast/../../etc/shadow',
  'a\u0000b.fits', '%00', '....//....//etc', 'C:\\Windows\\win.ini', '\\\\server\\share', '~/x', 'file:///etc/passwd',
  '/proc/self/environ', 'data/../../x', '\u202e.fits', 'CON', 'x'.repeat(300), `${'../'.repeat(60)}etc/passwd`,
];
const NUMERIC_STRINGS = ['NaN', 'Infinity', '-Infinity', '1e309', '-1e309', '-0', '0x10', '1_000', '١٢٣', '', ' 1', '1e-400', '9'.repeat(400)];
const NUMBERS = [0, -0, -1, 1, 0.5, -1e308, 1e308, Number.MAX_SAFE_INTEGER + 2, -(2 ** 31), 2 ** 32, 1e-320, 123456789012];

function nest(depth: number, leaf: unknown): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

/** Strings: odd, oversized, traversal, unicode, control characters. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...TRAVERSAL, ...NUMERIC_STRINGS),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 100 }),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.integer({ min: 1_000, max: 300_000 }).map((n) => 'A'.repeat(n)),
  fc.integer({ min: 100, max: 20_000 }).map((n) => '💥\u0301'.repeat(n)),
  fc.constantFrom('<script>alert(1)</script>', "' OR 1=1 --", '${7*7}', '{{7*7}}', '%s%s%s%n', '\r\nX-Injected: 1', '*', '**', '%'),
);

/** Any JSON value that a schema would not expect. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 2, arbitrary: fc.constantFrom<unknown>(...NUMBERS, null, true, false, {}, [], [[]], { __proto__: { polluted: 1 } }, JSON.parse('{"__proto__": {"polluted": 1}, "constructor": {"prototype": {"x": 1}}}')) },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 200_000 }).chain((n) => fc.constantFrom<unknown>(new Array(n).fill(0), new Array(n).fill('a.fits'), new Array(n).fill(1e308))) },
  { weight: 1, arbitrary: fc.integer({ min: 50, max: 3_000 }).map((d) => nest(d, 1)) },
  { weight: 1, arbitrary: fc.array(fc.oneof(fc.string({ maxLength: 8 }), fc.double(), fc.boolean()), { maxLength: 30 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 10 }) },
);

function types(s: Schema): string[] {
  return s.type === undefined ? [] : typeof s.type === 'string' ? [s.type] : [...s.type];
}

/**
 * Values for `schema`: mostly ones it accepts or nearly accepts (boundaries, enum values, the
 * given file names), with hostile values mixed in at every level.
 */
export function valueFor(schema: Schema | undefined, files: readonly string[], depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 6) return hostileValue;
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives && alternatives.length) return fc.oneof(...alternatives.map((s) => valueFor(s, files, depth + 1)));
  if (schema.allOf && schema.allOf.length) return valueFor(schema.allOf[0], files, depth + 1);
  if (schema.const !== undefined) return fc.oneof({ weight: 5, arbitrary: fc.constant(schema.const) }, { weight: 1, arbitrary: hostileValue });
  if (schema.enum && schema.enum.length) return fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...schema.enum) }, { weight: 1, arbitrary: hostileValue });
  const t = types(schema);
  const near: Array<fc.Arbitrary<unknown>> = [];
  if (t.includes('string')) {
    near.push(fc.constantFrom(...files), fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 30, 30) }));
    if (schema.maxLength !== undefined) near.push(fc.constant('b'.repeat(schema.maxLength + 1)));
  }
  if (t.includes('integer') || t.includes('number')) {
    const min = schema.minimum ?? -1e6;
    const max = schema.maximum ?? 1e6;
    const bounds = [min, max, min - 1, max + 1, Math.floor((min + max) / 2)].filter(Number.isFinite);
    near.push(t.includes('integer') ? fc.integer({ min: Math.max(-1e9, Math.ceil(min)), max: Math.min(1e9, Math.floor(max)) }) : fc.double({ min: Math.max(-1e9, min), max: Math.min(1e9, max), noNaN: true }));
    if (bounds.length) near.push(fc.constantFrom(...bounds));
  }
  if (t.includes('boolean')) near.push(fc.boolean());
  if (t.includes('null')) near.push(fc.constant(null));
  if (t.includes('array')) {
    const item = valueFor(schema.items, files, depth + 1);
    near.push(fc.array(item, { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 6, 6) }));
    if (schema.maxItems !== undefined && schema.maxItems < 100_000) near.push(fc.constant(new Array(schema.maxItems + 1).fill(files[0] ?? 0)));
  }
  if (t.includes('object') || schema.properties) near.push(objectFor(schema, files, depth));
  if (near.length === 0) return hostileValue;
  return fc.oneof({ weight: 6, arbitrary: fc.oneof(...near) }, { weight: 1, arbitrary: hostileValue });
}

function objectFor(schema: Schema, files: readonly string[], depth: number): fc.Arbitrary<Record<string, unknown>> {
  const props = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  const entries = Object.entries(props).map(([name, s]) => {
    const v = valueFor(s, files, depth + 1);
    // Optional properties are left out half the time, required ones seldom.
    return fc.tuple(fc.constant(name), fc.option(v, { freq: required.has(name) ? 12 : 2, nil: undefined }));
  });
  return fc.tuple(fc.tuple(...entries), fc.option(fc.dictionary(fc.string({ maxLength: 12 }), hostileValue, { maxKeys: 3 }), { freq: 6, nil: undefined }))
    .map(([pairs, extra]) => {
      const o: Record<string, unknown> = { ...(extra ?? {}) };
      for (const [k, v] of pairs) if (v !== undefined) o[k] = v;
      return o;
    });
}

function queryString(params: ReadonlyArray<readonly [string, unknown]>): string {
  const parts: string[] = [];
  for (const [k, v] of params) {
    const values = Array.isArray(v) && v.length < 50 ? v : [v];
    for (const one of values) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(typeof one === 'object' ? JSON.stringify(one) : String(one))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

/** Requests for `route`: its parameters and body from `valueFor`, sometimes a body of another shape. */
export function requestFor(route: Route, files: readonly string[]): fc.Arbitrary<HostileRequest> {
  const pathParams = route.parameters.filter((p) => p.in === 'path');
  const queryParams = route.parameters.filter((p) => p.in === 'query');
  const pathArb = fc.tuple(...pathParams.map((p) => fc.oneof(
    { weight: 3, arbitrary: valueFor(p.schema, files) },
    { weight: 2, arbitrary: hostileString },
  )));
  const queryArb = fc.tuple(...queryParams.map((p) => fc.option(valueFor(p.schema, files), { freq: p.required || p.name === 'file_path' ? 10 : 2, nil: undefined })));
  const bodyArb: fc.Arbitrary<string | undefined> = route.body
    ? fc.oneof(
      { weight: 8, arbitrary: valueFor(route.body, files).map((v) => JSON.stringify(v) ?? 'null') },
      { weight: 1, arbitrary: hostileValue.map((v) => JSON.stringify(v) ?? 'null') },
      { weight: 1, arbitrary: fc.constantFrom('{', '{"a":', '[1,2', 'null', '"x"', '{"file_path": "\\ud800"}', '\u0000', '{"a":1,"a":2}', `{"x": ${'['.repeat(10_000)}}`) },
    )
    : fc.constant(undefined);
  return fc.tuple(pathArb, queryArb, bodyArb, fc.option(hostileHeaders, { freq: 8, nil: undefined })).map(([pv, qv, payload, headers]) => {
    let path = route.path;
    pathParams.forEach((p, i) => {
      const v = pv[i];
      path = path.replace(`{${p.name}}`, encodeURIComponent(typeof v === 'object' ? JSON.stringify(v) : String(v)));
    });
    const query = queryString(queryParams.map((p, i) => [p.name, qv[i]] as const).filter(([, v]) => v !== undefined));
    return { method: route.method, url: path + query, ...(payload === undefined ? {} : { payload }), ...(headers ? { headers } : {}) };
  });
}
