/** The database layer's public API (no HTTP in here). */
export { toDollarParams, type Database, type DatabaseKind, type Queryable, type Row, type SqlValue } from './database.js';
export { SqliteDatabase } from './sqlite.js';
export { PostgresDatabase, redactUrl } from './postgres.js';
export { migrate, schemaVersions, type AppliedMigration, type Migration, type MigrationSet } from './migrations.js';
export { isPostgresUrl, openDatabase, type OpenDatabaseOptions } from './open.js';
