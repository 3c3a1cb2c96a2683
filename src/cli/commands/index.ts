/** Every CLI command module; each adds its command(s) to the program. */
import type { Command } from 'commander';

export type CommandModule = (program: Command) => void;

export const commandModules: CommandModule[] = [];
