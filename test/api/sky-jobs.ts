/** Polling a composite or mosaic background job until it leaves 'running'. */
import type { TestEngine } from '../helpers/engine.js';

/** The job's last status body (`GET {statusUrl}`), polled every 50 ms, at most `tries` times. */
export async function waitForJob(engine: TestEngine, statusUrl: string, tries = 300): Promise<Record<string, unknown>> {
  let status: Record<string, unknown> = {};
  for (let i = 0; i < tries; i++) {
    status = (await engine.app.inject({ method: 'GET', url: statusUrl })).json();
    if (status.status !== 'running') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return status;
}
