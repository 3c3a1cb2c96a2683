/**
 * What the CLI's download progress shows: ETA `--` until known (never cli-progress' NULL/INF),
 * bars that fit the terminal (rendered by cli-progress into a fake terminal of each width), and
 * file errors as one sentence naming the file.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import cliProgress from 'cli-progress';
import { barLayout, etaText, fitName } from '../../src/cli/progress-format.js';
import { runCli } from '../helpers/cli.js';

/** A terminal `columns` wide that keeps what cli-progress draws. */
class FakeTerminal extends Writable {
  readonly isTTY = true;
  text = '';
  constructor(readonly columns: number) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;

describe('CLI progress text', () => {
  it('ETA is -- until known, then short units', () => {
    for (const unknown of [null, undefined, Number.NaN, Number.POSITIVE_INFINITY, -1]) assert.equal(etaText(unknown), '--');
    assert.equal(etaText(0), '0s');
    assert.equal(etaText(12.4), '12s');
    assert.equal(etaText(185), '3m05s');
    assert.equal(etaText(3720), '1h02m');
  });

  it('names are fitted to their column', () => {
    assert.equal(fitName('a.fits', 8), 'a.fits  ');
    assert.equal(fitName('jw02733-o001_t001_nircam_clear-f090w_i2d.fits', 10), '…_i2d.fits');
  });

  for (const columns of [40, 60, 80, 100, 160, 250]) {
    it(`bars drawn by cli-progress fit a ${columns}-column terminal, with no NULL or INF`, () => {
      const terminal = new FakeTerminal(columns);
      const layout = barLayout(columns);
      const multi = new cliProgress.MultiBar({ format: layout.format, barsize: layout.barSize, stream: terminal as unknown as NodeJS.WritableStream, hideCursor: false, clearOnComplete: false, stopOnComplete: false, autopadding: true, fps: 1000 }, cliProgress.Presets.shades_classic);
      const payload = { name: fitName('jw02733-o001_t001_nircam_clear-f090w_i2d.fits', layout.nameWidth), done: '1023.9 MiB', size: '1023.9 MiB', speed: 'downloading', etaText: etaText(null) };
      const bar = multi.create(1000, 0, payload);
      bar.update(500, payload);
      multi.update(); // draw now, not on cli-progress' timer
      bar.update(1000, { ...payload, etaText: etaText(3599) });
      multi.update();
      multi.stop();
      const lines = terminal.text.replace(ANSI, '\n').split(/[\r\n]+/).filter((l) => l.trim() !== '');
      assert.ok(lines.length > 0, 'cli-progress drew something');
      for (const line of lines) {
        assert.ok(line.length < columns, `${line.length} >= ${columns}: "${line}"`);
        assert.doesNotMatch(line, /NULL|INF/);
      }
      assert.ok(lines.some((l) => l.includes('ETA --')));
      assert.ok(lines.some((l) => l.includes('100%')));
    });
  }
});

describe('CLI file errors', () => {
  it('name the file in one sentence, without the raw system message', async () => {
    for (const args of [['info', 'no-such-file.fits'], ['header', 'no-such-file.fits'], ['analyze', 'no-such-file.fits', 'statistics'], ['preview', 'no-such-file.fits', '-o', 'x.png']]) {
      const r = await runCli(args);
      assert.equal(r.code, 1, args.join(' '));
      assert.equal(r.stderr, 'error: no-such-file.fits does not exist.\n', args.join(' '));
    }
  });
});
