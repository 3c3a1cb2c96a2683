/**
 * The deployment files say what docs/jobs.md says (issue #13): the image's HEALTHCHECK asks for
 * liveness (`GET /health`), never readiness, so a busy engine is not restarted; the compose example
 * has a `worker` service running `node dist/worker.js` (profile scale-out) beside a Redis that keeps
 * its data (append-only file, no eviction); the worker entry point is part of the build.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../helpers/paths.js';

const read = (name: string) => readFileSync(join(REPO_ROOT, name), 'utf8');

describe('deployment files', () => {
  it('the Docker HEALTHCHECK asks GET /health (liveness), not /health/ready', () => {
    const dockerfile = read('Dockerfile');
    const check = /^HEALTHCHECK\b(?:[^\n]*\\\n)*[^\n]*/m.exec(dockerfile)?.[0];
    assert.ok(check, 'the image has a HEALTHCHECK');
    const urls = [...check.matchAll(/https?:\/\/[^'"\s)]+/g)].map((m) => new URL(m[0]).pathname);
    assert.deepEqual(urls, ['/health']);
  });

  it('the compose example runs workers with node dist/worker.js beside a Redis that keeps its data', () => {
    const compose = parse(read('docker-compose.example.yml')) as { services: Record<string, { command?: string[]; profiles?: string[]; environment?: Record<string, string>; depends_on?: string[] }> };
    const worker = compose.services.worker;
    assert.ok(worker, 'a worker service');
    assert.deepEqual(worker.command, ['node', 'dist/worker.js']);
    assert.deepEqual(worker.profiles, ['scale-out']);
    assert.match(String(worker.environment?.REDIS_URL), /^redis:\/\//);
    assert.deepEqual(worker.depends_on, ['redis']);
    const redis = compose.services.redis;
    assert.ok(redis?.command?.join(' ').includes('--appendonly yes'));
    assert.ok(redis?.command?.join(' ').includes('--maxmemory-policy noeviction'));
    // The API service can run without local workers when the profile is used.
    assert.ok('RUN_LOCAL_WORKERS' in (compose.services['processing-engine']?.environment ?? {}));
  });

  it('dist/worker.js is built from src/worker.ts (the build compiles every file under src)', () => {
    const build = JSON.parse(read('tsconfig.build.json')) as { include?: string[]; compilerOptions?: { rootDir?: string; outDir?: string } };
    assert.ok(build.include?.some((p) => p === 'src' || p.startsWith('src/')), JSON.stringify(build.include));
    assert.equal(build.compilerOptions?.outDir?.replace(/^\.\//, ''), 'dist');
    assert.match(read('src/worker.ts'), /runWorker\(\)\.catch\(fatal\)/);
  });
});
