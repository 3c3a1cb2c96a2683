/**
 * Astronomy Visualization Metadata (AVM 1.2) for rendered images: the Spatial fields computed from
 * the WCS of the image *as written* (its real pixel size, FITS orientation with row 1 at the
 * bottom as our renderers draw it), serialised as an XMP packet, and inserted into PNG (an iTXt
 * chunk 'XML:com.adobe.xmp') or JPEG (an APP1 segment) without re-encoding the pixels.
 *
 * Fixes the upstream writer (contract §4.7, §7.1.6): PC matrices are honoured, ReferencePixel and
 * ReferenceDimension are written, the BOM is a real U+FEFF, rdf:about is present, the filter goes to
 * Spectral.Bandpass (not CentralWavelength), and JPEG output really carries the packet.
 */
import { WcsError } from './errors.js';
import type { WcsDefinition } from './definition.js';
import { wcsToCards } from './to-header.js';
import { Wcs } from './wcs.js';

export interface AvmSpatial {
  readonly coordinateFrame: 'ICRS' | 'FK5' | 'FK4' | 'ECL' | 'GAL' | 'SGAL';
  readonly equinox?: string;
  readonly projection: string;
  /** [lon, lat] of the reference pixel, degrees. */
  readonly referenceValue: readonly [number, number];
  /** [x, y] 1-based FITS pixel of the reference point in the written image. */
  readonly referencePixel: readonly [number, number];
  /** [width, height] of the written image. */
  readonly referenceDimension: readonly [number, number];
  /** Degrees per pixel [x, y] (x negative when east is left). */
  readonly scale: readonly [number, number];
  /** Degrees, east of north (AIPS CROTA2 convention). */
  readonly rotation: number;
  /** The WCS as FITS header text (80-character cards), for readers that prefer it. */
  readonly fitsHeader?: string;
}

export interface AvmMetadata {
  readonly title?: string;
  readonly description?: string;
  readonly subjectName?: string;
  readonly facility?: string;
  readonly instrument?: string;
  readonly spectralBand?: string;
  /** Filter name(s): AVM Spectral.Bandpass. */
  readonly bandpass?: string;
  readonly publisher?: string;
  readonly credit?: string;
}

const AVM_PROJECTIONS = new Set(['TAN', 'SIN', 'ARC', 'AIT', 'CAR', 'CEA']);

/**
 * AVM Spatial fields for an image of `outWidth` x `outHeight` pixels rendered from the whole
 * `width` x `height` grid of `def` (each output pixel covering width/outWidth input pixels).
 */
export function avmSpatial(def: WcsDefinition, width: number, height: number, outWidth = width, outHeight = height): AvmSpatial {
  const wcs = new Wcs(def).celestialPlane();
  const cel = wcs.celestial!;
  const code = cel.projection.code;
  if (!AVM_PROJECTIONS.has(code)) throw new WcsError(`AVM cannot describe the ${code} projection`, 'WCS_AVM_UNSUPPORTED');
  const fx = width / outWidth;
  const fy = height / outHeight;
  const [m00, m01, m10, m11] = wcs.celestialMatrix();
  // Scale the CD matrix by the resampling factors (columns are pixel axes).
  const cd11 = m00 * fx, cd12 = m01 * fy, cd21 = m10 * fx, cd22 = m11 * fy;
  const det = cd11 * cd22 - cd12 * cd21;
  const cdelt2 = Math.hypot(cd12, cd22);
  const cdelt1 = Math.sign(det || -1) * Math.hypot(cd11, cd21);
  const rotation = (Math.atan2(-cd12, cd22) * 180) / Math.PI;
  const crpix = wcs.definition.crpix;
  const lonFirst = cel.lon === 0;
  const refPixel: [number, number] = [(crpix[0]! - 0.5) / fx + 0.5, (crpix[1]! - 0.5) / fy + 0.5];
  const crval = wcs.definition.crval;
  const frame = cel.frame;
  const coordinateFrame = frame.system === 'galactic' ? 'GAL' : frame.system === 'ecliptic' ? 'ECL' : frame.system === 'supergalactic' ? 'SGAL'
    : frame.system === 'fk5' ? 'FK5' : frame.system === 'fk4' || frame.system === 'fk4-no-e' ? 'FK4' : 'ICRS';
  const equinox = frame.system === 'fk5' ? `J${frame.equinox ?? 2000}` : frame.system === 'fk4' || frame.system === 'fk4-no-e' ? `B${frame.equinox ?? 1950}` : coordinateFrame === 'ICRS' ? 'J2000' : undefined;
  const scaled: WcsDefinition = {
    ...wcs.definition,
    crpix: refPixel,
    cdelt: [1, 1],
    pc: [[cd11, cd12], [cd21, cd22]],
    fromCd: true,
    imageShape: [outWidth, outHeight],
  };
  const fitsHeader = wcsToCards(scaled).map((c) => formatCard(c.keyword, c.value)).join('');
  return {
    coordinateFrame,
    equinox,
    projection: code,
    referenceValue: lonFirst ? [crval[0]!, crval[1]!] : [crval[1]!, crval[0]!],
    referencePixel: refPixel,
    referenceDimension: [outWidth, outHeight],
    scale: [cdelt1, cdelt2],
    rotation,
    fitsHeader,
  };
}

