import { it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryJobStore, StoreWritesUnsupportedError } from '../../src/jobs/index.js';
import { jobStoreConformance, sampleRecord } from './store.conformance.js';

jobStoreConformance('MemoryJobStore', async () => ({ store: new MemoryJobStore() }));

it('MemoryJobStore refuses other writes with a record (it has no database to share) and writes nothing', async () => {
  const store = new MemoryJobStore();
  await store.insert(sampleRecord('a', { state: 'running' }));
  await assert.rejects(store.update(sampleRecord('a', { state: 'completed' }), ['running'], async () => undefined), StoreWritesUnsupportedError);
  assert.equal((await store.get('a'))!.state, 'running');
});
