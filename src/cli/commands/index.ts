/** Every CLI command module; each adds its command(s) to the program. */
import type { Command } from 'commander';
import { searchCommands } from './search.js';
import { previewCommands } from './preview.js';
import { fitsInfoCommands } from './fits-info.js';
import { analyzeCommands } from './analyze.js';
import { downloadCommands } from './download.js';
import { skyCommands } from './sky.js';
import { tableCommands } from './tables.js';
import { workerCommands } from './worker.js';
import { libraryCommands } from './library.js';
import { apiKeyCommands } from './api-key.js';

export type CommandModule = (program: Command) => void;

export const commandModules: CommandModule[] = [
  searchCommands,
  previewCommands,
  fitsInfoCommands,
  analyzeCommands,
  downloadCommands,
  skyCommands,
  workerCommands,
  tableCommands,
  libraryCommands,
  apiKeyCommands,
];
