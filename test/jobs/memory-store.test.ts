import { MemoryJobStore } from '../../src/jobs/index.js';
import { jobStoreConformance } from './store.conformance.js';

jobStoreConformance('MemoryJobStore', async () => ({ store: new MemoryJobStore() }));
