/**
 * The error catalogue is the one list of error codes: every code src/ throws is in it (read from
 * the sources, test/helpers/error-codes-scan.ts), every code in it is thrown somewhere, the
 * statuses throw sites name agree with it, and docs/errors.md is what `npm run docs:errors`
 * renders from it (compared, never rewritten here).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERROR_CATALOGUE, catalogueEntry } from '../src/error-catalogue.js';
import { EngineError, NotFoundError } from '../src/errors.js';
import { scanErrorCodes } from './helpers/error-codes-scan.js';
import { ERRORS_DOC, renderErrorsDoc } from '../scripts/errors-doc.js';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));
const scan = scanErrorCodes(SRC);

describe('error catalogue', () => {
  it('lists every code thrown in src/', () => {
    const missing = scan.sites.filter((s) => !catalogueEntry(s.code)).map((s) => `${s.code} (${s.via} at ${s.where})`);
    assert.deepEqual(missing, [], 'add these codes to src/error-catalogue.ts, then run npm run docs:errors');
  });

  it('throws every code it lists somewhere (no dead entries)', () => {
    const thrown = new Set(scan.sites.map((s) => s.code));
    const dead = Object.keys(ERROR_CATALOGUE).filter((code) => !thrown.has(code));
    assert.deepEqual(dead, [], 'these catalogued codes are thrown nowhere in src/');
  });

  it('finds the codes of every throw site (a literal, a class default, or an existing error\'s .code)', () => {
    assert.ok(scan.sites.length > 300, `only ${scan.sites.length} throw sites found: the scanner lost track`);
    assert.deepEqual(scan.dynamic, [], 'pass the code as a string literal so the catalogue test can see it');
  });

  it('agrees with the statuses throw sites name', () => {
    const disagree = scan.sites
      .filter((s) => s.status !== undefined && catalogueEntry(s.code) && catalogueEntry(s.code)!.status !== s.status)
      .map((s) => `${s.code}: ${s.status} at ${s.where} (${s.via}), catalogue ${catalogueEntry(s.code)!.status}`);
    assert.deepEqual(disagree, []);
  });

  it('gives the HTTP status: a catalogued code\'s status wins over the one passed', () => {
    assert.equal(new EngineError('RENDER_BUSY', 'x', 500).httpStatus, 429);
    assert.equal(new NotFoundError('x', 'JOB_NOT_FOUND').httpStatus, 404);
    assert.equal(new EngineError('NOT_IN_THE_CATALOGUE', 'x', 418).httpStatus, 418);
    for (const [code, e] of Object.entries(ERROR_CATALOGUE)) {
      assert.ok(e.status >= 400 && e.status <= 599, `${code}: status ${e.status}`);
      assert.ok(e.description.length > 0, `${code}: no description`);
    }
  });

  it('is rendered to docs/errors.md (run npm run docs:errors after changing it)', () => {
    const doc = readFileSync(ERRORS_DOC, 'utf8');
    assert.equal(doc, renderErrorsDoc(), 'docs/errors.md is stale: run npm run docs:errors');
    for (const code of Object.keys(ERROR_CATALOGUE)) assert.ok(doc.includes(`\`${code}\``), code);
  });
});
