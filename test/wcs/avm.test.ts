/**
 * AVM XMP: Spatial fields from the WCS of the image as written, embedded in PNG (iTXt) and JPEG
 * (APP1) and read back with exiftool (skipped with a message when exiftool is not installed).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { avmSpatial, buildAvmXmp, embedAvm, parseAvmMetadataJson } from '../../src/wcs/avm.js';
import { parseWcs, recordHeader, Wcs } from '../../src/wcs/index.js';

const hasExiftool = spawnSync('exiftool', ['-ver'], { stdio: 'ignore' }).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'avm-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const theta = (30 * Math.PI) / 180;
const def = parseWcs(recordHeader({
  NAXIS: 2, NAXIS1: 400, NAXIS2: 300, CTYPE1: 'RA---TAN', CTYPE2: 'DEC--TAN', CRPIX1: 200.5, CRPIX2: 150.5,
  CRVAL1: 83.82, CRVAL2: -5.39, CDELT1: -1e-4, CDELT2: 1e-4,
  PC1_1: Math.cos(theta), PC1_2: -Math.sin(theta), PC2_1: Math.sin(theta), PC2_2: Math.cos(theta), RADESYS: 'ICRS',
}));

function exif(path: string): Record<string, unknown> {
  const r = spawnSync('exiftool', ['-j', '-G1', '-n', '-XMP:all', path], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as Array<Record<string, unknown>>)[0]!;
}

async function image(format: 'png' | 'jpeg', w: number, h: number): Promise<Buffer> {
  const raw = Buffer.alloc(w * h * 3, 90);
  const img = sharp(raw, { raw: { width: w, height: h, channels: 3 } });
  return format === 'png' ? img.png().toBuffer() : img.jpeg({ quality: 80 }).toBuffer();
}

describe('AVM spatial fields', () => {
  it('come from the real WCS (PC matrix honoured) and describe the same sky at the written size', () => {
    const s = avmSpatial(def, 400, 300, 200, 150);
    assert.equal(s.coordinateFrame, 'ICRS');
    assert.equal(s.projection, 'TAN');
    assert.deepEqual(s.referenceDimension, [200, 150]);
    // CD = CDELT*PC with CDELT1 < 0: this PC is a rotation of -30 degrees in the CROTA2 sense.
    assert.ok(Math.abs(s.rotation + 30) < 1e-9, `rotation ${s.rotation}`);
    assert.ok(Math.abs(s.scale[0] + 2e-4) < 1e-15 && Math.abs(s.scale[1] - 2e-4) < 1e-15);
    // The pixel edge (0.5, 0.5) of the written image is the edge of the full grid.
    const full = new Wcs(def);
    const small = Wcs.fromHeader(recordHeader({ NAXIS: 2, CTYPE1: 'RA---TAN', CTYPE2: 'DEC--TAN', CRPIX1: s.referencePixel[0], CRPIX2: s.referencePixel[1], CRVAL1: s.referenceValue[0], CRVAL2: s.referenceValue[1], CDELT1: s.scale[0], CDELT2: s.scale[1], CROTA2: s.rotation }));
    const a = full.pixelToWorld([-0.5, -0.5]);
    const b = small.pixelToWorld([-0.5, -0.5]);
    assert.ok(Math.abs(a[0]! - b[0]!) < 1e-9 && Math.abs(a[1]! - b[1]!) < 1e-9);
    const c = full.pixelToWorld([399.5, 299.5]);
    const d = small.pixelToWorld([199.5, 149.5]);
    assert.ok(Math.abs(c[0]! - d[0]!) < 1e-9 && Math.abs(c[1]! - d[1]!) < 1e-9);
  });

  it('builds a well-formed packet with a real BOM, rdf:about and Spectral.Bandpass for the filter', () => {
    const meta = parseAvmMetadataJson(JSON.stringify({ target_name: 'NGC 3132', filter: 'F444W', instrument: 'NIRCAM' }));
    const packet = buildAvmXmp(avmSpatial(def, 400, 300), meta);
    assert.ok(packet.startsWith('<?xpacket begin="\uFEFF"'));
    assert.match(packet, /rdf:about=""/);
    assert.match(packet, /<avm:Spectral.Bandpass>[\s\S]*F444W/);
    assert.doesNotMatch(packet, /CentralWavelength/);
    assert.deepEqual(parseAvmMetadataJson('not json'), {});
  });
});

describe('AVM embedded and read back by exiftool', { skip: hasExiftool ? false : 'exiftool not installed (Debian package libimage-exiftool-perl)' }, () => {
  for (const format of ['png', 'jpeg'] as const) {
    it(`${format}: exiftool reads the Spatial fields, the image still decodes`, async () => {
      const img = await image(format, 200, 150);
      const out = embedAvm(img, avmSpatial(def, 400, 300, 200, 150), { title: 'Test', facility: 'JWST', bandpass: 'F200W' });
      const meta = await sharp(out).metadata();
      assert.equal(meta.width, 200);
      assert.equal(meta.height, 150);
      const path = join(dir, `t.${format}`);
      writeFileSync(path, out);
      const tags = exif(path);
      assert.equal(tags['XMP-avm:SpatialCoordinateFrame'], 'ICRS');
      assert.equal(tags['XMP-avm:SpatialCoordsystemProjection'], 'TAN');
      assert.deepEqual(tags['XMP-avm:SpatialReferenceDimension'], [200, 150]);
      assert.deepEqual(tags['XMP-avm:SpatialReferenceValue'], [83.82, -5.39]);
      assert.ok(Math.abs((tags["XMP-avm:SpatialRotation"] as number) + 30) < 1e-9);
      assert.equal(tags['XMP-avm:SpectralBandpass'], 'F200W');
    });
  }
});
