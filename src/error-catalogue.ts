/**
 * The error catalogue: every code an EngineError can carry, the HTTP status it answers with and
 * what it means. `EngineError` takes its status from here (a catalogued code's status wins over
 * the one a throw site passes), `docs/errors.md` is rendered from it (`npm run docs:errors`), and
 * test/errors-catalogue.test.ts checks that every code thrown in src/ is listed here and every
 * code listed here is thrown somewhere. Adding a code: add it here, run `npm run docs:errors`.
 *
 * `message` is the client text of codes whose message is fixed (the HTTP layer's own answers,
 * system errors); elsewhere the throw site writes the message and `description` says what it
 * covers. No HTTP in here: the status is data the HTTP layer reads.
 */

export interface ErrorCatalogueEntry {
  /** The HTTP status answered for this code. */
  readonly status: number;
  /** Where the code comes from (a heading of docs/errors.md). */
  readonly area: ErrorArea;
  /** What the code means, for docs/errors.md. */
  readonly description: string;
  /** The fixed client message, for codes whose message does not depend on the request. */
  readonly message?: string;
}

export const ERROR_AREAS = {
  http: 'HTTP layer (requests the engine cannot route or parse)',
  general: 'General',
  system: 'System errors (files and disks, as clients see them)',
  auth: 'Users and access',
  fits: 'FITS files',
  tables: 'Tables and spectra',
  imaging: 'Images, previews and the viewer',
  wcs: 'World coordinates and AVM',
  reproject: 'Reprojection, composites and mosaics',
  analysis: 'Analysis',
  mast: 'MAST',
  downloads: 'Downloads',
  jobs: 'Jobs and the worker pool',
  storage: 'Object storage (local files or S3)',
} as const;

export type ErrorArea = keyof typeof ERROR_AREAS;

const e = (status: number, area: ErrorArea, description: string, message?: string): ErrorCatalogueEntry =>
  message === undefined ? { status, area, description } : { status, area, description, message };

