#!/usr/bin/env node
/**
 * `jwst-engine`: the command-line face of the same core the HTTP API uses.
 * Each command lives in `commands/<name>.ts` and registers itself on the program.
 */
import { Command } from 'commander';
import { VERSION } from '../version.js';
import { commandModules } from './commands/index.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('jwst-engine')
    .description('JWST data from the terminal: MAST search, downloads, FITS inspection, previews and analysis')
    .version(VERSION);
  for (const register of commandModules) register(program);
  return program;
}

const isMain = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop() ?? '');
if (isMain) {
  buildProgram().parseAsync(process.argv).catch((err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
