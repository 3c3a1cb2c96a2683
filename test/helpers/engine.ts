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
  const settings: Settings = loadSettings({ LOG_LEVEL: 'silent', WORKER_THREADS: '2', ...env, DATA_DIR: env.DATA_DIR ?? dataDir });
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
