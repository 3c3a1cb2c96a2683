/**
 * Fastify's own schema compilers (Ajv for requests, fast-json-stringify for responses), with two
 * changes:
 * - each route's schemas compile on its first use instead of all at start. Compiling every route's
 *   schemas up front was about a second of CPU before the engine could listen (npm start < 3 s,
 *   #12); a route pays its few milliseconds on its first request instead. A schema that cannot
 *   compile still fails, on its first use (the tests compile every schema eagerly: `lazy: false`).
 * - no request value is ever ±Infinity or NaN. JSON cannot carry them, but Ajv's type coercion
 *   turns the strings "Infinity" and "-Infinity" into numbers and then passes them whatever
 *   `minimum`/`maximum` say (found by the hostile-input campaign: `{"offset": "-Infinity"}`).
 */
import AjvCompiler from '@fastify/ajv-compiler';
import SerializerSelector from '@fastify/fast-json-stringify-compiler';

type ValidatorFactory = AjvCompiler.ValidatorFactory;
type SerializerFactory = SerializerSelector.SerializerFactory;
type Validate = ReturnType<ReturnType<ValidatorFactory>>;
type ValidationErrorItem = { instancePath: string; schemaPath: string; keyword: string; params: Record<string, unknown>; message: string };

/** The path of the first number in `value` that is not finite, or undefined. */
function nonFinitePath(value: unknown, path = '', depth = 0): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : path;
  if (value === null || typeof value !== 'object' || depth > 64 || ArrayBuffer.isView(value)) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = nonFinitePath(value[i], `${path}/${i}`, depth + 1);
      if (p !== undefined) return p;
    }
    return undefined;
  }
  for (const [k, v] of Object.entries(value)) {
    const p = nonFinitePath(v, `${path}/${k}`, depth + 1);
    if (p !== undefined) return p;
  }
  return undefined;
}

/**
 * Validates with `compile()`'s validator, made on the first call when `lazy`; refuses non-finite
 * numbers. Fastify reads `.errors` after a failed call.
 */
function guardedValidator(compile: () => Validate, lazy: boolean): Validate {
  let compiled: Validate | undefined = lazy ? undefined : compile();
  const validate = ((data: unknown) => {
    compiled ??= compile();
    const result = (compiled as (d: unknown) => unknown)(data);
    let errors = (compiled as { errors?: unknown }).errors;
    if (result === true) {
      const at = nonFinitePath(data);
      if (at !== undefined) {
        const item: ValidationErrorItem = { instancePath: at, schemaPath: '#/type', keyword: 'type', params: { type: 'number' }, message: 'must be a finite number' };
        errors = [item];
        (validate as { errors?: unknown }).errors = errors;
        return false;
      }
    }
    (validate as { errors?: unknown }).errors = errors;
    return result;
  }) as Validate;
  return validate;
}

export interface SchemaCompilers {
  readonly buildValidator: ValidatorFactory;
  readonly buildSerializer: SerializerFactory;
}

/** `lazy: false` compiles every schema when routes are ready, as Fastify does by default. */
export function schemaCompilers(lazy: boolean): SchemaCompilers {
  const validators = AjvCompiler();
  const serializers = SerializerSelector();
  return {
    buildValidator: ((externalSchemas, options) => {
      const compilerFor = validators(externalSchemas, options);
      return (routeSchema) => guardedValidator(() => compilerFor(routeSchema), lazy);
    }) as ValidatorFactory,
    buildSerializer: lazy
      ? (externalSchemas, options) => {
        const compilerFor = serializers(externalSchemas, options);
        return (routeSchema) => {
          let serialize: ((data: unknown) => string) | undefined;
          return (data: unknown) => (serialize ??= compilerFor(routeSchema))(data);
        };
      }
      : serializers,
  };
}
