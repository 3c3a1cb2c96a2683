/**
 * `jwst-engine analyze FILE ALGORITHM [--param k=v ...] [--json] [--hdu N] [--slice N] [--output-dir DIR]`:
 * runs one registry algorithm on a local FITS file, in-process, exactly as POST /process does.
 * Values after `=` are read as JSON when they parse (numbers, true/false, null, [[x, y], ...])
 * and as strings otherwise. `jwst-engine analyze --list` prints the algorithms.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { algorithms } from '../../analysis/algorithms/index.js';
import { processFile } from '../../analysis/process-file.js';
import { TABLE_FORMATS } from '../../analysis/output-tables.js';

interface AnalyzeOpts {
  param: string[];
  json?: boolean;
  hdu?: string;
  slice?: string;
  outputDir?: string;
  tables?: string;
  list?: boolean;
}

/** Parses repeated `k=v` options into an object (JSON values when they parse). */
export function parseParams(pairs: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--param expects key=value, got "${pair}"`);
    const key = pair.slice(0, eq).trim();
    const text = pair.slice(eq + 1);
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      // a plain string such as mode=reflect
    }
    out[key] = value;
  }
  return out;
}

function integer(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new Error(`--${name} expects an integer, got "${value}"`);
  return n;
}

function summary(results: Record<string, unknown>): string {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(results)) {
    if (Array.isArray(v)) lines.push(`${k}: ${v.length} rows (use --json for all)`);
    else if (v !== null && typeof v === 'object') lines.push(`${k}: ${JSON.stringify(v)}`);
    else lines.push(`${k}: ${String(v)}`);
  }
  return lines.join('\n');
}

export function analyzeCommands(program: Command): void {
  program
    .command('analyze')
    .description('run an analysis algorithm (statistics, background_2d, segmentation, find_stars, aperture_photometry, filters, ...) on a FITS file')
    .argument('[file]', 'FITS file')
    .argument('[algorithm]', `one of: ${algorithms.names.join(', ')}`)
    .option('-p, --param <key=value>', 'algorithm parameter (repeatable); JSON values allowed', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--json', 'print the whole answer as JSON')
    .option('--hdu <n>', 'HDU index (default: first image HDU)')
    .option('--slice <n>', 'cube slice (default: middle)')
    .option('--output-dir <dir>', 'write output images (FITS) here')
    .option('--tables <format>', `with --output-dir, also save the result catalogues as tables: ${TABLE_FORMATS.join(', ')}`, 'none')
    .option('--list', 'list the algorithms and their parameters')
    .action(async (file: string | undefined, algorithm: string | undefined, opts: AnalyzeOpts) => {
      if (opts.list || !file || !algorithm) {
        if (!opts.list && (!file || !algorithm)) throw new Error('usage: jwst-engine analyze FILE ALGORITHM [--param k=v ...] [--json] (or --list)');
        for (const a of algorithms.describe()) {
          const props = (a.parameters as { properties?: Record<string, { default?: unknown }> }).properties ?? {};
          const params = Object.entries(props).map(([k, s]) => (s.default === undefined ? k : `${k}=${JSON.stringify(s.default)}`));
          process.stdout.write(`${a.name}\n  ${a.description}\n  parameters: ${params.join(' ') || '(none)'}\n`);
        }
        return;
      }
      // validate (with string coercion for bare values) before reading anything
      const parameters = algorithms.validateParameters(algorithm, parseParams(opts.param), { coerce: true });
      const tableFormat = TABLE_FORMATS.find((f) => f === opts.tables);
      if (!tableFormat) throw new Error(`--tables must be one of: ${TABLE_FORMATS.join(', ')}`);
      const other = parameters.other_file_path;
      const result = await processFile({
        algorithm,
        parameters,
        filePath: resolve(file),
        hdu: integer(opts.hdu, 'hdu') ?? null,
        sliceIndex: integer(opts.slice, 'slice') ?? null,
        ...(typeof other === 'string' ? { otherFilePath: resolve(other) } : {}),
        ...(opts.outputDir ? { outputDir: resolve(opts.outputDir), outputRelativeDir: `${resolve(opts.outputDir)}/`, tableFormat } : {}),
      });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      process.stdout.write(`${algorithm} on ${file} [HDU ${result.image.hdu} ${result.image.extname}, ${result.image.width}x${result.image.height}] in ${result.timing.total_ms} ms\n`);
      process.stdout.write(`${summary(result.results)}\n`);
      for (const f of result.output_files) process.stdout.write(`wrote ${f}\n`);
    });
}
