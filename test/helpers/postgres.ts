/**
 * A private PostgreSQL cluster for tests (Debian's `postgresql`, installed by .ci/run): initdb in a
 * temp dir, run as the `postgres` user when we are root, on a free port with its socket in that
 * dir. Never the machine's own server on 5432. `stop()` always removes everything, and a
 * process-exit hook stops a cluster a failed test left running.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './engine-process.js';

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    if (existsSync(join(root, v, 'bin', 'initdb'))) return join(root, v, 'bin');
  }
  throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)');
}

const asRoot = process.getuid?.() === 0;
function pgUid(): { uid: number; gid: number } {
  const out = execFileSync('id', ['-u', 'postgres']).toString().trim();
  const gid = execFileSync('id', ['-g', 'postgres']).toString().trim();
  return { uid: Number(out), gid: Number(gid) };
}

function runPg(bin: string, args: string[]): void {
  const cmd = asRoot ? 'runuser' : bin;
  const argv = asRoot ? ['-u', 'postgres', '--', bin, ...args] : args;
  // Generous bounds: initdb and a start take seconds on a quiet machine, far longer at load 16+;
  // the bounds only end a command that never will.
  const result = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 360_000 });
  if (result.status !== 0) throw new Error(`${bin} ${args.join(' ')} failed: ${result.stderr || result.stdout}`);
}

const running = new Set<TestPostgres>();
process.once('exit', () => {
  for (const server of running) server.stopSync();
});

export class TestPostgres {
  private constructor(readonly dir: string, readonly port: number, private readonly bin: string) {}

  static async start(): Promise<TestPostgres> {
    const bin = binDir();
    const dir = await mkdtemp(join(tmpdir(), 'test-postgres-'));
    if (asRoot) {
      const { uid, gid } = pgUid();
      chownSync(dir, uid, gid);
    }
    try {
      runPg(join(bin, 'initdb'), ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C']);
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const server = new TestPostgres(dir, await freePort(), bin);
      try {
        runPg(join(bin, 'pg_ctl'), ['-D', join(dir, 'data'), '-l', join(dir, 'log'), '-w', '-t', '300', 'start',
          '-o', `-p ${server.port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=50`]);
        running.add(server);
        return server;
      } catch (err) {
        lastError = err;
      }
    }
    await rm(dir, { recursive: true, force: true });
    throw lastError;
  }

  /** A URL of the cluster's `postgres` database (or another one). */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** Creates a fresh empty database and returns its URL. */
  async createDatabase(name: string): Promise<string> {
    const client = new pg.Client({ connectionString: this.url() });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
    } finally {
      await client.end();
    }
    return this.url(name);
  }

  stopSync(): void {
    if (!running.has(this)) return;
    running.delete(this);
    try {
      runPg(join(this.bin, 'pg_ctl'), ['-D', join(this.dir, 'data'), '-m', 'immediate', '-w', 'stop']);
    } catch {
      // already gone
    }
    spawnSync('rm', ['-rf', this.dir]);
  }

  async stop(): Promise<void> {
    this.stopSync();
    await rm(this.dir, { recursive: true, force: true });
  }
}
