/**
 * The yaml package, loaded with the first ECSV header read or written rather than when the engine
 * starts (it is ~80 modules; an engine that never opens a table does not pay for them).
 */
import { createRequire } from 'node:module';

let yaml: typeof import('yaml') | undefined;

export function loadYaml(): typeof import('yaml') {
  yaml ??= createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return yaml;
}
