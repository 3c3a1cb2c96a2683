/**
 * Every input bounded (issue #14): walks the OpenAPI document of an in-process engine and fails for
 * any array without `maxItems`, string without `maxLength` (an enum, a const or a bounding format
 * also bounds it) or number without a minimum and a maximum, in any request body, query, path or
 * header parameter of any route.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';

type Schema = Record<string, unknown>;
const BOUNDING_FORMATS = new Set(['uuid', 'date-time', 'date', 'time', 'ipv4', 'ipv6']);

function problems(schema: unknown, where: string, doc: Schema, out: string[], seen = new Set<unknown>()): void {
  if (schema === null || typeof schema !== 'object' || seen.has(schema)) return;
  seen.add(schema);
  const s = schema as Schema;
  if (typeof s.$ref === 'string') {
    const target = s.$ref.replace(/^#\//, '').split('/').reduce<unknown>((o, k) => (o as Schema | undefined)?.[k], doc);
    problems(target, where, doc, out, seen);
    return;
  }
  const types = Array.isArray(s.type) ? (s.type as string[]) : typeof s.type === 'string' ? [s.type] : [];
  const bounded = s.enum !== undefined || s.const !== undefined;
  if (types.includes('array') && s.maxItems === undefined) out.push(`${where}: array without maxItems`);
  if (types.includes('string') && !bounded && s.maxLength === undefined && !BOUNDING_FORMATS.has(String(s.format))) out.push(`${where}: string without maxLength`);
  if ((types.includes('number') || types.includes('integer')) && !bounded) {
    const low = s.minimum !== undefined || s.exclusiveMinimum !== undefined;
    const high = s.maximum !== undefined || s.exclusiveMaximum !== undefined;
    if (!low || !high) out.push(`${where}: number without ${!low && !high ? 'minimum and maximum' : !low ? 'minimum' : 'maximum'}`);
  }
  if (s.properties && typeof s.properties === 'object') {
    for (const [k, v] of Object.entries(s.properties as Schema)) problems(v, `${where}.${k}`, doc, out, seen);
  }
  if (s.items) {
    for (const item of Array.isArray(s.items) ? s.items : [s.items]) problems(item, `${where}[]`, doc, out, seen);
  }
  if (s.additionalProperties && typeof s.additionalProperties === 'object') problems(s.additionalProperties, `${where}.*`, doc, out, seen);
  for (const k of ['anyOf', 'oneOf', 'allOf'] as const) {
    if (Array.isArray(s[k])) for (const sub of s[k] as unknown[]) problems(sub, where, doc, out, seen);
  }
}

describe('every request input is bounded in the OpenAPI document', () => {
  let engine: TestEngine;
  before(async () => {
    engine = await startTestEngine();
  });
  after(async () => engine.dispose());

  it('has maxItems, maxLength and number ranges on every request array, string and number', async () => {
    const res = await engine.app.inject({ method: 'GET', url: '/docs/json' });
    assert.equal(res.statusCode, 200);
    const doc = res.json() as Schema;
    const found: string[] = [];
    let checked = 0;
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, Schema>>)) {
      for (const [method, op] of Object.entries(ops)) {
        if (!op || typeof op !== 'object' || !('responses' in op)) continue;
        checked++;
        for (const p of (op.parameters as Schema[] | undefined) ?? []) problems(p.schema, `${method.toUpperCase()} ${path} ${p.in} ${p.name}`, doc, found);
        const content = (op.requestBody as { content?: Record<string, { schema?: unknown }> } | undefined)?.content ?? {};
        for (const [type, c] of Object.entries(content)) problems(c.schema, `${method.toUpperCase()} ${path} body(${type})`, doc, found);
      }
    }
    assert.ok(checked > 50, `only ${checked} operations found`);
    assert.deepEqual(found, [], `${found.length} unbounded inputs:\n${found.join('\n')}`);
  });
});
