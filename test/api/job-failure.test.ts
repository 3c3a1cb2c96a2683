/**
 * What a route answers for a job that did not complete (`jobFailure`, src/routes/job-support.ts):
 * the record's own error, and, for a 503 (out of threads, database or queue away), the Retry-After
 * the same error carries outside a job; the record keeps no headers (session 14).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { jobFailure } from '../../src/routes/job-support.js';
import type { JobRecord } from '../../src/jobs/index.js';

const record = (state: JobRecord['state'], error: JobRecord['error']): JobRecord => ({ state, error } as unknown as JobRecord);

describe('jobFailure', () => {
  it('a failed job answers its own error; a 503 says when to retry', () => {
    const e = jobFailure(record('failed', { code: 'THREADS_UNAVAILABLE', message: 'The server cannot start a worker thread now; try again', httpStatus: 503 }));
    assert.equal(e.code, 'THREADS_UNAVAILABLE');
    assert.equal(e.httpStatus, 503);
    assert.equal(e.headers['retry-after'], '2');
    const other = jobFailure(record('failed', { code: 'FITS_TOO_LARGE', message: 'too large', httpStatus: 413 }));
    assert.equal(other.httpStatus, 413);
    assert.equal(other.headers['retry-after'], undefined);
  });

  it('a job in any other state answers 409 JOB_NOT_COMPLETED', () => {
    const e = jobFailure(record('cancelled', null));
    assert.equal(e.code, 'JOB_NOT_COMPLETED');
    assert.equal(e.httpStatus, 409);
  });
});
