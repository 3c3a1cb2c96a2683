/**
 * DS9 region files (format 4.1), read and written: circle, box, ellipse and polygon in image
 * (1-based pixels, as DS9 counts; `physical` is read as image) or sky coordinates (fk5, icrs, j2000
 * = fk5, galactic). Pure text in, plain objects out: no DOM, no WCS. Sky positions are degrees
 * (sexagesimal h:m:s / d:m:s read too), sky sizes degrees (the `"`, `'`, `d`, `r` suffixes read; a
 * bare number is degrees, as DS9 takes it), image sizes pixels. Unknown shapes and properties are
 * skipped with a warning rather than failing the file.
 */

export type RegionSystem = 'image' | 'fk5' | 'icrs' | 'galactic';

interface Common {
  readonly system: RegionSystem;
  /** A `-` before the shape: an exclusion region. */
  readonly exclude?: boolean;
  readonly text?: string;
  readonly color?: string;
}

export type Ds9Region =
  | (Common & { readonly shape: 'circle'; readonly center: [number, number]; readonly radius: number })
  | (Common & { readonly shape: 'box'; readonly center: [number, number]; readonly size: [number, number]; readonly angle: number })
  | (Common & { readonly shape: 'ellipse'; readonly center: [number, number]; readonly radii: [number, number]; readonly angle: number })
  | (Common & { readonly shape: 'polygon'; readonly points: Array<[number, number]> });

export interface ParsedRegions {
  readonly regions: Ds9Region[];
  readonly warnings: string[];
}

const SYSTEMS: Record<string, RegionSystem> = { image: 'image', physical: 'image', fk5: 'fk5', j2000: 'fk5', icrs: 'icrs', galactic: 'galactic' };
const SKIPPED_SYSTEMS = new Set(['fk4', 'b1950', 'ecliptic', 'linear', 'amplifier', 'detector', 'wcs', 'wcsa']);

/** A sexagesimal or decimal angle; `hours` reads a:b:c (and XhYmZs) as hours. */
export function parseAngle(text: string, hours: boolean): number {
  const t = text.trim();
  const hms = /^([+-]?)(\d+)[:h ](\d+)[:m ](\d+(?:\.\d*)?)s?$/i.exec(t);
  const dms = /^([+-]?)(\d+)[:d° ](\d+)[:'′ ](\d+(?:\.\d*)?)(?:"|″)?$/i.exec(t);
  const m = hms ?? dms;
  if (m) {
    const v = Number(m[2]) + Number(m[3]) / 60 + Number(m[4]) / 3600;
    const signed = m[1] === '-' ? -v : v;
    const asHours = hours && (hms !== null || t.includes(':'));
    return asHours ? signed * 15 : signed;
  }
  const d = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)(d|°)?$/i.exec(t);
  if (!d) throw new Error(`'${text}' is not an angle`);
  return Number(d[1]);
}

/** A size: pixels in image coordinates; degrees on the sky (", ', d, r suffixes). */
export function parseSize(text: string): number {
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)("|''|'|d|r|p|i)?$/i.exec(text.trim());
  if (!m) throw new Error(`'${text}' is not a size`);
  const v = Number(m[1]);
  switch (m[2]) {
    case '"': case "''": return v / 3600;
    case "'": return v / 60;
    case 'r': return (v * 180) / Math.PI;
    default: return v; // pixels in image coordinates, degrees on the sky
  }
}

function splitArgs(s: string): string[] {
  return s.split(/\s*,\s*|\s+/).map((a) => a.trim()).filter(Boolean);
}