function formatCard(keyword: string, value: number | string): string {
  const v = typeof value === 'number' ? formatNumber(value).padStart(20) : `'${value.replace(/'/g, "''").padEnd(8)}'`.padEnd(20);
  return `${keyword.padEnd(8)}= ${v}`.padEnd(80).slice(0, 80);
}

function formatNumber(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  // Shortest round-trip form, with the FITS exponent letter.
  return String(v).replace('e', 'E');
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const num = (v: number) => String(v);

/** The XMP packet (UTF-8 text, real U+FEFF in xpacket begin). */
export function buildAvmXmp(spatial: AvmSpatial | undefined, meta: AvmMetadata = {}): string {
  const lines: string[] = [];
  const simple = (tag: string, value: string | undefined) => {
    if (value !== undefined && value !== '') lines.push(`   <${tag}>${xmlEscape(value)}</${tag}>`);
  };
  const seq = (tag: string, values: ReadonlyArray<string | number> | undefined) => {
    if (!values || values.length === 0) return;
    lines.push(`   <${tag}>`, '    <rdf:Seq>', ...values.map((v) => `     <rdf:li>${xmlEscape(String(v))}</rdf:li>`), '    </rdf:Seq>', `   </${tag}>`);
  };
  const bag = (tag: string, values: ReadonlyArray<string> | undefined) => {
    if (!values || values.length === 0) return;
    lines.push(`   <${tag}>`, '    <rdf:Bag>', ...values.map((v) => `     <rdf:li>${xmlEscape(v)}</rdf:li>`), '    </rdf:Bag>', `   </${tag}>`);
  };
  const alt = (tag: string, value: string | undefined) => {
    if (!value) return;
    lines.push(`   <${tag}>`, '    <rdf:Alt>', `     <rdf:li xml:lang="x-default">${xmlEscape(value)}</rdf:li>`, '    </rdf:Alt>', `   </${tag}>`);
  };
  simple('avm:MetadataVersion', '1.2');
  alt('dc:title', meta.title);
  alt('dc:description', meta.description);
  seq('dc:creator', meta.publisher ? [meta.publisher] : undefined);
  simple('photoshop:Credit', meta.credit ?? meta.publisher);
  simple('photoshop:Source', meta.facility === 'JWST' || meta.facility === undefined ? 'James Webb Space Telescope' : meta.facility);
  bag('avm:Subject.Name', meta.subjectName ? [meta.subjectName] : undefined);
  seq('avm:Facility', meta.facility ? [meta.facility] : undefined);
  seq('avm:Instrument', meta.instrument ? [meta.instrument] : undefined);
  seq('avm:Spectral.Band', meta.spectralBand ? [meta.spectralBand] : undefined);
  seq('avm:Spectral.Bandpass', meta.bandpass ? [meta.bandpass] : undefined);
  if (spatial) {
    simple('avm:Spatial.CoordinateFrame', spatial.coordinateFrame);
    simple('avm:Spatial.Equinox', spatial.equinox);
    simple('avm:Spatial.CoordsystemProjection', spatial.projection);
    seq('avm:Spatial.ReferenceValue', spatial.referenceValue.map(num));
    seq('avm:Spatial.ReferenceDimension', spatial.referenceDimension.map(num));
    seq('avm:Spatial.ReferencePixel', spatial.referencePixel.map(num));
    seq('avm:Spatial.Scale', spatial.scale.map(num));
    simple('avm:Spatial.Rotation', num(spatial.rotation));
    simple('avm:Spatial.Quality', 'Full');
    simple('avm:Spatial.FITSheader', spatial.fitsHeader);
  }
  return [
    '<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>',
    '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="jwst-processing-engine">',
    ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
    '  <rdf:Description rdf:about=""',
    '    xmlns:avm="http://www.communicatingastronomy.org/avm/1.0/"',
    '    xmlns:dc="http://purl.org/dc/elements/1.1/"',
    '    xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/">',
    ...lines,
    '  </rdf:Description>',
    ' </rdf:RDF>',
    '</x:xmpmeta>',
    '<?xpacket end="w"?>',
  ].join('\n');
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Inserts the packet as an uncompressed iTXt chunk right after IHDR (before any IDAT). */
export function embedXmpInPng(png: Buffer, packet: string): Buffer {
  if (png.length < 33 || !png.subarray(0, 8).equals(PNG_SIGNATURE)) throw new WcsError('Not a PNG image', 'AVM_BAD_IMAGE', 500);
  const ihdrLen = png.readUInt32BE(8);
  const afterIhdr = 8 + 12 + ihdrLen;
  const body = Buffer.concat([Buffer.from('iTXtXML:com.adobe.xmp\0\0\0\0\0', 'latin1'), Buffer.from(packet, 'utf8')]);
  const chunk = Buffer.alloc(body.length + 8);
  chunk.writeUInt32BE(body.length - 4, 0);
  body.copy(chunk, 4);
  chunk.writeUInt32BE(crc32(body), body.length + 4);
  return Buffer.concat([png.subarray(0, afterIhdr), chunk, png.subarray(afterIhdr)]);
}

const XMP_NS = Buffer.from('http://ns.adobe.com/xap/1.0/\0', 'latin1');

/** Inserts the packet as an APP1 segment after SOI and any APP0 (JFIF) segment. */
export function embedXmpInJpeg(jpeg: Buffer, packet: string): Buffer {
  if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new WcsError('Not a JPEG image', 'AVM_BAD_IMAGE', 500);
  const payload = Buffer.concat([XMP_NS, Buffer.from(packet, 'utf8')]);
  if (payload.length + 2 > 0xffff) throw new WcsError('XMP packet too large for one JPEG APP1 segment', 'AVM_TOO_LARGE', 500);
  const segment = Buffer.alloc(payload.length + 4);
  segment[0] = 0xff;
  segment[1] = 0xe1;
  segment.writeUInt16BE(payload.length + 2, 2);
  payload.copy(segment, 4);
  let pos = 2;
  while (pos + 4 <= jpeg.length && jpeg[pos] === 0xff && jpeg[pos + 1] === 0xe0) pos += 2 + jpeg.readUInt16BE(pos + 2);
  return Buffer.concat([jpeg.subarray(0, pos), segment, jpeg.subarray(pos)]);
}

/** Embeds AVM into a PNG or JPEG (detected from the bytes); other formats come back unchanged. */
export function embedAvm(image: Buffer, spatial: AvmSpatial | undefined, meta: AvmMetadata = {}): Buffer {
  let packet = buildAvmXmp(spatial, meta);
  if (image.subarray(0, 8).equals(PNG_SIGNATURE)) return embedXmpInPng(image, packet);
  if (image[0] === 0xff && image[1] === 0xd8) {
    if (Buffer.byteLength(packet) > 60_000 && spatial) packet = buildAvmXmp({ ...spatial, fitsHeader: undefined }, meta);
    return embedXmpInJpeg(image, packet);
  }
  return image;
}

/** The upstream `avm_metadata` JSON (target_name, instrument, filter, ...) as AvmMetadata; bad JSON -> {}. */
export function parseAvmMetadataJson(text: string | undefined | null): AvmMetadata {
  if (!text) return { facility: 'JWST' };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return {};
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return {};
  const r = raw as Record<string, unknown>;
  const s = (k: string) => (typeof r[k] === 'string' && r[k] !== '' ? (r[k] as string) : undefined);
  return {
    title: s('target_name'),
    subjectName: s('target_name'),
    description: s('description'),
    instrument: s('instrument'),
    bandpass: s('filter'),
    spectralBand: s('spectral_band'),
    publisher: s('publisher'),
    facility: s('facility') ?? 'JWST',
  };
}
