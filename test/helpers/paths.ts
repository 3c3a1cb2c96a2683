/** Where the shared, read-only material lives: `../shared` beside the repository (CI has it there). */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const SHARED_DIR = resolve(REPO_ROOT, '../shared');
