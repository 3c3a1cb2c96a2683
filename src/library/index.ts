/** The data library's public API (records, scan, repository; no HTTP in here). */
export * from './record.js';
export { levelFromHeader, levelFromName, observationIdFrom, productSuffix, stem } from './classify.js';
export { ECSV_NAME, FITS_NAME, isLibraryFile, parseSRegion, readFileFacts } from './facts.js';
export { InvalidCursorError, SqlRecordRepository, normaliseKey, type Availability, type FileRecordInput, type RecordPage, type RecordPatch, type RecordQuery, type RecordRepository, type ScanEntry } from './repository.js';
export { LIBRARY_MIGRATIONS } from './schema.js';
export { DATA_ID, LibraryService, sha256File, type CompletedFile, type PreparedFile, type LibraryLogger, type LibraryServiceOptions, type ScanReport, type Thumbnail } from './service.js';
