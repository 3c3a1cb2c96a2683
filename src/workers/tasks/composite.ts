/**
 * N-channel composite tasks (src/composite) for src/routes/composite-nchannel.ts. With a
 * `controlPort`, the task posts { event } progress messages on it and stops at the next step when
 * it receives 'cancel' (the client went away).
 */
import type { MessagePort } from 'node:worker_threads';
import { EngineError } from '../../errors.js';
import { analyzeChannels, type AnalyzeSpec } from '../../composite/analyze.js';
import { estimateComposite, type EstimateSpec } from '../../composite/estimate.js';
import { writeObservationMosaic, type ObservationMosaicSpec } from '../../composite/observation-mosaic.js';
import { renderNChannel, type NChannelSpec, type PipelineHooks } from '../../composite/pipeline.js';

type WithPort<T> = T & { controlPort?: MessagePort };

/** Thrown inside a task whose client went away; never reaches a client. */
export class RenderCancelledError extends EngineError {
  constructor() {
    super('CANCELLED', 'The render was cancelled', 499);
  }
}

async function withControl<T>(port: MessagePort | undefined, run: (hooks: PipelineHooks) => Promise<T>): Promise<T> {
  if (!port) return run({});
  let cancelled = false;
  port.on('message', (m) => {
    if (m === 'cancel') cancelled = true;
  });
  const hooks: PipelineHooks = {
    onProgress: (event) => port.postMessage({ event }),
    checkCancelled: async () => {
      await new Promise((r) => setImmediate(r)); // lets a pending 'cancel' message arrive
      if (cancelled) throw new RenderCancelledError();
    },
  };
  try {
    return await run(hooks);
  } finally {
    port.close();
  }
}

export const compositeTasks = {
  'composite.nchannel': (p: WithPort<NChannelSpec>) => withControl(p.controlPort, (hooks) => renderNChannel(p, hooks)),
  'composite.analyze': (p: WithPort<AnalyzeSpec>) => withControl(p.controlPort, (hooks) => analyzeChannels(p, hooks)),
  'composite.estimate': (p: EstimateSpec) => estimateComposite(p),
  'composite.observation-mosaic': (p: ObservationMosaicSpec) => writeObservationMosaic(p),
} as const;
