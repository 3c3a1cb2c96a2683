/**
 * The job core: every long operation of the engine (download, analysis, composite, mosaic,
 * observation mosaic, footprint of many files) is a job of this module. No HTTP here.
 *
 * Design (for whoever adds a backend, a store or a kind):
 *
 * - One record (`JobRecord`, types.ts): id, kind, state, progress 0–1 + stage message,
 *   created/started/finished/updated, owner, inputs, result + outputs (files under
 *   DATA_DIR/processed/{id}), error {code, message, httpStatus}, attempts, pauseReason and a
 *   kind-specific `checkpoint` for resuming. Plain JSON: any store keeps it as is.
 * - One state machine (state.ts): queued → running → completed | failed | cancelled, running ⇄
 *   paused (through queued on resume), running → queued when a run is cut (restart, stalled
 *   worker), failed → queued (retry). `transition` refuses the rest.
 * - Handlers by kind (handlers.ts): `run({inputs, signal, progress, checkpoint, outputDir,
 *   resumed})` → `{result, outputs}`. The signal aborts with a `JobStop` (cancel | pause |
 *   shutdown); the service, not the handler, decides the resulting state. `pausable` kinds
 *   (downloads) continue on their next run from what they kept. `lane` picks a concurrency lane:
 *   `compute` (renders, analyses: shares the render gate) or `transfer` (downloads).
 * - A store (store.ts `JobStore`): insert, conditional update (`expect` states, so terminal states
 *   written by one process stick against another), get, list (filters, paging, newest first),
 *   listSummaries (the same jobs' columns, no record read), countByState, delete. The engine's: `DbJobStore` (db-store.ts, table `job_records`,
 *   migrations of component `jobs`) on the database it shares with the library (DATA_DIR/engine.db,
 *   or DATABASE_URL's), so `update(job, expect, alsoWrite)` commits other records with a job's
 *   state. An older DATA_DIR/jobs.sqlite is copied there once (legacy-import.ts). `SqliteJobStore`
 *   (a jobs.sqlite of its own) remains the default of a standalone download manager (tests). Every store passes test/jobs/store.conformance.ts.
 * - A backend (backend.ts `JobBackend`): enqueue a ticket {id, kind, lane}, stop(id, JobStop),
 *   has, stats (queue depth, running, capacity per lane), health (liveness hook: "Redis
 *   reachable"), close. It calls the service's `runner(jobId, signal)` to run a job locally; the
 *   runner reads the record from the store, so a worker process needs only the same store,
 *   registry and DATA_DIR. `InProcessBackend` is the embedded default; a BullMQ backend hands
 *   tickets to workers and relays stops (pub/sub) to the node running the job.
 * - One event stream (events.ts `JobEventBus`): `created`, `state` (every change, at once),
 *   `progress` (throttled), `removed`, each carrying the whole record. `LocalJobEvents` serves one
 *   process; a Redis pub/sub bus lets API nodes hear jobs running on workers (SSE, waiters).
 * - The service (service.ts `JobService`) ties them: submit, get, list, cancel, pause, resume,
 *   remove, subscribe, waitUntilSettled, readiness; at start it re-queues jobs a crash cut
 *   (`recoverOnStart`, off for distributed backends) and, unless `runLocally` is false (API node
 *   without workers), starts the backend with its runner. On close, local runs stop with
 *   JobStop('shutdown') and go back to `queued`, so the next start resumes them.
 * - Output retention (retention.ts `JobOutputRetention`): finished jobs are removed, record and
 *   output folder, past JOB_OUTPUT_RETENTION_HOURS, and oldest-finished first while the output
 *   folders exceed JOB_OUTPUT_MAX_BYTES; never a queued, running or paused job.
 */
export * from './types.js';
export * from './state.js';
export * from './events.js';
export * from './handlers.js';
export * from './store.js';
export * from './backend.js';
export * from './service.js';
export { SqliteJobStore, JOBS_DB_NAME } from './sqlite-store.js';
export { DbJobStore, JOB_MIGRATIONS, JOB_PART_MIGRATIONS, recordColumnsSql, wholeRecordText, type DbJobStoreOptions, type RecordRow } from './db-store.js';
export { JobOutputRetention, folderBytes, type OutputRetentionOptions, type RetentionReport } from './retention.js';
export { RenderGate, RenderBusyError, type Release } from './render-gate.js';
