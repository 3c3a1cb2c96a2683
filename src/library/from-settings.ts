/**
 * Builds the library from the engine settings: opens the database (SQLite in DATA_DIR, or
 * PostgreSQL with DATABASE_URL), runs the migrations, and renders stored thumbnails in the
 * worker pool. Used by the engine and by the CLI.
 */
import type { Settings } from '../config.js';
import type { Database } from '../db/database.js';
import { openDatabase } from '../db/open.js'; // not db/index: it loads pg
import type { WorkerPool } from '../workers/pool.js';
import { LIBRARY_MIGRATIONS } from './schema.js';
import type { StorageProvider } from '../storage/provider.js';
import { LibraryService, type LibraryLogger } from './service.js';

/**
 * `objects`: the object store (STORAGE_PROVIDER=s3), where the library's files are looked up first.
 * `shared`: the engine's database, opened and migrated (LIBRARY_MIGRATIONS) by the caller, which
 * the job store shares; otherwise the library opens its own. The library closes it.
 */
export async function libraryFromSettings(settings: Settings, pool: WorkerPool | undefined, logger?: LibraryLogger, objects?: StorageProvider, shared?: Database): Promise<LibraryService> {
  let db = shared;
  if (!db) {
    const opened = await openDatabase({
      databaseUrl: settings.databaseUrl,
      sqliteFile: settings.databaseFile,
      connectionWaitMs: settings.databasePoolWaitMs,
      ...(logger ? { logger } : {}),
      migrations: [LIBRARY_MIGRATIONS],
    });
    db = opened.db;
    if (opened.applied.length) logger?.info({ database: db.description, applied: opened.applied.map((m) => `${m.component}:${m.version}`) }, 'database migrated');
  }
  return new LibraryService({
    db,
    dataDir: settings.dataDir,
    ...(objects ? { objects } : {}),
    logger,
    readLimits: { maxExpansionRatio: settings.maxDecompressionRatio },
    thumbnailer: pool
      ? async (path) => {
          // Loaded at the first thumbnail, not with the library: the imaging code (sharp, FITS,
          // WCS; ~250 modules) is not needed by a process that only records files (the CLI's
          // download, which has no pool).
          const [{ previewOnPool }, { thumbnailRequest }, { limitsFromSettings }] = await Promise.all([import('../workers/preview-render.js'), import('../imaging/viewer/preview-file.js'), import('../imaging/viewer/source.js')]);
          const r = await previewOnPool(pool, thumbnailRequest(path, limitsFromSettings(settings)));
          return { mediaType: r.mediaType, bytes: r.image };
        }
      : undefined,
  });
}
