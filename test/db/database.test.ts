import { it } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase, schemaVersions, type MigrationSet } from '../../src/db/index.js';
import { forEachBackend } from '../helpers/db-backends.js';

const notes: MigrationSet = {
  component: 'notes',
  migrations: [
    {
      version: 1,
      name: 'notes table',
      sqlite: 'CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT NOT NULL, size BIGINT NOT NULL, blob BLOB);',
      postgres: 'CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT NOT NULL, size BIGINT NOT NULL, blob BYTEA);',
    },
  ],
};
const notesV2: MigrationSet = {
  component: 'notes',
  migrations: [
    ...notes.migrations,
    { version: 2, name: 'flag', sqlite: 'ALTER TABLE notes ADD COLUMN flag INTEGER NOT NULL DEFAULT 0;', postgres: 'ALTER TABLE notes ADD COLUMN flag INTEGER NOT NULL DEFAULT 0;' },
  ],
};

forEachBackend('database layer', (target) => {
  it('runs migrations once, in order, and records their versions', async () => {
    const where = await target.fresh();
    const first = await openDatabase({ ...where, migrations: [notes] });
    assert.deepEqual(first.applied.map((m) => m.version), [1]);
    assert.equal(first.db.kind, target.kind);
    await first.db.close();
    const second = await openDatabase({ ...where, migrations: [notesV2] });
    assert.deepEqual(second.applied.map((m) => `${m.component}:${m.version}`), ['notes:2']);
    assert.deepEqual(await schemaVersions(second.db), { notes: 2 });
    await second.db.close();
    const third = await openDatabase({ ...where, migrations: [notesV2] });
    assert.deepEqual(third.applied, []);
    await third.db.close();
  });

  it('two connections opening one fresh database at once apply each migration once', async () => {
    const where = await target.fresh();
    // Both read "nothing applied" before either applies: the second must look again under the lock.
    const [a, b] = await Promise.all([openDatabase({ ...where, migrations: [notesV2] }), openDatabase({ ...where, migrations: [notesV2] })]);
    try {
      assert.deepEqual([...a.applied, ...b.applied].map((m) => `${m.component}:${m.version}`).sort(), ['notes:1', 'notes:2']);
      assert.deepEqual(await schemaVersions(a.db), { notes: 2 });
    } finally {
      await a.db.close();
      await b.db.close();
    }
  });

  it('binds parameters, returns big integers as numbers and bytes as bytes', async () => {
    const { db } = await openDatabase({ ...(await target.fresh()), migrations: [notes] });
    try {
      const big = 5_000_000_000_123;
      await db.run('INSERT INTO notes (id, body, size, blob) VALUES (?, ?, ?, ?)', ['a', "it's ?", big, new Uint8Array([1, 2, 255])]);
      const rows = await db.query<{ id: string; body: string; size: number; blob: Uint8Array }>('SELECT * FROM notes WHERE id = ?', ['a']);
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.body, "it's ?");
      assert.equal(rows[0]!.size, big);
      assert.deepEqual([...rows[0]!.blob], [1, 2, 255]);
      assert.equal(await db.run('UPDATE notes SET body = ? WHERE id = ?', ['b', 'missing']), 0);
      assert.equal(await db.run('UPDATE notes SET body = ? WHERE id = ?', ['b', 'a']), 1);
    } finally {
      await db.close();
    }
  });

  it('commits a transaction as a whole or rolls all of it back', async () => {
    const { db } = await openDatabase({ ...(await target.fresh()), migrations: [notes] });
    try {
      await db.transaction(async (tx) => {
        await tx.run('INSERT INTO notes (id, body, size) VALUES (?, ?, ?)', ['x', 'one', 1]);
        await tx.run('INSERT INTO notes (id, body, size) VALUES (?, ?, ?)', ['y', 'two', 2]);
      });
      await assert.rejects(db.transaction(async (tx) => {
        await tx.run('INSERT INTO notes (id, body, size) VALUES (?, ?, ?)', ['z', 'three', 3]);
        await tx.run('INSERT INTO notes (id, body, size) VALUES (?, ?, ?)', ['x', 'duplicate', 4]);
      }));
      const ids = (await db.query<{ id: string }>('SELECT id FROM notes ORDER BY id')).map((r) => r.id);
      assert.deepEqual(ids, ['x', 'y']);
      // Statements issued while a transaction runs wait for it (no interleaving on SQLite).
      const order: string[] = [];
      await Promise.all([
        db.transaction(async (tx) => {
          await tx.run('UPDATE notes SET body = ? WHERE id = ?', ['in-tx', 'x']);
          await new Promise((r) => setTimeout(r, 20));
          order.push('tx');
        }),
        (async () => {
          await new Promise((r) => setTimeout(r, 1));
          const rows = await db.query<{ body: string }>('SELECT body FROM notes WHERE id = ?', ['x']);
          order.push(`read:${rows[0]!.body}`);
        })(),
      ]);
      assert.ok(order.includes('tx'));
      if (target.kind === 'sqlite') assert.deepEqual(order, ['tx', 'read:in-tx']);
      await db.ping();
    } finally {
      await db.close();
    }
  });

  it('refuses a migration list with a gap', async () => {
    const where = await target.fresh();
    const bad: MigrationSet = { component: 'bad', migrations: [{ ...notes.migrations[0]!, version: 2 }] };
    await assert.rejects(openDatabase({ ...where, migrations: [bad] }), /numbered 1, 2, 3/);
  });
});
