/**
 * Progress events of a render whose channels run as separate tasks at once
 * (src/workers/composite-render.ts), passed on in the order a one-thread render sends them: every
 * channel's `reproject` (cache misses only) in channel order, one `background_neutralize` once all
 * channels are neutralised, every channel's `stretch` in channel order. Streams and job progress
 * (which maps stages and channel indices to fractions) so never go back.
 */
import type { ProgressEvent } from './pipeline.js';

interface ChannelEvents {
  reproject?: ProgressEvent;
  neutralize?: ProgressEvent;
  stretch?: ProgressEvent;
}

export class ChannelProgressOrder {
  private readonly channels: ChannelEvents[];
  private phase: 'reproject' | 'neutralize' | 'stretch' | 'done' = 'reproject';
  private next = 0;

  /** `neutralize`: whether the channels send a `background_neutralize` event. */
  constructor(total: number, private readonly neutralize: boolean, private readonly emit: (e: ProgressEvent) => void) {
    this.channels = Array.from({ length: total }, () => ({}));
  }

  /** An event of channel `index`'s task (each task sends its own events in stage order). */
  receive(index: number, e: ProgressEvent): void {
    const c = this.channels[index]!;
    if (e.stage === 'reproject') c.reproject = e;
    else if (e.stage === 'background_neutralize') c.neutralize = e;
    else if (e.stage === 'stretch') c.stretch = e;
    else return;
    this.flush();
  }

  private flush(): void {
    const total = this.channels.length;
    for (;;) {
      if (this.phase === 'reproject') {
        if (this.next === total) {
          this.phase = this.neutralize ? 'neutralize' : 'stretch';
          this.next = 0;
          continue;
        }
        const c = this.channels[this.next]!;
        // a channel from the cache sends no reproject event: its later events say it is past it
        if (!c.reproject && !c.neutralize && !c.stretch) return;
        if (c.reproject) this.emit(c.reproject);
        this.next++;
      } else if (this.phase === 'neutralize') {
        if (!this.channels.every((c) => c.neutralize || c.stretch)) return;
        const first = this.channels.find((c) => c.neutralize)?.neutralize;
        if (first) this.emit(first);
        this.phase = 'stretch';
      } else if (this.phase === 'stretch') {
        if (this.next === total) {
          this.phase = 'done';
          return;
        }
        const e = this.channels[this.next]!.stretch;
        if (!e) return;
        this.emit(e);
        this.next++;
      } else return;
    }
  }
}
