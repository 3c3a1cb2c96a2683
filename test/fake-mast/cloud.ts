/**
 * The fake AWS mirror of MAST: the fake's path lookup places every JWST product under
 * `jwst/public/<program>/<name stem>/<file>` (a layout of the real bucket's kind; the engine never
 * builds keys itself), and `loadFakeMirror` copies the fake's files into an S3 test server's bucket
 * (`stpubdata`) under those keys, so tests download from "AWS" without a network.
 */
import type { S3Storage } from '../../src/storage/s3.js';
import type { FakeMast } from './server.js';

/** The key the fake's path lookup gives a product file. */
export function cloudKeyOf(filename: string): string {
  const program = filename.slice(0, 7);
  const stem = filename.split('_')[0] ?? filename;
  return `jwst/public/${program}/${stem}/${filename}`;
}

/** Puts the fake MAST's files named `filenames` into `bucket` under their cloud keys; returns the keys. */
export async function loadFakeMirror(fake: FakeMast, bucket: S3Storage, filenames: readonly string[]): Promise<string[]> {
  const keys: string[] = [];
  for (const name of filenames) {
    const file = fake.dataset.files.get(`mast:jwst/product/${name}`.toLowerCase());
    if (!file) throw new Error(`fake MAST has no file ${name}`);
    const key = cloudKeyOf(file.filename);
    await bucket.write(key, await file.load());
    keys.push(key);
  }
  return keys;
}
