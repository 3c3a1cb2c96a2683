import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatDs9, parseAngle, parseDs9, type Ds9Region } from '../../web/src/viewer/ds9-regions.js';

const close = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

describe('DS9 regions', () => {
  it('reads sexagesimal and decimal angles', () => {
    close(parseAngle('10:07:01.5', true), (10 + 7 / 60 + 1.5 / 3600) * 15);
    close(parseAngle('-40:26:11', false), -(40 + 26 / 60 + 11 / 3600));
    close(parseAngle('-00:30:00', false), -0.5);
    close(parseAngle('151.75', true), 151.75);
    close(parseAngle('10h07m01.5s', true), (10 + 7 / 60 + 1.5 / 3600) * 15);
    assert.throws(() => parseAngle('abc', true), /not an angle/);
  });

  it('reads a DS9 file: systems, shapes, units, exclusions, properties, several per line', () => {
    const text = [
      '# Region file format: DS9 version 4.1',
      'global color=green dashlist=8 3 width=1 font="helvetica 10 normal roman"',
      'fk5',
      'circle(10:07:01.5,-40:26:11.0,2.5") # color=red text={star A}',
      'box(151.75,-40.43,10",5\',30)',
      '-ellipse(151.76,-40.44,0.001,0.0005,45)',
      'image; circle(100,200,5); polygon(1,1,10,1,10,10)',
      'icrs;point(151.7,-40.4) # point=x',
      'fk4',
      'circle(1,2,3)',
      'galactic',
      'ellipse(285.1,1.2,3\',2\',0)',
    ].join('\n');
    const { regions, warnings } = parseDs9(text);
    assert.equal(regions.length, 6);
    const [c, b, e, ic, poly, gal] = regions as [Ds9Region & { shape: 'circle' }, Ds9Region & { shape: 'box' }, Ds9Region & { shape: 'ellipse' }, Ds9Region & { shape: 'circle' }, Ds9Region & { shape: 'polygon' }, Ds9Region & { shape: 'ellipse' }];
    assert.equal(c.system, 'fk5');
    close(c.center[0], 151.75625);
    close(c.radius, 2.5 / 3600);
    assert.deepEqual([c.color, c.text], ['red', 'star A']);
    assert.deepEqual([b.size[0] * 3600, b.size[1] * 60, b.angle].map((v) => +v.toFixed(9)), [10, 5, 30]);
    assert.equal(e.exclude, true);
    assert.deepEqual([ic.system, ic.center, ic.radius], ['image', [100, 200], 5]);
    assert.deepEqual(poly.points, [[1, 1], [10, 1], [10, 10]]);
    assert.equal(gal.system, 'galactic');
    close(gal.center[0], 285.1); // galactic longitudes are degrees, never hours
    close(gal.radii[0], 0.05);
    assert.equal(warnings.length, 2, warnings.join('; '));
    assert.match(warnings.join('\n'), /point with 2 values is not supported/);
    assert.match(warnings.join('\n'), /'fk4' is not supported/);
  });

  it('writes what it reads (round trip in sky and image coordinates)', () => {
    const regions: Ds9Region[] = [
      { shape: 'circle', system: 'fk5', center: [151.75625, -40.43638889], radius: 2.5 / 3600, text: 'A', color: 'red' },
      { shape: 'box', system: 'fk5', center: [151.75, -40.43], size: [10 / 3600, 5 / 3600], angle: 30 },
      { shape: 'ellipse', system: 'icrs', center: [10, 20], radii: [0.001, 0.0005], angle: 45, exclude: true },
      { shape: 'polygon', system: 'icrs', points: [[10, 20], [10.01, 20], [10.01, 20.01]] },
      { shape: 'circle', system: 'image', center: [100.5, 200.25], radius: 5 },
      { shape: 'polygon', system: 'image', points: [[1, 1], [10, 1], [10, 10]] },
    ];
    const text = formatDs9(regions);
    assert.match(text, /^# Region file format: DS9 version 4.1\n/);
    assert.match(text, /circle\(151\.75625,-40\.43638889,2\.5"\) # color=red text=\{A\}/);
    const back = parseDs9(text);
    assert.deepEqual(back.warnings, []);
    assert.equal(back.regions.length, regions.length);
    back.regions.forEach((r, i) => {
      const want = regions[i]!;
      assert.equal(r.shape, want.shape);
      assert.equal(r.system, want.system);
      assert.equal(!!r.exclude, !!want.exclude);
      const flat = (x: Ds9Region) => (x.shape === 'polygon' ? x.points.flat() : x.shape === 'circle' ? [...x.center, x.radius] : x.shape === 'box' ? [...x.center, ...x.size, x.angle] : [...x.center, ...x.radii, x.angle]);
      flat(r).forEach((v, k) => close(v, flat(want)[k]!, 1e-8));
    });
  });
});
