/**
 * A private `redis-server` for tests (Debian package, installed by .ci/run): its own free port and
 * temp directory, never the machine's Redis on 6379. Start, stop, restart on the same port (the
 * same URL keeps working for clients that reconnect), and always clean up: `stop()` removes the
 * directory, and a process-exit hook kills any server a failed test left running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './engine-process.js';

export interface TestRedisOptions {
  /**
   * 'none' (default): nothing survives a restart. 'aof': every write is appended and fsynced
   * (appendfsync always), so a restart, even after SIGKILL, finds every acknowledged write.
   */
  readonly persistence?: 'none' | 'aof';
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export class TestRedis {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private log = '';

  private constructor(readonly port: number, readonly dir: string, private readonly options: TestRedisOptions) {}

  /** Starts a server on a free port; retries on another port if the one picked was taken meanwhile. */
  static async start(options: TestRedisOptions = {}): Promise<TestRedis> {
    const dir = await mkdtemp(join(tmpdir(), 'test-redis-'));
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const redis = new TestRedis(await freePort(), dir, options);
      try {
        await redis.launch();
        return redis;
      } catch (err) {
        lastError = err;
        await redis.kill();
      }
    }
    await rm(dir, { recursive: true, force: true });
    throw lastError;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** The server's process id while it runs (benches read its CPU time from /proc). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get isRunning(): boolean {
    return this.child !== undefined;
  }

  /** Graceful stop (SHUTDOWN through SIGTERM); with AOF the data stays in `dir` for a restart. */
  async shutdown(): Promise<void> {
    await this.signal('SIGTERM');
  }

  /** Hard stop: SIGKILL, as a crashed Redis host. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** Stops the server and starts it again on the same port and directory. */
  async restart(how: 'shutdown' | 'kill' = 'shutdown'): Promise<void> {
    await (how === 'kill' ? this.kill() : this.shutdown());
    await this.launch();
  }

  /** Stops the server (if running) and removes its directory. */
  async stop(): Promise<void> {
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }

  /** What the server wrote to stdout/stderr (for failure messages). */
  output(): string {
    return this.log;
  }

  private async signal(sig: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill(sig);
    await this.exited;
  }

  private async launch(): Promise<void> {
    const args = [
      '--port', String(this.port),
      '--bind', '127.0.0.1',
      '--dir', this.dir,
      '--save', '',
      '--daemonize', 'no',
      // BullMQ needs every key kept: never evict.
      '--maxmemory-policy', 'noeviction',
      ...(this.options.persistence === 'aof'
        ? ['--appendonly', 'yes', '--appendfsync', 'always']
        : ['--appendonly', 'no']),
    ];
    const child = spawn('redis-server', args, { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    running.add(child);
    const onData = (d: Buffer) => {
      this.log = (this.log + d.toString()).slice(-20_000);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    let spawnFailed: (err: Error) => void = () => undefined;
    const spawnError = new Promise<never>((_, reject) => (spawnFailed = reject));
    this.exited = new Promise<void>((resolve) => {
      const gone = () => {
        running.delete(child);
        if (this.child === child) this.child = undefined;
        resolve();
      };
      child.once('exit', gone);
      // A failed spawn (ENOENT: redis-server not installed) emits 'error' and no 'exit'.
      child.once('error', (err) => {
        gone();
        spawnFailed(new Error(`cannot start redis-server (apt-get install redis-server): ${err.message}`));
      });
    });
    await Promise.race([this.waitForPing(), spawnError]);
  }

  /**
   * Polls PING over a raw socket until +PONG; fails if the server exits first or after 120 s (it
   * answers in well under a second on a quiet machine; the bound only ends a server that never will).
   */
  private async waitForPing(): Promise<void> {
    const until = Date.now() + 120_000;
    for (;;) {
      if (!this.child) throw new Error(`redis-server exited on port ${this.port}: ${this.log}`);
      if (await ping(this.port)) return;
      if (Date.now() > until) throw new Error(`redis-server did not answer PING on port ${this.port}: ${this.log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** One PING over a fresh connection: true on +PONG (a loading server answers -LOADING: false). */
export function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.on('data', (d: Buffer) => {
      reply += d.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
    socket.once('connect', () => socket.write('PING\r\n'));
  });
}
