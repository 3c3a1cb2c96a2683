/**
 * Where jobs are kept between runs. The embedded default is `FileJobStore` (one JSON file per job);
 * `MemoryJobStore` serves tests and embedding; a distributed backend (Redis) implements the same
 * four operations. Every store passes test/downloads/job-store.conformance.ts.
 */
import { jobFromJson, jobToJson, JOB_ID_PATTERN, type Job, type JobJson } from './job.js';
import { ValidationError } from '../errors.js';

export interface JobStore {
  /** Saves the job atomically: a reader sees the old or the new state, never a mix. */
  save(job: Job): Promise<void>;
  /** The saved job, or undefined when there is none (or it cannot be read). */
  load(jobId: string): Promise<Job | undefined>;
  /** Every readable saved job. */
  list(): Promise<Job[]>;
  /** Forgets the job; forgetting an unknown job is fine. */
  delete(jobId: string): Promise<void>;
}

export function assertJobId(jobId: string): void {
  if (!JOB_ID_PATTERN.test(jobId)) throw new ValidationError(`invalid job id ${JSON.stringify(jobId)}`, 'DOWNLOAD_BAD_JOB_ID');
}

/** Keeps saved forms (not live objects), so it behaves like a real store: loads are copies. */
export class MemoryJobStore implements JobStore {
  private readonly saved = new Map<string, JobJson>();

  async save(job: Job): Promise<void> {
    assertJobId(job.id);
    this.saved.set(job.id, JSON.parse(JSON.stringify(jobToJson(job))) as JobJson);
  }

  async load(jobId: string): Promise<Job | undefined> {
    if (!JOB_ID_PATTERN.test(jobId)) return undefined;
    const json = this.saved.get(jobId);
    return json ? jobFromJson(JSON.parse(JSON.stringify(json))) : undefined;
  }

  async list(): Promise<Job[]> {
    return [...this.saved.values()].map((j) => jobFromJson(JSON.parse(JSON.stringify(j))));
  }

  async delete(jobId: string): Promise<void> {
    this.saved.delete(jobId);
  }
}
