/**
 * Records follow jobs, whatever their kind: the FITS/ECSV outputs of a job that completes become
 * library records with their lineage (the job, and the records of the files it was made from),
 * and when a job is removed its records whose files are gone are marked missing. The job core
 * calls these through its generic hooks (JobService.beforeComplete and its `removed` events); this
 * module knows jobs only by the few fields below.
 */
import type { Queryable } from '../db/index.js';
import type { LibraryService, PreparedFile } from './service.js';
import { isLibraryFile } from './facts.js';
import type { LibraryRecord } from './record.js';

/** What the library reads of a finished job. */
export interface FinishedJob {
  readonly id: string;
  readonly kind: string;
  readonly owner: string | null;
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly outputs: ReadonlyArray<{ readonly path: string }>;
}

/** Request keys that name input files (or records) in every kind's inputs, nested channels included. */
const FILE_KEYS = new Set(['file_path', 'file_paths', 'other_file_path', 'data_id', 'data_ids', 'local_path', 'local_paths']);
const MAX_DEPTH = 5;
const MAX_INPUTS = 2000;

/** Every string under a file key of the inputs, in order, once. */
export function inputFileNames(inputs: unknown): string[] {
  const out = new Set<string>();
  const visit = (node: unknown, depth: number, fileKey: boolean) => {
    if (out.size >= MAX_INPUTS || depth > MAX_DEPTH) return;
    if (typeof node === 'string') {
      if (fileKey && node) out.add(node);
    } else if (Array.isArray(node)) {
      for (const item of node) visit(item, depth + 1, fileKey);
    } else if (node !== null && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) visit(v, depth + 1, FILE_KEYS.has(k));
    }
  };
  visit(inputs, 0, false);
  return [...out];
}

/** Downloads keep MAST's public files public and unowned; every other kind's outputs are its owner's. */
function sourceOf(kind: string): 'download' | 'job' {
  return kind === 'download' || kind.startsWith('download') ? 'download' : 'job';
}

/**
 * Record writes prepared outside any transaction, to commit in one: `write` in the transaction
 * (run again if that transaction is retried), `committed` once it committed.
 */
export interface PreparedWrites {
  write(tx: Queryable): Promise<void>;
  committed(): void;
}

/**
 * The records of the job's library files (FITS, ECSV) as made by the job from its input records:
 * the file work now (headers, SHA-256, the input records' ids), the writes when the caller
 * commits them (the job core: in the transaction that marks the job completed). Undefined when the
 * job wrote no library file.
 */
export async function prepareJobOutputs(library: LibraryService, job: FinishedJob): Promise<PreparedWrites | undefined> {
  const files = job.outputs.filter((o) => isLibraryFile(o.path));
  if (files.length === 0) return undefined;
  const inputIds: string[] = [];
  for (const name of inputFileNames(job.inputs)) {
    const record = await library.recordOf(name);
    if (record && !inputIds.includes(record.dataId)) inputIds.push(record.dataId);
  }
  const source = sourceOf(job.kind);
  const prepared: PreparedFile[] = [];
  for (const file of files) {
    prepared.push(await library.prepareCompletedFile({
      path: file.path,
      source,
      jobId: job.id,
      inputIds: source === 'job' ? inputIds : [],
      owner: source === 'job' ? job.owner : null,
    }));
  }
  return preparedWrites(library, prepared);
}

/** What the library reads of a downloaded file (the download manager's `CompletedDownload`). */
export interface DownloadedFile {
  readonly jobId: string;
  readonly localPath: string;
  readonly relativePath: string;
  readonly sha256: string | null;
  readonly owner: string | null;
}

/**
 * The download manager's `onFileComplete` for a library: a downloaded file's record prepared now
 * (headers; the SHA-256 the download verified), written in the transaction that saves the file as
 * complete in its job. In the downloader's "my data"; MAST's archive files stay public. `inBucket`:
 * downloads go to object storage, where the file is the object of its relative path (its local
 * path names the DATA_DIR of the node that accepted the download, not this one's).
 */
export function downloadRecords(library: LibraryService, options: { readonly inBucket: boolean }): (file: DownloadedFile) => Promise<PreparedWrites> {
  return async (f) => {
    const path = options.inBucket ? f.relativePath : f.localPath;
    const prepared = await library.prepareCompletedFile({ path, source: 'download', sha256: f.sha256, jobId: f.jobId, owner: f.owner, visibility: 'public' });
    return preparedWrites(library, [prepared]);
  };
}

/** The writes of prepared records; `committed` starts their thumbnails. */
export function preparedWrites(library: LibraryService, prepared: readonly PreparedFile[]): PreparedWrites {
  let written: LibraryRecord[] = [];
  return {
    async write(tx) {
      const records: LibraryRecord[] = [];
      for (const p of prepared) records.push(await library.commitCompletedFile(p, tx));
      written = records;
    },
    committed() {
      written.forEach((record, i) => void library.afterCommit(prepared[i]!, record));
    },
  };
}
