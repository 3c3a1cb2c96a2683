/**
 * An engine process (`engine`: as src/main.ts starts it) or a job worker (`worker`: as src/worker.ts
 * does) with a test hold armed (src/workers/task-hold.ts) on one pool task:
 *   node --import tsx test/helpers/held-engine.ts engine|worker <task>
 * Every run of <task> waits in the middle of its work (after its first stop check) until it is
 * stopped (its client goes away, a SIGTERM shuts the process down): it cannot finish before the
 * test acts, however fast or loaded the machine. When a run gets there the process writes
 * `held: <task>` to stderr, the event a test waits for. Nothing of this is in the engine's own
 * entry points: the hold is armed by this file only.
 */
import { startEngine } from '../../src/engine.js';
import { startWorker } from '../../src/worker.js';
import { fatal, serve } from '../../src/serve.js';
import type { TaskName } from '../../src/workers/tasks/index.js';

const [kind, task] = process.argv.slice(2) as ['engine' | 'worker', TaskName];
if ((kind !== 'engine' && kind !== 'worker') || !task) fatal(new Error('usage: held-engine.ts engine|worker <task>'));

serve(async (settings) => {
  const engine = await (kind === 'worker' ? startWorker(settings) : startEngine(settings));
  const hold = engine.ctx.pool.holdForTest(task);
  // (test/helpers/engine-process.ts, waitForHold, looks for this line)
  void hold.reached().then(() => process.stderr.write(`held: ${task}\n`));
  return engine;
}).catch(fatal);
