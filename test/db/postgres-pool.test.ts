/**
 * The PostgreSQL pool when every connection is busy (session 12): a statement or a transaction
 * waits at most `connectionWaitMs` for one, then fails with the catalogued DB_POOL_TIMEOUT (503,
 * Retry-After) and a log line; pg's default was to wait for ever.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PostgresDatabase } from '../../src/db/postgres.js';
import { EngineError } from '../../src/errors.js';
import { catalogueMessage } from '../../src/error-catalogue.js';
import { httpErrorOf } from '../../src/server.js';
import { TestPostgres } from '../helpers/postgres.js';
import { freePort } from '../helpers/engine-process.js';

describe('PostgreSQL pool: no connection free', () => {
  let server: TestPostgres;

  before(async () => {
    server = await TestPostgres.start();
  });

  after(async () => {
    await server?.stop();
  });

  it('answers DB_POOL_TIMEOUT (503, Retry-After) after the wait, logs it, and serves again once a connection is free', async () => {
    const warnings: Array<{ obj: Record<string, unknown>; msg?: string }> = [];
    const db = new PostgresDatabase(server.url(), { maxConnections: 1, connectionWaitMs: 300, logger: { warn: (obj, msg) => warnings.push({ obj: obj as Record<string, unknown>, msg }) } });
    try {
      assert.deepEqual(await db.query('SELECT 1 AS one'), [{ one: 1 }]);
      // The only connection, held by a transaction until `release`.
      let release!: () => void;
      let holding!: () => void;
      const held = new Promise<void>((r) => (holding = r));
      const tx = db.transaction(async (q) => {
        await q.query('SELECT 1');
        holding();
        await new Promise<void>((r) => (release = r));
      });
      await held;
      const failures = await Promise.all([
        db.query('SELECT 2').then(() => undefined, (err: unknown) => err),
        db.transaction(async () => undefined).then(() => undefined, (err: unknown) => err),
      ]);
      for (const err of failures) {
        assert.ok(err instanceof EngineError, String(err));
        assert.equal(err.code, 'DB_POOL_TIMEOUT');
        const answer = httpErrorOf(err);
        assert.equal(answer.httpStatus, 503);
        assert.equal(answer.message, catalogueMessage('DB_POOL_TIMEOUT'));
        assert.ok(Number(answer.headers['retry-after']) >= 1, JSON.stringify(answer.headers));
      }
      assert.equal(warnings.length, 2);
      assert.match(warnings[0]!.msg ?? '', /DB_POOL_TIMEOUT/);
      assert.equal(warnings[0]!.obj.connections, 1);
      assert.ok(!String(warnings[0]!.obj.database).includes('password'));
      release();
      await tx;
      assert.deepEqual(await db.query('SELECT 3 AS three'), [{ three: 3 }]);
    } finally {
      await db.close();
    }
  });

  it('a connection refused or cut answers DB_UNAVAILABLE (503, Retry-After), not an untyped 500; the pool serves again after', async () => {
    const warnings: string[] = [];
    const logger = { warn: (_obj: object, msg?: string) => warnings.push(msg ?? '') };
    // Nothing listens there (a server not up yet, or gone).
    const nowhere = new PostgresDatabase(`postgres://postgres@127.0.0.1:${await freePort()}/postgres`, { logger });
    const db = new PostgresDatabase(server.url(), { maxConnections: 2, logger });
    try {
      const refused = await nowhere.query('SELECT 1').then(() => undefined, (err: unknown) => err);
      // A transaction whose connection the server terminates (a restart, an administrator).
      const cut = await db.transaction(async (q) => {
        const [{ pid }] = await q.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        await db.query('SELECT pg_terminate_backend($1)', [pid]);
        await q.query('SELECT 1');
      }).then(() => undefined, (err: unknown) => err);
      for (const err of [refused, cut]) {
        assert.ok(err instanceof EngineError, String(err));
        assert.equal(err.code, 'DB_UNAVAILABLE');
        const answer = httpErrorOf(err);
        assert.equal(answer.httpStatus, 503);
        assert.equal(answer.message, catalogueMessage('DB_UNAVAILABLE'));
        assert.equal(answer.headers['retry-after'], '2');
      }
      assert.ok(warnings.filter((w) => /DB_UNAVAILABLE/.test(w)).length >= 2, warnings.join('; '));
      // A statement's own error stays what it was.
      await assert.rejects(db.query('SELECT * FROM no_such_table'), (err: Error & { code?: string }) => err.code === '42P01');
      assert.deepEqual(await db.query('SELECT 4 AS four'), [{ four: 4 }]);
    } finally {
      await Promise.all([nowhere.close(), db.close()]);
    }
  });
});
