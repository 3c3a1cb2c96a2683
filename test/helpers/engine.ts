/** Starts an engine on a fresh temporary DATA_DIR for API tests (Fastify inject, no port). */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSettings, type Settings } from '../../src/config.js';
import { startEngine, type Engine } from '../../src/engine.js';

export interface TestEngine extends Engine {
  readonly dataDir: string;
  /** Closes the engine and removes its data directory. */
  dispose(): Promise<void>;
}

export async function startTestEngine(env: Record<string, string> = {}): Promise<TestEngine> {
  const dataDir = await mkdtemp(join(tmpdir(), 'jwst-engine-test-'));
  // No resident plane buffers (64 MiB per pool thread by default): test files start many engines
  // side by side, and some measure their process's memory. test/workers/prewarm-resident.test.ts
  // covers the default.
  const settings: Settings = loadSettings({ LOG_LEVEL: 'silent', WORKER_THREADS: '2', WORKER_PLANE_BUFFER_MB: '0', ...env, DATA_DIR: env.DATA_DIR ?? dataDir });
  const engine = await startEngine(settings);
  return {
    ...engine,
    dataDir,
    async dispose() {
      await engine.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
