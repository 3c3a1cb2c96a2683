/** Channel tasks' progress events put back in the one-thread order (src/composite/progress-order.ts). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChannelProgressOrder } from '../../src/composite/progress-order.js';
import type { ProgressEvent } from '../../src/composite/pipeline.js';

const R = (i: number): ProgressEvent => ({ stage: 'reproject', message: `Reprojecting c${i}`, filter: `c${i}`, index: i + 1, total: 3 });
const N: ProgressEvent = { stage: 'background_neutralize', message: 'Neutralising sky backgrounds' };
const S = (i: number): ProgressEvent => ({ stage: 'stretch', message: `Stretching c${i}`, filter: `c${i}`, index: i + 1, total: 3 });
const name = (e: ProgressEvent) => `${e.stage}${e.index ?? ''}`;

function run(total: number, neutralize: boolean, arrivals: Array<[number, ProgressEvent]>): string[] {
  const out: string[] = [];
  const order = new ChannelProgressOrder(total, neutralize, (e) => out.push(name(e)));
  for (const [i, e] of arrivals) order.receive(i, e);
  return out;
}

describe('channel progress order', () => {
  it('sends reprojections in channel order, one neutralisation after all, then stretches in order', () => {
    const arrivals: Array<[number, ProgressEvent]> = [[1, R(1)], [0, R(0)], [1, N], [1, S(1)], [0, N], [2, R(2)], [0, S(0)], [2, N], [2, S(2)]];
    assert.deepEqual(run(3, true, arrivals), ['reproject1', 'reproject2', 'reproject3', 'background_neutralize', 'stretch1', 'stretch2', 'stretch3']);
  });

  it('passes over channels from the cache (no reproject event) and works without neutralisation', () => {
    assert.deepEqual(run(3, false, [[2, R(2)], [1, S(1)], [0, S(0)], [2, S(2)]]), ['reproject3', 'stretch1', 'stretch2', 'stretch3']);
    assert.deepEqual(run(3, true, [[0, N], [1, N], [2, R(2)], [0, S(0)], [2, N], [1, S(1)], [2, S(2)]]), ['reproject3', 'background_neutralize', 'stretch1', 'stretch2', 'stretch3']);
  });

  it('holds a later event until every earlier one has come', () => {
    const out: string[] = [];
    const order = new ChannelProgressOrder(2, true, (e) => out.push(name(e)));
    order.receive(1, R(1));
    order.receive(1, N);
    order.receive(1, S(1));
    assert.deepEqual(out, []);
    order.receive(0, R(0));
    assert.deepEqual(out, ['reproject1', 'reproject2']);
    order.receive(0, N);
    assert.deepEqual(out, ['reproject1', 'reproject2', 'background_neutralize']);
    order.receive(0, S(0));
    assert.deepEqual(out, ['reproject1', 'reproject2', 'background_neutralize', 'stretch1', 'stretch2']);
  });
});
