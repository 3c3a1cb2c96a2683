/**
 * astropy reads our writer's output back equal: test/fixtures/fits/writer-astropy.json records what
 * astropy 5.2.1 (and fitsverify) made of the sample file that writer-sample.ts writes. Here the
 * sample is written again: the bytes must be identical (so that verdict still applies), and our own
 * reader must agree with astropy's values. Regenerate the fixture with make-writer-astropy.py.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FitsFile, readPlane } from '../../src/fits/index.js';
import { writeSample } from '../fixtures/fits/writer-sample.js';
import { close, refNumber, statistics } from './corpus.js';

interface Fixture {
  sha256: string;
  fitsverify: string | null;
  verify_exception: string;
  hdus: {
    name: string;
    ver: number;
    type: string;
    checksum: number;
    datasum: number;
    cards?: Record<string, string | number>;
    image?: { dtype: string; shape: number[]; nan_count: number; sum: number | string; min: number | string; max: number | string; first: (number | string)[] };
  }[];
}

const fixture = JSON.parse(await readFile(new URL('../fixtures/fits/writer-astropy.json', import.meta.url), 'utf8')) as Fixture;

describe('astropy reads the writer output back equal', () => {
  it('the sample is byte-identical to the one astropy and fitsverify checked', async () => {
    assert.equal(fixture.verify_exception, 'pass');
    assert.match(fixture.fitsverify ?? '', /0 warning\(s\) and 0 error\(s\)/);
    assert.ok(fixture.hdus.every((h) => h.checksum === 1 && h.datasum === 1), 'astropy verified every CHECKSUM/DATASUM');
    const dir = await mkdtemp(join(tmpdir(), 'fits-writer-astropy-'));
    try {
      const path = join(dir, 'sample.fits');
      await writeSample(path);
      const bytes = await readFile(path);
      assert.equal(createHash('sha256').update(bytes).digest('hex'), fixture.sha256, 'writer output changed: rerun make-writer-astropy.py');

      const file = await FitsFile.open(path);
      try {
        assert.equal(file.hdus.length, fixture.hdus.length);
        for (const [i, ref] of fixture.hdus.entries()) {
          const hdu = file.hdus[i]!;
          assert.equal(hdu.name, ref.name);
          assert.equal(hdu.ver, ref.ver);
          for (const [k, v] of Object.entries(ref.cards ?? {})) {
            const mine = hdu.header.get(k);
            assert.equal(typeof mine === 'bigint' ? mine.toString() : mine, v, `${ref.name} ${k}`);
          }
          if (!ref.image) continue;
          const planes = ref.image.shape.length > 2 ? ref.image.shape[0]! : 1;
          const values: number[] = [];
          for (let p = 0; p < planes; p++) values.push(...(await readPlane(file, hdu, { plane: planes > 1 ? [p] : [] })).data);
          const s = statistics(values);
          assert.equal(s.nan_count, ref.image.nan_count, `${ref.name} NaN count`);
          for (const k of ['sum', 'min', 'max'] as const) assert.ok(close(s[k], refNumber(ref.image[k]), 1e-12), `${ref.name} ${k}: ${s[k]} vs ${ref.image[k]}`);
          ref.image.first.forEach((v, j) => assert.ok(close(values[j]!, refNumber(v), 1e-12), `${ref.name} value ${j}`));
        }
      } finally {
        await file.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
