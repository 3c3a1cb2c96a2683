/**
 * Every CLI command module, by the top-level command names it registers, loaded only when asked
 * for: a command's module imports what it runs (the download engine, imaging, the analysis code,
 * an HTTP server for `worker`), ~1,400 modules and ~1.3 CPU s for all of them at once, so
 * `jwst-engine download ...` loads the download command's only (issue #20, session 17).
 * `test/cli/commands.test.ts` checks that each module registers exactly the names listed here.
 */
import type { Command } from 'commander';

export type CommandModule = (program: Command) => void;

export interface CommandEntry {
  /** The top-level commands the module adds to the program. */
  readonly names: readonly string[];
  readonly load: () => Promise<CommandModule>;
}

export const commandEntries: readonly CommandEntry[] = [
  { names: ['search', 'products'], load: async () => (await import('./search.js')).searchCommands },
  { names: ['preview'], load: async () => (await import('./preview.js')).previewCommands },
  { names: ['info', 'header'], load: async () => (await import('./fits-info.js')).fitsInfoCommands },
  { names: ['analyze'], load: async () => (await import('./analyze.js')).analyzeCommands },
  { names: ['download'], load: async () => (await import('./download.js')).downloadCommands },
  { names: ['mosaic', 'composite', 'footprint', 'wcs'], load: async () => (await import('./sky.js')).skyCommands },
  { names: ['worker'], load: async () => (await import('./worker.js')).workerCommands },
  { names: ['table', 'spectrum'], load: async () => (await import('./tables.js')).tableCommands },
  { names: ['library'], load: async () => (await import('./library.js')).libraryCommands },
  { names: ['api-key'], load: async () => (await import('./api-key.js')).apiKeyCommands },
];

/**
 * The modules a command line needs: those naming a word of `args` (the arguments after the
 * program's name), in the listed order; none for a line of options only that asks for the version
 * (`--version`, `-V`) and not for help (commander prints the version, which no command changes,
 * and exits: issue #20, session 18); every module otherwise when none is named (help, a misspelt
 * command, which commander then answers with the full list). A word that names a command only by
 * chance (an option's value) loads one module more, no harm.
 */
export async function commandModulesFor(args: readonly string[]): Promise<CommandModule[]> {
  const words = new Set(args.filter((a) => !a.startsWith('-')));
  if (words.size === 0 && args.some((a) => a === '--version' || a === '-V') && !args.some((a) => a === '--help' || a === '-h')) return [];
  const named = commandEntries.filter((e) => e.names.some((n) => words.has(n)));
  return Promise.all((named.length > 0 ? named : commandEntries).map((e) => e.load()));
}
