/**
 * N-channel composite tasks (src/composite) for src/routes/composite-nchannel.ts. With a
 * `controlPort`, the task posts { event } progress messages on it; it stops at the next step once
 * the pool's stop flag is set (the client went away, the engine shuts down).
 */
import type { MessagePort } from 'node:worker_threads';
import { throwIfCancelled } from '../../core/cancellation.js';
import { analyzeChannels, type AnalyzeSpec } from '../../composite/analyze.js';
import { estimateComposite, type EstimateSpec } from '../../composite/estimate.js';
import { writeObservationMosaic, type ObservationMosaicSpec } from '../../composite/observation-mosaic.js';
import { renderNChannel, type NChannelSpec, type PipelineHooks } from '../../composite/pipeline.js';

type WithPort<T> = T & { controlPort?: MessagePort };

async function withControl<T>(port: MessagePort | undefined, run: (hooks: PipelineHooks) => Promise<T>): Promise<T> {
  const checkCancelled = async () => throwIfCancelled();
  if (!port) return run({ checkCancelled });
  const hooks: PipelineHooks = {
    onProgress: (event) => port.postMessage({ event }),
    checkCancelled,
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
  'composite.observation-mosaic': async (p: ObservationMosaicSpec & { progressPort?: MessagePort }) => {
    const port = p.progressPort;
    try {
      return await writeObservationMosaic(p, port ? (fraction, stage) => port.postMessage({ fraction, stage }) : undefined);
    } finally {
      port?.close();
    }
  },
} as const;
