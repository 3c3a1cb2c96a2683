/** Download job records made for tests and benches (issue #20). */
import type { JobRecord } from '../../src/jobs/index.js';

const BASE = Date.parse('2026-12-01T00:00:00.000Z');
const at = (s: number) => new Date(BASE + s * 1000).toISOString();

/** A completed download record of `files` files, created at second `n` after 2026-12-01, its checkpoint written whole (a run keeps the files in chunk rows); for the jobs-list tests and bench/downloads/jobs-list.ts. */
export function finishedDownloadRecord(id: string, n: number, files: number): JobRecord {
  const dir = `/data/downloads/${id}`;
  const list = Array.from({ length: files }, (_, f) => ({
    filename: `${id}_${f}_cal.fits`, url: `https://mast.example/${id}/${f}`, data_uri: `mast:JWST/product/${id}_${f}_cal.fits`,
    local_path: `${dir}/${id}_${f}_cal.fits`, relative_path: `${id}/${id}_${f}_cal.fits`, total_bytes: 1000 + f, total_known: true,
    downloaded_bytes: 1000 + f, status: 'complete', error: null, started_at: at(n), completed_at: at(n + 1), sha256: 'ab'.repeat(32),
    etag: null, last_modified: null, ranges: [[0, 1000 + f]], sequential: true, fits_checksum: 'valid',
  }));
  return {
    id, kind: 'download', state: 'completed', progress: 1, stage: 'Completed', createdAt: at(n), startedAt: at(n), finishedAt: at(n + 2), updatedAt: at(n + 2),
    owner: null, inputs: { obs_id: id, product_type: 'SCIENCE' }, result: null, outputs: [], error: null, pauseReason: null, attempts: 1,
    checkpoint: {
      schema_version: 1, job_id: id, obs_id: id, product_type: 'SCIENCE', calib_level: null, subgroup: null, extension: null, product_id: null,
      product_filenames: null, download_dir: dir, files: list, total_bytes: 0, downloaded_bytes: 0, status: 'complete', pause_reason: null,
      message: `Downloaded ${files} files`, created_at: at(n), started_at: at(n), completed_at: at(n + 2), error: null, saved_at: at(n + 2),
    },
  };
}
