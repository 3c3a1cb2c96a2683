#!/usr/bin/env node
/**
 * `jwst-engine`: the command-line face of the same core the HTTP API uses.
 * Each command lives in `commands/<name>.ts` and registers itself on the program.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { VERSION } from '../version.js';
import { commandModulesFor } from './commands/index.js';
import { cliErrorMessage } from './error-message.js';
import { remoteOptions } from './remote.js';

/** The program with the commands `args` (the arguments after the program's name) need; every command when none is named. */
export async function buildProgram(args: readonly string[] = process.argv.slice(2)): Promise<Command> {
  const program = new Command();
  program
    .name('jwst-engine')
    .description('JWST data from the terminal: MAST search, downloads, FITS inspection, previews and analysis')
    .version(VERSION);
  remoteOptions(program);
  for (const register of await commandModulesFor(args)) register(program);
  return program;
}

/**
 * Run when this file is the program, however it was reached: `node dist/cli/main.js`, or a bin link
 * (`npm install -g`, `npx`, `npm link`, any symlink, whatever its name). Both sides are compared as
 * real paths, so links and relative paths resolve to this file.
 */
function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false; // argv[1] is not a file (node -e, a REPL): imported, not run
  }
}

if (invokedDirectly()) {
  // A reader that goes away (`jwst-engine table big.fits --csv | head`) ends the output, as it ends
  // any Unix tool's: exit quietly instead of dying on an unhandled EPIPE with a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    process.stderr.write(`error: ${cliErrorMessage(err)}\n`);
    process.exit(1);
  });
  buildProgram().then((program) => program.parseAsync(process.argv)).catch((err: unknown) => {
    process.stderr.write(`error: ${cliErrorMessage(err)}\n`);
    process.exit(1);
  });
}