export const ERROR_CATALOGUE = {
  // HTTP layer: Fastify's and Node's own answers, as {"detail": message}.
  ROUTE_NOT_FOUND: e(404, 'http', 'No route has this method and path.', 'Not Found'),
  INVALID_JSON: e(400, 'http', 'The body is not valid JSON (or is empty while Content-Type says JSON).', 'The request body is not valid JSON'),
  BODY_TOO_LARGE: e(413, 'http', 'The request body is larger than the server accepts (16 MiB).', 'Request body is too large'),
  URL_TOO_LONG: e(414, 'http', 'A path segment is longer than 100 characters.', 'A path segment of the URL is too long (at most 100 characters)'),
  UNSUPPORTED_MEDIA_TYPE: e(415, 'http', 'The body\'s Content-Type is not one the route reads (send application/json).', 'Unsupported media type: send application/json'),
  HEADERS_TOO_LARGE: e(431, 'http', 'The request headers are larger than the server accepts (16 KiB).', 'Request headers are too large'),
  REQUEST_TIMEOUT: e(408, 'http', 'The client did not send the whole request in time.', 'The request was not received in time'),
  BAD_URL: e(400, 'http', 'The URL cannot be decoded.', 'The URL is not valid'),
  CLIENT_ERROR: e(400, 'http', 'A malformed request the server could not handle further.', 'The request could not be understood'),
  RATE_LIMITED: e(429, 'http', 'Too many requests from this client within a minute (RATE_LIMIT_PER_MINUTE); Retry-After says when to retry.'),

  // General codes of the base classes.
  VALIDATION_FAILED: e(422, 'general', 'The input is well-formed for the schema but makes no sense (e.g. a missing alternative, an impossible combination). Schema violations answer 422 with a list `detail`.'),
  BAD_REQUEST: e(400, 'general', 'A bad request that is not a schema violation.'),
  NOT_FOUND: e(404, 'general', 'A file or resource that does not exist (e.g. a `file_path` under DATA_DIR).'),
  ACCESS_DENIED: e(403, 'general', 'A path outside DATA_DIR (absolute, `..`, NUL byte, symlink escape) or a resource the caller may not see.'),
  CONFLICT: e(409, 'general', 'The request conflicts with the current state of a resource.'),
  TOO_LARGE: e(413, 'general', 'An input is larger than a configured limit (e.g. MAX_FOOTPRINT_FILES, MAX_MOSAIC_FILES, MAX_COMPOSITE_REQUEST_FILES, MAX_PHOTOMETRY_POSITIONS; docs/limits.md).'),
  UNAVAILABLE: e(503, 'general', 'The engine cannot take the work now (e.g. while shutting down).'),
  INTERNAL: e(500, 'general', 'An unexpected failure; the details are logged, never sent.', 'Internal server error'),
  CANCELLED: e(499, 'general', 'The work was cancelled (its client went away or its job was cancelled).'),

  // System errors turned into client text (src/client-text.ts).
  IO_NOT_FOUND: e(404, 'system', 'A file or folder the work needs disappeared (ENOENT).', 'A file or folder the engine needs was not found'),
  IO_DENIED: e(500, 'system', 'The engine may not read or write a file it needs (EACCES, EPERM, EROFS).', 'The engine is not allowed to read or write a file it needs'),
  IO_NO_SPACE: e(507, 'system', 'The disk is full (ENOSPC, EDQUOT).', 'The server\'s disk is full'),
  IO_FAILED: e(500, 'system', 'A disk read or write failed (EIO and other system errors).', 'A disk read or write failed'),
  IO_BUSY: e(503, 'system', 'Too many open files or a busy resource (EMFILE, ENFILE, EBUSY); retry later.', 'The server is out of file handles; try again'),
  DB_POOL_TIMEOUT: e(503, 'system', 'No PostgreSQL connection became free (or could be opened) within DATABASE_POOL_WAIT (10 s): every connection of the pool is busy or the server is slow; logged with the pool\'s counts. Retry-After says when to retry.', 'The database is busy; try again'),
  THREADS_UNAVAILABLE: e(503, 'system', 'No worker thread could be made for the task (`new Worker` failed with ERR_WORKER_INIT_FAILED, EAGAIN: the machine or container is out of threads, a pids limit or `ulimit -u`): the task did not run. The worker pool makes the thread for a later task once threads are available again. Retry-After says when to retry.', 'The server cannot start a worker thread now; try again'),
  DB_UNAVAILABLE: e(503, 'system', 'PostgreSQL refused or cut the connection (not running, restarting, starting up, out of connection slots, a reset socket): logged with the reason. Retry-After says when to retry.', 'The database is unavailable; try again'),
  DB_BUSY: e(503, 'system', 'The embedded database (SQLite, DATA_DIR/engine.db) stayed locked by another process on the same DATA_DIR (an API node or a worker) for 30 s; Retry-After says when to retry.', 'The database is busy; try again'),

  // Users and access.
  UNAUTHENTICATED: e(401, 'auth', 'No token, or an invalid or expired one (WWW-Authenticate: Bearer).'),
  FORBIDDEN: e(403, 'auth', 'The user lacks the role, or the resource belongs to someone else.'),
  AUTH_NOT_CONFIGURED: e(503, 'auth', 'Authentication is required but no key source can verify tokens.'),
  DATA_NOT_FOUND: e(404, 'auth', 'No data record with this id visible to the caller.'),
  API_KEY_NOT_FOUND: e(404, 'auth', "No API key with this id (or not the caller's)."),
  USERS_DISABLED: e(404, 'auth', 'The engine runs without users (single-user mode): /auth/api-keys has nothing to manage.'),

  // FITS.
  FITS_NOT_FITS: e(400, 'fits', 'Not a FITS file at all (empty, wrong magic).'),
  FITS_BAD_HEADER: e(400, 'fits', 'A header structure is wrong (no END, missing mandatory keyword, bad value).'),
  FITS_BAD_CARD: e(400, 'fits', 'One header card cannot be parsed or formatted.'),
  FITS_TRUNCATED: e(400, 'fits', 'The file ends before a header or data unit does.'),
  FITS_TOO_LARGE: e(413, 'fits', 'A configured limit would be exceeded (MAX_FITS_FILE_SIZE_MB, MAX_FITS_ARRAY_ELEMENTS, the decompressed size or MAX_DECOMPRESSION_RATIO while a .gz/.bz2/.Z file inflates, the size a tile-compressed image declares).'),
  FITS_UNSUPPORTED: e(400, 'fits', 'A legal FITS feature this engine does not handle.'),
  FITS_BAD_ARGUMENT: e(400, 'fits', 'The caller asked for something impossible (HDU index, section, ...).'),
  FITS_BAD_DATA: e(400, 'fits', 'A data unit cannot be decoded.'),
  FITS_IO: e(400, 'fits', 'The operating system refused a read or write of a FITS file.'),

  // Tables and spectra.
  TABLE_BAD_FORMAT: e(400, 'tables', 'An ECSV file whose header or structure is malformed.'),
  TABLE_BAD_DATA: e(400, 'tables', 'Table values that cannot be read as their declared type.'),
  TABLE_BAD_ARGUMENT: e(400, 'tables', 'A bad column, filter, sort or page request.'),
  TABLE_TOO_LARGE: e(413, 'tables', 'A table larger than the engine reads at once.'),
  TABLE_NOT_A_TABLE: e(400, 'tables', 'The file or HDU holds no table.'),
  TABLE_NO_SPECTRUM: e(400, 'tables', 'The table has no wavelength and flux columns.'),

  // Images, previews and the viewer.
  IMAGING_BAD_INPUT: e(400, 'imaging', 'Bad display parameters (stretch, colormap, limits, size).'),
  IMAGING_NO_DATA: e(400, 'imaging', 'The image has no finite pixel value.'),
  FILE_TOO_LARGE: e(413, 'imaging', 'A file larger than MAX_FITS_FILE_SIZE_MB (on disk or decompressed), or one that inflates more than MAX_DECOMPRESSION_RATIO times its size.'),
  IMAGE_TOO_LARGE: e(413, 'imaging', 'An image with more pixels than the operation accepts.'),
  NO_IMAGE_DATA: e(400, 'imaging', 'The FITS file has no image HDU.'),
  NO_SUCH_HDU: e(400, 'imaging', 'The HDU named or numbered does not exist.'),
  NOT_AN_IMAGE: e(400, 'imaging', 'The HDU is not an image with at least two axes.'),
  NOT_A_TABLE: e(400, 'imaging', 'The HDU is not a table.'),
  BAD_TILE: e(400, 'imaging', 'A viewer tile level or position outside the image.'),
  EMPTY_CUTOUT: e(400, 'imaging', 'A cutout that does not overlap the image.'),
  OUTSIDE_IMAGE: e(400, 'imaging', 'A pixel position outside the image.'),
  RENDER_BUSY: e(429, 'imaging', 'The renderer is at capacity; Retry-After says when to retry.'),

  // World coordinates and AVM.
  WCS_INVALID: e(400, 'wcs', 'A WCS header that cannot be used (e.g. a bad alternate letter).'),
  WCS_BAD_INPUT: e(400, 'wcs', 'Coordinates of the wrong dimension.'),
  WCS_NOT_CELESTIAL: e(400, 'wcs', 'The operation needs celestial axes the WCS does not have.'),
  WCS_NO_AXES: e(400, 'wcs', 'A WCS with no usable axes.'),
  WCS_SINGULAR: e(400, 'wcs', 'A singular linear transformation (zero CDELT, singular CD/PC matrix or plate solution).'),
  WCS_BAD_UNIT: e(400, 'wcs', 'An unknown unit on a celestial axis.'),
  WCS_BAD_CTYPE: e(400, 'wcs', 'Celestial axes that disagree on the projection.'),
  WCS_BAD_SIP: e(400, 'wcs', 'Inconsistent SIP distortion keywords.'),
  WCS_BAD_TAB: e(400, 'wcs', 'An unusable -TAB lookup table.'),
  WCS_BAD_LOOKUP: e(400, 'wcs', 'An unusable distortion lookup table.'),
  WCS_BAD_POLE: e(400, 'wcs', 'An impossible celestial pole (LONPOLE/LATPOLE).'),
  WCS_BAD_PROJECTION: e(400, 'wcs', 'Invalid projection parameters.'),
  WCS_UNSUPPORTED_PROJECTION: e(400, 'wcs', 'A projection this engine does not implement.'),
  WCS_UNSUPPORTED_FRAME: e(400, 'wcs', 'A celestial frame conversion this engine does not implement.'),
  WCS_AVM_UNSUPPORTED: e(400, 'wcs', 'A projection AVM metadata cannot describe.'),
  AVM_BAD_IMAGE: e(500, 'wcs', 'The engine\'s own PNG or JPEG output is not one AVM can be embedded in.'),
  AVM_TOO_LARGE: e(500, 'wcs', 'The AVM packet does not fit in one JPEG segment.'),

  // Reprojection, composites and mosaics.
  REPROJECT_BAD_INPUT: e(400, 'reproject', 'Bad reprojection input (data size, empty region, combine method, resolution).'),
  REPROJECT_BAD_WCS: e(400, 'reproject', 'Inputs whose WCS cannot be placed on a common grid.'),
  REPROJECT_NOT_CELESTIAL: e(400, 'reproject', 'An input without a 2-axis celestial WCS.'),
  REPROJECT_NO_INPUT: e(400, 'reproject', 'No input images.'),
  NO_CELESTIAL_WCS: e(400, 'reproject', 'A FITS file given to a composite or mosaic has no celestial WCS on its image axes.'),
  BAD_CROP: e(400, 'reproject', 'An empty crop rectangle.'),
  COMPOSITE_NO_CHANNEL: e(422, 'reproject', 'A composite without channels.'),
  COMPOSITE_TOO_LARGE: e(413, 'reproject', 'The composite grid exceeds MAX_COMPOSITE_REPROJECT_PIXELS.'),
  COMPOSITE_MEMORY_BUDGET: e(413, 'reproject', 'The composite exceeds MAX_COMPOSITE_MEMORY_BYTES even after the allowed downscale.'),
  MOSAIC_TOO_LARGE: e(413, 'reproject', 'The mosaic exceeds MAX_MOSAIC_OUTPUT_PIXELS.'),

  // Analysis.
  UNKNOWN_ALGORITHM: e(422, 'analysis', 'An algorithm name that GET /algorithms does not list.'),
  INVALID_PARAMETERS: e(422, 'analysis', 'Unknown or out-of-range algorithm parameters.'),

  // MAST.
  MAST_INVALID_INPUT: e(422, 'mast', 'Search input the core refuses (the schema catches most first).'),
  MAST_QUERY_TOO_BROAD: e(422, 'mast', 'The query matches more rows than the engine fetches; narrow it.'),
  MAST_SERVICE_ERROR: e(502, 'mast', 'MAST answered with an error.'),
  MAST_UNAVAILABLE: e(502, 'mast', 'MAST could not be reached after every retry.'),
  MAST_TIMEOUT: e(504, 'mast', 'MAST did not answer within MAST_SEARCH_TIMEOUT.'),
  TARGET_NOT_RESOLVED: e(404, 'mast', 'A target name no resolver knows.'),
  OBSERVATION_NOT_FOUND: e(404, 'mast', 'An observation id MAST does not know.'),

  // Downloads.
  DOWNLOAD_BAD_OBS_ID: e(422, 'downloads', 'An observation id that cannot name a download folder.'),
  DOWNLOAD_BAD_SELECTION: e(422, 'downloads', 'A product selection that selects nothing or contradicts itself.'),
  DOWNLOAD_UNKNOWN_PRODUCTS: e(422, 'downloads', 'Product files the observation does not have.'),
  DOWNLOAD_BAD_NAME: e(422, 'downloads', 'A product file name that cannot be made a safe local name.'),
  DOWNLOAD_JOB_NOT_FOUND: e(404, 'downloads', 'No download job with this id.'),
  DOWNLOAD_NOT_ACTIVE: e(404, 'downloads', 'The job is not running or paused.'),
  DOWNLOAD_NOT_RESUMABLE: e(400, 'downloads', 'Only paused or failed jobs can be resumed.'),
  DOWNLOAD_RESUME_CONFLICT: e(409, 'downloads', 'The job is already being resumed.'),
  DOWNLOAD_ALREADY_COMPLETE: e(409, 'downloads', 'The job is already complete.'),
  DOWNLOAD_CLOSED: e(409, 'downloads', 'The download service is shutting down.'),
  DOWNLOAD_TIMEOUT: e(504, 'downloads', 'The synchronous download ran past MAST_DOWNLOAD_TIMEOUT; the job continues.'),
  DOWNLOAD_PERMANENT_HTTP: e(502, 'downloads', 'MAST refused a file (401/403/404 or another 4xx); retrying cannot help.'),
  DOWNLOAD_HTTP_STATUS: e(502, 'downloads', 'MAST answered 429 or 5xx; retried.'),
  DOWNLOAD_RANGE_MISMATCH: e(502, 'downloads', 'A 206 answer whose Content-Range is not the one asked for; retried.'),
  DOWNLOAD_RANGE_IGNORED: e(502, 'downloads', 'A Range request answered with the whole file; the file restarts from byte 0.'),
  DOWNLOAD_RANGE_NOT_SATISFIABLE: e(502, 'downloads', 'HTTP 416: the file on the server is shorter than the bytes already kept.'),
  DOWNLOAD_TRUNCATED: e(502, 'downloads', 'A body that ended early; the rest is retried.'),
  DOWNLOAD_FILE_CHANGED: e(502, 'downloads', 'The file changed on the server (ETag, Last-Modified or length); restarted.'),
  DOWNLOAD_STALLED: e(502, 'downloads', 'No byte for DOWNLOAD_STALL_TIMEOUT; retried.'),
  DOWNLOAD_NETWORK: e(502, 'downloads', 'A network failure; retried.'),
  DOWNLOAD_TOO_MANY_REDIRECTS: e(502, 'downloads', 'Too many redirects from the download URL.'),
  DOWNLOAD_REDIRECT_REFUSED: e(502, 'downloads', 'A redirect to a host outside the allow-list (the MAST host and configured mirrors; never loopback or private addresses unless MAST_BASE_URL is one).'),
  DOWNLOAD_NO_SPACE: e(507, 'downloads', 'The disk is full; the job pauses and keeps its bytes.'),
  DOWNLOAD_FAILED: e(502, 'downloads', 'A download job ended with files that failed (each file\'s error is in its progress); resume retries them.'),
  DOWNLOAD_VERIFY_FAILED: e(502, 'downloads', 'Size, FITS CHECKSUM/DATASUM or SHA-256 disagree; the file is never marked complete.'),
  DOWNLOAD_ABORTED: e(502, 'downloads', 'A transfer stopped on purpose (pause, cancel, shutdown).'),

  // Jobs and the worker pool.
  JOB_NOT_FOUND: e(404, 'jobs', 'No job with this id (or not the caller\'s).'),
  JOB_BAD_FILTER: e(422, 'jobs', 'An unknown value in a job list filter.'),
  JOB_UNKNOWN_KIND: e(422, 'jobs', 'A job kind the engine does not know.'),
  JOB_NO_HANDLER: e(500, 'jobs', 'A queued job reached a node that has no handler for its kind.'),
  JOB_BAD_TRANSITION: e(409, 'jobs', 'A job state change that is not allowed (e.g. resuming a completed job).'),
  JOB_CHANGED: e(409, 'jobs', 'The job changed meanwhile; try again.'),
  JOB_NOT_PAUSABLE: e(409, 'jobs', 'Jobs of this kind cannot be paused.'),
  JOB_NOT_COMPLETED: e(409, 'jobs', 'The job has no result yet (or was cancelled).'),
  JOB_SERVICE_CLOSED: e(409, 'jobs', 'The job service is shutting down.'),
  JOB_INTERRUPTED: e(500, 'jobs', 'The job was cut by service restarts too many times.'),
  JOB_QUEUE_UNAVAILABLE: e(503, 'jobs', 'The job queue (Redis) refused a new or resumed job or did not take it within 10 s: a new job was not created (its record withdrawn), a resumed one is paused (or failed) again as it was, so no job waits queued that no worker will run. Retry-After says when to retry.', 'The job queue is unavailable; try again'),
  JOB_START_FAILED: e(500, 'jobs', 'A worker could not start the job JOB_START_ATTEMPTS times in a row (20 by default; the job store failed as it was taken; in-process or on Redis workers): the job is failed instead of retried for ever; retry it once the store answers.', 'The job could not be started (the job store kept failing); retry it'),
  JOB_OUTPUT_NOT_FOUND: e(404, 'jobs', 'No output with this name, or its file is gone.'),
  JOB_OUTPUT_NOT_PREVIEWABLE: e(415, 'jobs', 'Only FITS and image outputs can be previewed.'),
  JOB_OUTPUT_NOT_SAVABLE: e(415, 'jobs', 'Only FITS, ECSV and image outputs can be saved to the library.'),
  POOL_CLOSED: e(503, 'jobs', 'The worker pool is shut down.'),
  UNKNOWN_TASK: e(500, 'jobs', 'A worker was asked for a task it does not have.'),

  // Object storage (src/storage, docs/storage.md).
  STORAGE_BAD_KEY: e(400, 'storage', 'An object key the storage refuses: empty, longer than 1024 characters, with a NUL byte, a `..` segment or a leading `/`.'),
  STORAGE_NOT_FOUND: e(404, 'storage', 'No object (or file) under this key, or no multipart upload with this id.'),
  STORAGE_FAILED: e(502, 'storage', 'The object store refused or failed a request (credentials, network, a server error).'),
  STORAGE_UNSUPPORTED: e(501, 'storage', 'An operation the configured storage provider does not offer.'),
} as const satisfies Record<string, ErrorCatalogueEntry>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

const table: Readonly<Record<string, ErrorCatalogueEntry>> = ERROR_CATALOGUE;

/** The catalogue entry of `code`, or undefined for an uncatalogued code. */
export function catalogueEntry(code: string): ErrorCatalogueEntry | undefined {
  return Object.hasOwn(table, code) ? table[code] : undefined;
}

export function isCatalogued(code: string): code is ErrorCode {
  return catalogueEntry(code) !== undefined;
}

/** The fixed client message of `code` (for codes that have one), else its description. */
export function catalogueMessage(code: ErrorCode): string {
  const entry: ErrorCatalogueEntry = ERROR_CATALOGUE[code];
  return entry.message ?? entry.description;
}
