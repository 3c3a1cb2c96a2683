import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeFits, FitsFile, prewarmFitsReader, readPlane } from '../../src/fits/index.js';

test('prewarmFitsReader runs once, and reads after it (pooled buffer in place) are unchanged', async () => {
  const first = prewarmFitsReader();
  assert.equal(prewarmFitsReader(), first);
  await first;
  const values = Float32Array.from({ length: 12 }, (_, i) => i - 3.5);
  const file = await FitsFile.fromBuffer(await encodeFits([{ data: values, axes: [4, 3], bitpix: -32 }]));
  assert.deepEqual(Array.from((await readPlane(file, 0)).data), Array.from(values));
  await file.close();
});
