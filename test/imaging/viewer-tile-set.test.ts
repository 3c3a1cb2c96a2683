/**
 * Tiles computed in sets (the coarse pyramid in one pass, a row of tiles of a finer level in one
 * pass) are the tiles computed one by one: NaN-aware block means of the native pixels, with NaN
 * and infinities left out, edge blocks averaging only the pixels that exist. Coarser pyramid
 * levels add their children's sums in another order, so they may differ in the last float32 bit.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeFits } from '../../src/fits/index.js';
import { PYRAMID_MAX_PIXELS, TILE_SIZE, levelCount, levelGeometry, pyramidBase, tileFile, tileSetFile, tileSetKey } from '../../src/imaging/viewer/tiles.js';
import { mulberry32 as rng } from '../helpers/prng.js';

const W = 3300;
const H = 2900;
const limits = { maxFileBytes: 1e9, maxElements: 100_000_000 };

describe('viewer tile sets', () => {
  let dir: string;
  let path: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tile-set-'));
    path = join(dir, 'img.fits');
    const r = rng(11);
    const data = new Float32Array(W * H);
    for (let i = 0; i < data.length; i++) data[i] = (r() - 0.3) * 10 ** Math.floor(r() * 4);
    for (let y = 300; y < 340; y++) for (let x = 500; x < 620; x++) data[y * W + x] = NaN; // wider than a level-3 block
    data[5 * W + 7] = Infinity;
    data[1000 * W + 2000] = -Infinity;
    await writeFile(path, await encodeFits([{ axes: [], cards: [] }, { axes: [W, H], data, extname: 'SCI', cards: [] }]));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('groups levels into the pyramid, rows of finer levels and single level-0 tiles', () => {
    const base = pyramidBase(W, H);
    assert.equal(base, 2); // level 1 is 1650 x 1450 = 2.4 M pixels, level 2 825 x 725
    const g = levelGeometry(W, H, base);
    assert.ok(g.width * g.height <= PYRAMID_MAX_PIXELS);
    assert.equal(tileSetKey(W, H, levelCount(W, H) - 1, 0, 0), 'pyramid');
    assert.equal(tileSetKey(W, H, 1, 2, 1), '1/row/1');
    assert.equal(tileSetKey(W, H, 0, 2, 1), '0/2/1');
  });

  for (const [level, tx, ty] of [[1, 1, 1], [2, 0, 0], [3, 0, 0], [0, 4, 3]] as const) {
    it(`level ${level} tile (${tx}, ${ty}) and its set equal the tiles read one by one`, async () => {
      const set = await tileSetFile({ path, sliceIndex: -1, level, tx, ty, limits });
      assert.equal(set[0]!.level, level);
      assert.equal(set[0]!.x0, tx * TILE_SIZE * 2 ** level);
      assert.equal(set[0]!.y0, ty * TILE_SIZE * 2 ** level);
      for (const t of set) {
        const span = TILE_SIZE * t.factor;
        const one = await tileFile({ path, sliceIndex: -1, level: t.level, tx: t.x0 / span, ty: t.y0 / span, limits });
        assert.deepEqual([t.width, t.height, t.x0, t.y0, t.factor], [one.width, one.height, one.x0, one.y0, one.factor]);
        const a = new Float32Array(t.data.buffer, t.data.byteOffset, t.width * t.height);
        const b = new Float32Array(one.data.buffer, one.data.byteOffset, one.width * one.height);
        for (let i = 0; i < a.length; i++) {
          if (Number.isNaN(b[i]!)) assert.ok(Number.isNaN(a[i]!), `level ${t.level} (${t.x0}, ${t.y0}) pixel ${i}: ${a[i]} for NaN`);
          else assert.ok(Math.abs(a[i]! - b[i]!) <= Math.abs(b[i]!) * 2 ** -23, `level ${t.level} (${t.x0}, ${t.y0}) pixel ${i}: ${a[i]} != ${b[i]}`);
        }
      }
    });
  }
});
