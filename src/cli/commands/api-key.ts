/**
 * `jwst-engine api-key create|list|revoke`: API keys for scripts and services. Local by default
 * (the engine's database: DATA_DIR/engine.db, or DATABASE_URL), for whoever administers the
 * machine; with `--engine URL` (or JWST_ENGINE_URL) through the engine's /auth/api-keys routes,
 * as the `--token` user (an Admin for other users' keys).
 */
import type { Command } from 'commander';
import { loadSettings } from '../../config.js';
import { openDatabase } from '../../db/open.js';
import { LIBRARY_MIGRATIONS } from '../../library/schema.js';
import { ADMIN_ROLE, ApiKeys, type ApiKeyInfo } from '../../auth/index.js';
import { engineNamed, remoteEngine } from '../remote.js';
import { textTable } from '../text-table.js';

/** The local key store, open for one command. */
async function withLocalKeys<T>(work: (keys: ApiKeys) => Promise<T>): Promise<T> {
  const settings = loadSettings();
  const { db } = await openDatabase({ databaseUrl: settings.databaseUrl, sqliteFile: settings.databaseFile, connectionWaitMs: settings.databasePoolWaitMs, migrations: [LIBRARY_MIGRATIONS] });
  try {
    return await work(new ApiKeys(db));
  } finally {
    await db.close();
  }
}

function role(value: string | undefined): string {
  const r = value ?? 'User';
  if (r !== 'User' && r !== ADMIN_ROLE) throw new Error(`--role: expected User or ${ADMIN_ROLE}, got "${r}"`);
  return r;
}

function printKeys(keys: readonly ApiKeyInfo[], json: boolean | undefined): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(keys, null, 2)}\n`);
    return;
  }
  process.stdout.write(textTable(['KEY ID', 'USER', 'ROLE', 'NAME', 'CREATED', 'LAST USED', 'STATE'], keys.map((k) => [
    k.keyId, k.userId, k.role, k.name, k.createdAt, k.lastUsedAt ?? '-', k.revoked ? 'revoked' : 'active',
  ])));
}

export function apiKeyCommands(program: Command): void {
  const apiKey = program.command('api-key').description('API keys: local database by default, a running engine with --engine (and --token)');

  apiKey
    .command('create')
    .description('create a key; it is printed once, keep it (the engine stores only its hash)')
    .requiredOption('--name <text>', 'what the key is for')
    .option('--user <id>', "whose key (local: required; --engine: default the token's user, another user needs Admin)")
    .option('--role <role>', `User or ${ADMIN_ROLE}`, 'User')
    .option('--json', 'print the key and its facts as JSON')
    .action(async (opts: { name: string; user?: string; role?: string; json?: boolean }, command: Command) => {
      const r = role(opts.role);
      let created: { key: string } & ApiKeyInfo;
      if (engineNamed(command)) {
        created = await remoteEngine(command).request('POST', '/auth/api-keys', { name: opts.name, role: r, ...(opts.user ? { userId: opts.user } : {}) });
      } else {
        if (!opts.user) throw new Error('--user: whose key? (required without --engine)');
        const { key, info } = await withLocalKeys((keys) => keys.create(opts.user!, r, opts.name));
        created = { key, ...info };
      }
      if (opts.json) process.stdout.write(`${JSON.stringify(created, null, 2)}\n`);
      else {
        process.stdout.write(`${created.key}\n`);
        process.stderr.write(`API key ${created.keyId} for ${created.userId} (${created.role}). It is shown only now; send it as --token or Authorization: Bearer.\n`);
      }
    });

  apiKey
    .command('list')
    .description('keys and their state, never their secrets')
    .option('--user <id>', "one user's keys")
    .option('--json', 'print JSON')
    .action(async (opts: { user?: string; json?: boolean }, command: Command) => {
      const keys = engineNamed(command)
        ? (await remoteEngine(command).request<{ keys: ApiKeyInfo[] }>('GET', `/auth/api-keys${opts.user ? `?userId=${encodeURIComponent(opts.user)}` : ''}`)).keys
        : await withLocalKeys((k) => k.list(opts.user));
      printKeys(keys, opts.json);
    });

  apiKey
    .command('revoke')
    .description('revoke a key: it stops working at once')
    .argument('<key-id>', 'the KEY ID that list shows (or the key itself)')
    .action(async (given: string, _opts: unknown, command: Command) => {
      // jwk_<id>_<secret> names its id.
      const keyId = /^jwk_([0-9a-f]+)_/.exec(given)?.[1] ?? given;
      if (engineNamed(command)) await remoteEngine(command).request('DELETE', `/auth/api-keys/${encodeURIComponent(keyId)}`);
      else if (!(await withLocalKeys((k) => k.revoke(keyId)))) throw new Error(`no API key ${keyId}`);
      process.stderr.write(`API key ${keyId} revoked.\n`);
    });
}
