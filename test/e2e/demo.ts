/**
 * `npm run demo`: the engine on http://127.0.0.1:8000 (web interface at /app/) talking to the fake
 * MAST, with data in ./data-demo — try the whole workbench without reaching the real MAST.
 */
import { resolve } from 'node:path';
import { startStack } from './harness.js';

const stack = await startStack({ port: Number(process.env.PORT ?? 8000), dataDir: resolve(process.env.DATA_DIR ?? 'data-demo'), logLevel: 'info' });
process.stdout.write(`engine on ${stack.url} (web interface: ${stack.url}/app/), fake MAST on ${stack.fake.url}\n`);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    void stack.close().then(() => process.exit(0));
  });
}
