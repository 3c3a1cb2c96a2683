/**
 * The algorithm registry: every algorithm declares its name (a stable API), a description, a
 * TypeBox schema for its parameters (defaults and bounds), what it reads and the schema of its
 * result. `validateParameters` fills defaults and turns schema violations into a 422 that names
 * the parameter; `runAlgorithm` runs one on pixels already in memory (the worker task does the
 * file reading and writing around it).
 */
import type { Static, TSchema } from 'typebox';
import { createRequire } from 'node:module';
import type { Validator } from 'typebox/compile';
import type { ImagePlane } from '../core/image-plane.js';
import { ValidationError } from '../errors.js';
import type { PixelMask } from './mask.js';

/**
 * TypeBox's compiler is about 300 small modules (a quarter of a second of CPU to load): it loads on
 * the first parameters to validate rather than when the engine starts. `require` of an ES module
 * is synchronous in Node >= 20.19, which keeps `validateParameters` synchronous.
 */
let compiler: typeof import('typebox/compile') | undefined;
function compile(schema: TSchema): Validator {
  compiler ??= createRequire(import.meta.url)('typebox/compile') as typeof import('typebox/compile');
  return compiler.Compile(schema);
}

/** What an algorithm reads besides the image: its ERR extension, a second image. */
export type AlgorithmInputKind = 'image' | 'error' | 'second_image';

export interface AlgorithmInput {
  readonly plane: ImagePlane;
  readonly mask?: PixelMask;
  /** The ERR extension of the same shape, when the file has one. */
  readonly error?: ImagePlane;
  /** The second image (compare). */
  readonly other?: ImagePlane;
  /** 0-based pixel -> [ra, dec] in degrees, when the image has a celestial WCS. */
  readonly pixelToWorld?: (x: number, y: number) => readonly [number, number];
}

export interface OutputImage {
  /** Short name used in the file name and EXTNAME: background, segmentation, filtered, ... */
  readonly name: string;
  readonly data: Float32Array | Float64Array | Int32Array;
  readonly description: string;
}

export interface AlgorithmOutput {
  readonly results: Record<string, unknown>;
  readonly images?: readonly OutputImage[];
}

export interface RunContext {
  /** Reports progress in [0, 1] with a short message (jobs show it). */
  progress(fraction: number, message?: string): void;
}

export interface AlgorithmDefinition<S extends TSchema = TSchema> {
  readonly name: string;
  readonly description: string;
  readonly inputs: readonly AlgorithmInputKind[];
  readonly parameters: S;
  readonly result: TSchema;
  /** Names of the images this algorithm can write (FITS under processed/). */
  readonly outputs: readonly string[];
  run(input: AlgorithmInput, params: Static<S>, ctx: RunContext): AlgorithmOutput;
}

/** Keeps the parameter type tied to the schema at each definition. */
export function defineAlgorithm<S extends TSchema>(def: AlgorithmDefinition<S>): AlgorithmDefinition {
  return def as unknown as AlgorithmDefinition;
}

export class UnknownAlgorithmError extends ValidationError {
  constructor(name: string, known: readonly string[]) {
    super(`Unknown algorithm '${name}'. Available: ${known.join(', ')}`, 'UNKNOWN_ALGORITHM');
  }
}

export class AlgorithmRegistry {
  private readonly byName = new Map<string, AlgorithmDefinition>();
  /** One compiled validator per algorithm, built on its first use and kept (compiling is the costly part). */
  private readonly validators = new Map<string, Validator>();

  constructor(definitions: readonly AlgorithmDefinition[]) {
    for (const d of definitions) {
      if (this.byName.has(d.name)) throw new Error(`duplicate algorithm ${d.name}`);
      this.byName.set(d.name, d);
    }
  }

  get names(): string[] {
    return [...this.byName.keys()];
  }

  list(): AlgorithmDefinition[] {
    return [...this.byName.values()];
  }

  get(name: string): AlgorithmDefinition {
    const d = this.byName.get(name);
    if (!d) throw new UnknownAlgorithmError(name, this.names);
    return d;
  }

  private validator(def: AlgorithmDefinition): Validator {
    let v = this.validators.get(def.name);
    if (!v) {
      v = compile(def.parameters);
      this.validators.set(def.name, v);
    }
    return v;
  }

  /**
   * Fills defaults and validates; throws a 422 naming each bad parameter. With `coerce`, string
   * values (CLI `--param k=v`) are converted to the schema's types first.
   */
  validateParameters(name: string, parameters: unknown, options: { coerce?: boolean } = {}): Record<string, unknown> {
    const def = this.get(name);
    if (parameters !== undefined && parameters !== null && (typeof parameters !== 'object' || Array.isArray(parameters))) {
      throw new ValidationError('parameters must be an object');
    }
    const validator = this.validator(def);
    let value: unknown = structuredClone(parameters ?? {});
    if (options.coerce) value = validator.Convert(value);
    value = validator.Default(value);
    if (!validator.Check(value)) {
      const problems = new Map<string, string>();
      for (const e of validator.Errors(value)) {
        if (e.keyword === 'boolean') continue;
        const extra = (e.params as { additionalProperties?: string[] }).additionalProperties;
        if (extra) {
          for (const p of extra) problems.set(p, `unknown parameter '${p}' for ${name}`);
          continue;
        }
        const path = e.instancePath.replace(/^\//, '').replace(/\//g, '.') || '(parameters)';
        if (!problems.has(path)) problems.set(path, `parameter '${path}' ${e.message}`);
      }
      throw new ValidationError(`Invalid parameters for ${name}: ${[...problems.values()].join('; ')}`, 'INVALID_PARAMETERS');
    }
    return value as Record<string, unknown>;
  }

  /** Validates and runs on pixels in memory. */
  run(name: string, input: AlgorithmInput, parameters: unknown, ctx: RunContext = { progress() {} }): { parameters: Record<string, unknown>; output: AlgorithmOutput } {
    const params = this.validateParameters(name, parameters);
    const def = this.get(name);
    return { parameters: params, output: def.run(input, params as never, ctx) };
  }

  /** The public description (GET /algorithms). */
  describe(): Array<{ name: string; description: string; inputs: readonly string[]; outputs: readonly string[]; parameters: unknown; result: unknown }> {
    return this.list().map((d) => ({
      name: d.name,
      description: d.description,
      inputs: d.inputs,
      outputs: d.outputs,
      parameters: JSON.parse(JSON.stringify(d.parameters)) as unknown,
      result: JSON.parse(JSON.stringify(d.result)) as unknown,
    }));
  }
}
