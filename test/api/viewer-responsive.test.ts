import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { writeRamp } from './viewer-files.js';

describe('a heavy preview never blocks the event loop', () => {
  let engine: TestEngine;
  before(async () => {
    engine = await startTestEngine();
    await writeRamp(engine.dataDir, 'heavy.fits', 3000, 3000);
  });
  after(async () => engine.dispose());

  it('light requests (GET /, GET /health) are answered while the preview renders', async () => {
    let previewDone = false;
    const heavy = engine.app
      .inject({ url: '/preview/x?file_path=heavy.fits&stretch=histeq&black_point=0.01&white_point=0.99&width=2000&height=2000' })
      .then((res) => {
        previewDone = true;
        return res;
      });
    const answeredDuringPreview: string[] = [];
    while (!previewDone) {
      for (const url of ['/', '/health']) {
        const res = await engine.app.inject({ url });
        assert.equal(res.statusCode, 200);
        if (!previewDone) answeredDuringPreview.push(url);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    const res = await heavy;
    assert.equal(res.statusCode, 200);
    assert.ok(answeredDuringPreview.includes('/'), 'GET / was answered before the preview finished');
    assert.ok(answeredDuringPreview.includes('/health'), 'GET /health (which itself uses the pool) was answered before the preview finished');
    assert.ok(answeredDuringPreview.length >= 4, `only ${answeredDuringPreview.length} light answers during the preview`);
  });
});
