/**
 * Where the tests' read-only material lives: `test/fixtures/` inside the repository (the FITS
 * corpus with its astropy answers, the captured MAST responses), so a plain clone runs the tests.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const FIXTURES_DIR = resolve(REPO_ROOT, 'test/fixtures');
/** The FITS corpus (see its SOURCES.md) and REFERENCE.json, astropy's answers for it. */
export const CORPUS_PATH = resolve(FIXTURES_DIR, 'fits-corpus');
/** Real MAST responses (see its SOURCES.md). */
export const MAST_SAMPLES_PATH = resolve(FIXTURES_DIR, 'mast-samples');
