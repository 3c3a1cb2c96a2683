/** The download engine: chunked, resumable, verified downloads of MAST products, as jobs. */
export { DownloadManager, DOWNLOAD_KIND, downloadJobOf, formatBytes, type DownloadManagerOptions, type ListPage, type CreateJobRequest, type JobProgress, type FileProgress, type DownloadLogger } from './download-manager.js';
export { type ProductSource, type ProductQuery, type RemoteProduct, type MastProductRow, mastDownloadUrl, mastProductSource, productsFromRows, StaticProductSource } from './product-source.js';
export { type Job, type JobStatus, type FileEntry, type FileStatus, type PauseReason, type JobJson, jobToJson, jobFromJson, isActive, isResumable, JOB_STATUSES } from './job.js';
export { readLegacyStates, STATE_DIR_NAME } from './legacy-state.js';
export { lockObservation, OBSERVATION_LOCK_NAME } from './observation-lock.js';
export { ChunkFetcher, createDownloadAgent, type RemoteFileInfo } from './chunk-fetcher.js';
export { FileDownloader } from './file-downloader.js';
export { Http1Client, type HttpResponse, type ResponseBody } from './http1-client.js';
export { DigestService, type StreamDigest } from './digest-service.js';
export { BatchWriter } from './batch-writer.js';
export { type FileLayer, type WritableFile, nodeFileLayer } from './file-layer.js';
export { FitsChecksumAccumulator, type FitsChecksumReport, hasChecksumFailure } from './fits-checksum.js';
export { ContentDigest, digestFile } from './content-digest.js';
export { SpeedMeter, etaSeconds } from './speed-meter.js';
export { type RetryPolicy, type Clock, DEFAULT_RETRY_POLICY, backoffDelayMs, parseRetryAfter, Retrier, withRetry, systemClock } from '../core/retry.js';
export { sanitizeFilename, validateObsId, validateProductSelection, PRODUCT_FILENAME_PATTERN, MAX_SELECTED_PRODUCTS } from './paths.js';
export * from './errors.js';
export { downloadManagerFromSettings, mastClientProductSource } from './service.js';
