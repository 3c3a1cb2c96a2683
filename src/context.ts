/**
 * What the HTTP routes and the CLI share: settings, the worker pool, the path sandbox, the logger,
 * and the long-lived services built on the core. Built once by `createEngineContext`.
 */
import type { Logger } from 'pino';
import type { Settings } from './config.js';
import type { WorkerPool } from './workers/pool.js';
import type { PathSandbox } from './storage/path-sandbox.js';
import type { MastClient } from './mast/client.js';
import type { DownloadManager } from './downloads/download-manager.js';
import type { JobService, RenderGate } from './jobs/index.js';
import type { LibraryService } from './library/service.js';
import type { Authenticator } from './auth/authenticator.js';

export interface EngineContext {
  readonly settings: Settings;
  readonly logger: Logger;
  readonly pool: WorkerPool;
  readonly sandbox: PathSandbox;
  readonly version: string;
  /** The MAST client (searches, name resolution, product lists), with its result cache. */
  readonly mast: MastClient;
  /** Download jobs (chunked, resumable, verified), started and recovered at start-up. */
  readonly downloads: DownloadManager;
  /** Every long operation as a job (src/jobs): records in the engine's database beside the library, one event stream. */
  readonly jobs: JobService;
  /** At most MAX_CONCURRENT_RENDERS renders and analyses at once (interactive: 429 past it). */
  readonly renderGate: RenderGate;
  /** The data library: records of every FITS/ECSV file, in the engine's database (src/db). */
  readonly library: LibraryService;
  /** Users: bearer tokens (JWT, API keys) to identities; off unless an auth setting is given. */
  readonly auth: Authenticator;
  /**
   * Aborts (with a 503 UnavailableError) when the engine starts shutting down: in-flight requests
   * stop their work and answer 503, new ones are refused (routes/request-signal.ts).
   */
  readonly shutdown: AbortSignal;
  /** Things to stop, last-registered first, when the engine shuts down. */
  readonly onClose: Array<() => Promise<void> | void>;
}
