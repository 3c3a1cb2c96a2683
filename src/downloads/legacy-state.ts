/**
 * Download state written by older engines (and by the Python engine): one JSON file per job in
 * `{MAST_DOWNLOAD_DIR}/.download_state/{job_id}.json` (contract §3.5). Downloads are job-core
 * records now; at start each such file is imported once into the job store (the record keeps the
 * same job id, the file's content as its checkpoint) and renamed `{job_id}.json.imported`, so it
 * is never read twice. Unreadable files are reported and left as they are.
 */
import { readdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { jobFromJson, type Job } from './job.js';

export const STATE_DIR_NAME = '.download_state';

export interface LegacyState {
  readonly job: Job;
  /** The state file, to mark imported. */
  readonly file: string;
}

/** The readable state files of `downloadDir`, oldest job first. */
export async function readLegacyStates(downloadDir: string, onBadFile: (file: string, err: unknown) => void = () => undefined): Promise<LegacyState[]> {
  const dir = join(downloadDir, STATE_DIR_NAME);
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: LegacyState[] = [];
  for (const name of names.sort()) {
    if (!name.endsWith('.json')) continue;
    const file = join(dir, name);
    try {
      out.push({ job: jobFromJson(JSON.parse(await readFile(file, 'utf8'))), file });
    } catch (err) {
      onBadFile(name, err);
    }
  }
  return out.sort((a, b) => a.job.createdAt.localeCompare(b.job.createdAt));
}

/** Renames an imported state file so no start reads it again (kept for a person to inspect). */
export async function markImported(file: string): Promise<void> {
  await rename(file, `${file}.imported`);
}
