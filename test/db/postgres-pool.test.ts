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
});
