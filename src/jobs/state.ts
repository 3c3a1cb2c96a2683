/**
 * The one state machine:
 *
 *   queued ──→ running ──→ completed | failed | cancelled
 *     │  ↑        │ ↑ (re-queued when its run was cut: restart, stalled worker)
 *     │  └────────┘ └──→ paused ──→ queued (resume)
 *     └──→ paused | cancelled | failed
 *   failed ──→ queued (retry)      completed and cancelled are final.
 *
 * Every change goes through `transition`, which refuses anything else.
 */
import { ConflictError } from '../errors.js';
import type { JobPauseReason, JobRecord, JobState } from './types.js';

const TRANSITIONS: Readonly<Record<JobState, readonly JobState[]>> = {
  queued: ['running', 'paused', 'cancelled', 'failed'],
  running: ['completed', 'failed', 'cancelled', 'paused', 'queued'],
  paused: ['queued', 'cancelled'],
  failed: ['queued'],
  completed: [],
  cancelled: [],
};

export function canTransition(from: JobState, to: JobState): boolean {
  return TRANSITIONS[from].includes(to);
}

export class JobTransitionError extends ConflictError {
  constructor(job: Pick<JobRecord, 'id' | 'state'>, to: JobState) {
    super(`Job ${job.id} cannot go from ${job.state} to ${to}`, 'JOB_BAD_TRANSITION');
  }
}

/** Waiting or running: the job still holds a place in a queue or a worker. */
export const isActive = (state: JobState): boolean => state === 'queued' || state === 'running';
/** completed, failed or cancelled (failed may still be retried). */
export const isFinished = (state: JobState): boolean => state === 'completed' || state === 'failed' || state === 'cancelled';
export const isFinal = (state: JobState): boolean => state === 'completed' || state === 'cancelled';

/** Moves `job` to `to` (stamping the times), or throws JobTransitionError. */
export function transition(job: JobRecord, to: JobState, now: Date = new Date(), pauseReason: JobPauseReason = 'user'): void {
  if (!canTransition(job.state, to)) throw new JobTransitionError(job, to);
  const at = now.toISOString();
  job.state = to;
  job.updatedAt = at;
  job.pauseReason = to === 'paused' ? pauseReason : null;
  if (to === 'running') {
    job.startedAt ??= at;
    job.attempts += 1;
  }
  if (to === 'queued') job.finishedAt = null;
  if (isFinished(to)) job.finishedAt = at;
  if (to === 'completed') {
    job.progress = 1;
    job.error = null;
  }
}
