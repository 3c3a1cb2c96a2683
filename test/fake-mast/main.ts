/**
 * `npm run fake-mast`: runs the fake MAST on a port for manual use, the astroquery check and
 * benchmarks. Env: FAKE_MAST_PORT (default 8765), FAKE_MAST_HOST (127.0.0.1), FAKE_MAST_IMAGE_SIZE (256).
 * Prints `fake MAST listening on <url>` once ready; stops on SIGINT/SIGTERM.
 */
import { FakeMast } from './server.js';

const fake = await FakeMast.start({
  port: Number(process.env.FAKE_MAST_PORT ?? 8765),
  host: process.env.FAKE_MAST_HOST ?? '127.0.0.1',
  imageSize: Number(process.env.FAKE_MAST_IMAGE_SIZE ?? 256),
});
process.stdout.write(`fake MAST listening on ${fake.url}\n`);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    void fake.close().then(() => process.exit(0));
  });
}
