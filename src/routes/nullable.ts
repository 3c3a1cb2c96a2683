/**
 * Optional request fields that also accept an explicit null (the .NET backend sends them).
 */
import { Type, type Static, type TSchema } from 'typebox';

/**
 * `T | null`, optional. Written as one JSON-schema `type: [t, "null"]` rather than `anyOf` wherever
 * the schema has a single type: with the validator's type coercion an `anyOf` branch rewrites the
 * value before another branch matches (0 or false became null and skipped the range checks; null
 * became [0] for an array of numbers). A `string | string[]` field is declared as an array:
 * coercion wraps a lone string.
 */
export function nullable<T extends TSchema>(t: T) {
  const type = (t as { type?: unknown }).type;
  if (typeof type === 'string') return Type.Optional(Type.Unsafe<Static<T> | null>({ ...t, type: [type, 'null'] }));
  return Type.Optional(Type.Union([t, Type.Null()]));
}

/** An optional, nullable string enum. */
export function nullableEnum<const V extends readonly string[]>(values: V, options: { default?: V[number]; description?: string } = {}) {
  return Type.Optional(Type.Unsafe<V[number] | null>({ type: ['string', 'null'], enum: [...values, null], ...options }));
}