function properties(comment: string): { text?: string; color?: string } {
  const text = /text=\{([^}]*)\}/.exec(comment)?.[1] ?? /text="([^"]*)"/.exec(comment)?.[1];
  const color = /color=([#\w]+)/.exec(comment)?.[1];
  return { ...(text !== undefined ? { text } : {}), ...(color ? { color } : {}) };
}

export function parseDs9(source: string): ParsedRegions {
  const regions: Ds9Region[] = [];
  const warnings: string[] = [];
  let system: RegionSystem | null = null;
  let skipSystem = false;
  source.split(/\r?\n/).forEach((rawLine, lineIndex) => {
    const where = `line ${lineIndex + 1}`;
    // Statements may share a line, separated by ';'. A '#' starts properties (or a comment).
    const hash = rawLine.indexOf('#');
    const body = hash >= 0 ? rawLine.slice(0, hash) : rawLine;
    const comment = hash >= 0 ? rawLine.slice(hash + 1) : '';
    if (/^\s*#/.test(rawLine) && !/^\s*#\s*(circle|box|ellipse|polygon)/i.test(rawLine)) return;
    for (const statement of body.split(';').map((x) => x.trim()).filter(Boolean)) {
      const lower = statement.toLowerCase();
      if (lower.startsWith('global') || lower.startsWith('region file format')) continue;
      if (SYSTEMS[lower]) {
        system = SYSTEMS[lower]!;
        skipSystem = false;
        continue;
      }
      if (SKIPPED_SYSTEMS.has(lower)) {
        skipSystem = true;
        warnings.push(`${where}: coordinate system '${lower}' is not supported; its regions are skipped`);
        continue;
      }
      const m = /^([+-]?)\s*(\w+)\s*\((.*)\)\s*$/.exec(statement);
      if (!m) {
        warnings.push(`${where}: '${statement.slice(0, 40)}' is not a region`);
        continue;
      }
      if (skipSystem) continue;
      const shape = m[2]!.toLowerCase();
      const sys: RegionSystem = system ?? 'image';
      const sky = sys !== 'image';
      const hours = sys === 'fk5' || sys === 'icrs';
      const args = splitArgs(m[3]!);
      const common = { system: sys, ...(m[1] === '-' ? { exclude: true } : {}), ...properties(comment) };
      const point = (i: number): [number, number] => (sky ? [parseAngle(args[i]!, hours), parseAngle(args[i + 1]!, false)] : [Number(args[i]), Number(args[i + 1])]);
      try {
        if (shape === 'circle' && args.length >= 3) {
          regions.push({ shape: 'circle', ...common, center: point(0), radius: parseSize(args[2]!) });
        } else if (shape === 'box' && args.length >= 4) {
          regions.push({ shape: 'box', ...common, center: point(0), size: [parseSize(args[2]!), parseSize(args[3]!)], angle: Number(args[4] ?? 0) });
        } else if (shape === 'ellipse' && args.length >= 4) {
          regions.push({ shape: 'ellipse', ...common, center: point(0), radii: [parseSize(args[2]!), parseSize(args[3]!)], angle: Number(args[4] ?? 0) });
        } else if (shape === 'polygon' && args.length >= 6 && args.length % 2 === 0) {
          const points: Array<[number, number]> = [];
          for (let i = 0; i < args.length; i += 2) points.push(point(i));
          regions.push({ shape: 'polygon', ...common, points });
        } else {
          warnings.push(`${where}: ${shape} with ${args.length} values is not supported`);
          continue;
        }
        const last = regions[regions.length - 1]!;
        const numbers = last.shape === 'polygon' ? last.points.flat() : [...last.center, ...(last.shape === 'circle' ? [last.radius] : last.shape === 'box' ? [...last.size, last.angle] : [...last.radii, last.angle])];
        if (!numbers.every(Number.isFinite)) {
          regions.pop();
          warnings.push(`${where}: ${shape} has a value that is not a number`);
        }
      } catch (err) {
        warnings.push(`${where}: ${(err as Error).message}`);
      }
    }
  });
  return { regions, warnings };
}

const deg = (v: number) => String(+v.toFixed(8));
const arcsec = (v: number) => `${+(v * 3600).toFixed(4)}"`;
const px = (v: number) => String(+v.toFixed(4));

/** DS9 4.1 text: one coordinate-system line before each run of regions in that system. */
export function formatDs9(regions: readonly Ds9Region[]): string {
  const lines = ['# Region file format: DS9 version 4.1', 'global color=green width=1 font="helvetica 10 normal roman"'];
  let current: RegionSystem | null = null;
  for (const r of regions) {
    if (r.system !== current) {
      lines.push(r.system);
      current = r.system;
    }
    const sky = r.system !== 'image';
    const p = (c: readonly [number, number]) => (sky ? `${deg(c[0])},${deg(c[1])}` : `${px(c[0])},${px(c[1])}`);
    const size = (v: number) => (sky ? arcsec(v) : px(v));
    let body: string;
    switch (r.shape) {
      case 'circle': body = `circle(${p(r.center)},${size(r.radius)})`; break;
      case 'box': body = `box(${p(r.center)},${size(r.size[0])},${size(r.size[1])},${+r.angle.toFixed(4)})`; break;
      case 'ellipse': body = `ellipse(${p(r.center)},${size(r.radii[0])},${size(r.radii[1])},${+r.angle.toFixed(4)})`; break;
      case 'polygon': body = `polygon(${r.points.map(p).join(',')})`; break;
    }
    const props = [r.color ? `color=${r.color}` : '', r.text !== undefined ? `text={${r.text}}` : ''].filter(Boolean).join(' ');
    lines.push(`${r.exclude ? '-' : ''}${body}${props ? ` # ${props}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}
