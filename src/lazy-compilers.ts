/**
 * Fastify's own schema compilers (Ajv for requests, fast-json-stringify for responses), each
 * route's compiled on its first use instead of all at start. Compiling every route's schemas up
 * front was about a second of CPU before the engine could listen (npm start < 3 s, #12); a route
 * pays its few milliseconds on its first request instead. Behaviour is otherwise Fastify's: the
 * same compilers with the same options, and a schema that cannot compile still fails, on its
 * first use (the tests compile every schema eagerly: `lazy: false`).
 */
import AjvCompiler from '@fastify/ajv-compiler';
import SerializerSelector from '@fastify/fast-json-stringify-compiler';

type ValidatorFactory = AjvCompiler.ValidatorFactory;
type SerializerFactory = SerializerSelector.SerializerFactory;
type Validate = ReturnType<ReturnType<ValidatorFactory>>;

/** A validator that compiles on its first call; Fastify reads `.errors` after a failed call. */
function lazyValidator(compile: () => Validate): Validate {
  let compiled: Validate | undefined;
  const validate = ((data: unknown) => {
    compiled ??= compile();
    const result = (compiled as (d: unknown) => unknown)(data);
    (validate as { errors?: unknown }).errors = (compiled as { errors?: unknown }).errors;
    return result;
  }) as Validate;
  return validate;
}

export interface SchemaCompilers {
  readonly buildValidator: ValidatorFactory;
  readonly buildSerializer: SerializerFactory;
}

/** `lazy: false` gives Fastify's default behaviour (every schema compiled when routes are ready). */
export function schemaCompilers(lazy: boolean): SchemaCompilers {
  const validators = AjvCompiler();
  const serializers = SerializerSelector();
  if (!lazy) return { buildValidator: validators, buildSerializer: serializers };
  return {
    buildValidator: ((externalSchemas, options) => {
      const compilerFor = validators(externalSchemas, options);
      return (routeSchema) => lazyValidator(() => compilerFor(routeSchema));
    }) as ValidatorFactory,
    buildSerializer: (externalSchemas, options) => {
      const compilerFor = serializers(externalSchemas, options);
      return (routeSchema) => {
        let serialize: ((data: unknown) => string) | undefined;
        return (data: unknown) => (serialize ??= compilerFor(routeSchema))(data);
      };
    },
  };
}
