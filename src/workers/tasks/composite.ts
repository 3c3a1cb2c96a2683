/**
 * N-channel composite tasks (src/composite) for src/routes/composite-nchannel.ts. With a
 * `controlPort`, the task posts { event } progress messages on it, then { done: true }; it stops at the next step once
 * the pool's stop flag is set (the client went away, the engine shuts down).
 */
import type { MessagePort } from 'node:worker_threads';
import { collectingAfter } from '../collect-garbage.js';
import { throwIfCancelled } from '../../core/cancellation.js';
import { analyzeChannels, type AnalyzeSpec } from '../../composite/analyze.js';
import { estimateComposite, type EstimateSpec } from '../../composite/estimate.js';
import { writeObservationMosaic, type ObservationMosaicSpec } from '../../composite/observation-mosaic.js';
import { finishNChannel, planNChannel, renderChannelPart, renderNChannel, type ChannelSums, type NChannelSetup, type NChannelSpec, type PipelineHooks } from '../../composite/pipeline.js';

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
    port.postMessage({ done: true }); // after every event (src/workers/composite-render.ts waits for it)
    port.close();
  }
}

export const compositeTasks = {
  'composite.nchannel': (p: WithPort<NChannelSpec>) => withControl(p.controlPort, (hooks) => renderNChannel(p, hooks)),
  // A render split over threads (src/workers/composite-render.ts): plan, one task per channel, finish.
  'composite.nchannel-plan': (p: NChannelSpec) => planNChannel(p),
  // Both leave large dead arrays; collected once their answer is sent (collect-garbage.ts).
  'composite.nchannel-channel': (p: WithPort<NChannelSpec & { setup: NChannelSetup; index: number; sums: ChannelSums }>) =>
    collectingAfter(() => withControl(p.controlPort, (hooks) => renderChannelPart(p, p.setup, p.index, p.sums, hooks))),
  'composite.nchannel-finish': (p: WithPort<NChannelSpec & { setup: NChannelSetup; sums: ChannelSums }>) =>
    collectingAfter(() => withControl(p.controlPort, (hooks) => finishNChannel(p, p.setup, p.sums, hooks))),
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
