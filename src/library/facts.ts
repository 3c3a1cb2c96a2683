/**
 * Facts about a data file from its headers only (never its pixels): for FITS the primary header
 * and the first SCI/image extension's header, for ECSV the `# ` meta
 * lines. What the headers lack comes from the file name (level, observation id).
 */
import { readLocationHead } from '../storage/locations.js';
import { FitsFile, type Header } from '../fits/index.js';
import { levelFromHeader, levelFromName, observationIdFrom, stem } from './classify.js';
import type { DataType, FileFacts, SkyPoint } from './record.js';

export const FITS_NAME = /\.(fits|fit|fts)(\.gz|\.bz2|\.fz)?$|\.fz$/i;
export const ECSV_NAME = /\.ecsv$/i;

export function isLibraryFile(name: string): boolean {
  return FITS_NAME.test(name) || ECSV_NAME.test(name);
}

/** Parses `POLYGON [ICRS] ra1 dec1 ra2 dec2 ...` (S_REGION) into corners. */
export function parseSRegion(text: string | undefined): SkyPoint[] | null {
  if (!text) return null;
  const m = /^\s*POLYGON\s+(?:[A-Z]+\s+)?([-+0-9.eE\s]+)$/i.exec(text.trim());
  if (!m) return null;
  const nums = m[1]!.trim().split(/\s+/).map(Number);
  if (nums.length < 6 || nums.length % 2 !== 0 || nums.some((n) => !Number.isFinite(n))) return null;
  const out: SkyPoint[] = [];
  for (let i = 0; i < nums.length; i += 2) out.push([nums[i]!, nums[i + 1]!]);
  return out;
}

function text(h: Header | undefined, ...keys: string[]): string | undefined {
  for (const k of keys) {
    const v = h?.getString(k)?.trim();
    if (v) return v;
  }
  return undefined;
}

function num(h: Header | undefined, ...keys: string[]): number | undefined {
  for (const k of keys) {
    const v = h?.getNumber(k);
    if (v !== undefined && Number.isFinite(v)) return v;
  }
  return undefined;
}

/** FILTER, with PUPIL when it is not CLEAR (NIRCam's F405N+F444W style pairs). */
function filterOf(primary: Header | undefined): string | null {
  const filter = text(primary, 'FILTER');
  const pupil = text(primary, 'PUPIL');
  if (!filter) return pupil && !/^clear/i.test(pupil) ? pupil : null;
  return pupil && !/^clear/i.test(pupil) && !/^(grism|gr)/i.test(pupil) ? `${filter};${pupil}` : filter;
}

const METADATA_KEYS: Array<[string, string]> = [
  ['program', 'PROGRAM'], ['observation', 'OBSERVTN'], ['visit', 'VISIT'], ['exposureType', 'EXP_TYPE'],
  ['detector', 'DETECTOR'], ['pupil', 'PUPIL'], ['grating', 'GRATING'], ['exposureTime', 'EFFEXPTM'],
  ['dateObs', 'DATE-OBS'], ['telescope', 'TELESCOP'], ['calVersion', 'CAL_VER'], ['bunit', 'BUNIT'],
];

/** Bounds of the read (unset: the FITS library's defaults). */
export interface FactsLimits {
  readonly maxFileBytes?: number;
  readonly maxExpansionRatio?: number;
}

export async function readFitsFacts(absPath: string, relPath: string, limits: FactsLimits = {}): Promise<FileFacts> {
  const file = await FitsFile.open(absPath, { maxHdus: 1000, ...limits });
  try {
    const primary = file.hdus[0]?.header;
    const image = file.hdus.find((h) => (h.kind === 'image' || h.kind === 'compressed-image') && h.axes.length >= 2 && h.axes.every((n) => n > 0));
    const sci = file.hdus.find((h) => h.name.toUpperCase() === 'SCI') ?? image;
    const get = (k: string) => text(primary, k) ?? text(sci?.header, k);
    const name = relPath.split('/').pop() ?? relPath;
    let dataType: DataType = 'other';
    if (image) dataType = image.axes.length >= 3 && (image.axes[2] ?? 1) > 1 ? 'cube' : 'image';
    else if (file.hdus.some((h) => h.kind === 'bintable' || h.kind === 'ascii-table')) dataType = /_(x1d|c1d|x1dints)$/i.test(stem(name)) ? 'spectrum' : 'table';
    const metadata: Record<string, string | number | boolean | null> = {};
    for (const [key, kw] of METADATA_KEYS) {
      const v = primary?.get(kw) ?? sci?.header.get(kw);
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') metadata[key] = typeof v === 'string' ? v.trim() : v;
    }
    if (image) metadata.shape = image.axes.join('x');
    return {
      dataType,
      observationId: observationIdFrom(relPath, text(primary, 'OBS_ID')),
      calibrationLevel: levelFromName(name) ?? levelFromHeader(get),
      instrument: text(primary, 'INSTRUME') ?? null,
      filter: filterOf(primary),
      target: text(primary, 'TARGPROP', 'TARGNAME', 'OBJECT') ?? null,
      ra: num(primary, 'TARG_RA', 'RA_TARG') ?? num(sci?.header, 'CRVAL1') ?? null,
      dec: num(primary, 'TARG_DEC', 'DEC_TARG') ?? num(sci?.header, 'CRVAL2') ?? null,
      footprint: parseSRegion(text(sci?.header, 'S_REGION') ?? text(primary, 'S_REGION')),
      metadata,
    };
  } finally {
    await file.close();
  }
}

/** ECSV: the YAML-ish header lines (`# key: value`) up to the first data line, at most 64 KiB. */
export async function readEcsvFacts(absPath: string, relPath: string): Promise<FileFacts> {
  // A local file or an object (one ranged GET): the meta lines are at the top.
  const head = (await readLocationHead(absPath, 64 * 1024)).toString('utf8');
  const meta = new Map<string, string>();
  for (const line of head.split('\n')) {
    if (!line.startsWith('#')) break;
    const m = /^#\s+(?:-\s+)?([A-Za-z_][\w-]*):\s+(.+)$/.exec(line);
    if (m && !meta.has(m[1]!.toUpperCase())) meta.set(m[1]!.toUpperCase(), m[2]!.trim().replace(/^['"]|['"]$/g, ''));
  }
  const name = relPath.split('/').pop() ?? relPath;
  const number = (k: string) => {
    const v = Number(meta.get(k));
    return meta.has(k) && Number.isFinite(v) ? v : null;
  };
  return {
    dataType: /_(x1d|c1d)$/i.test(stem(name)) ? 'spectrum' : 'table',
    observationId: observationIdFrom(relPath, meta.get('OBS_ID')),
    calibrationLevel: levelFromName(name),
    instrument: meta.get('INSTRUME') ?? meta.get('INSTRUMENT') ?? null,
    filter: meta.get('FILTER') ?? null,
    target: meta.get('TARGPROP') ?? meta.get('TARGNAME') ?? meta.get('TARGET') ?? null,
    ra: number('TARG_RA') ?? number('RA'),
    dec: number('TARG_DEC') ?? number('DEC'),
    footprint: null,
    metadata: {},
  };
}

/** Facts for any library file; a file the readers cannot make sense of still gets name-based facts. */
export async function readFileFacts(absPath: string, relPath: string, limits: FactsLimits = {}): Promise<FileFacts> {
  try {
    return ECSV_NAME.test(relPath) ? await readEcsvFacts(absPath, relPath) : await readFitsFacts(absPath, relPath, limits);
  } catch {
    const name = relPath.split('/').pop() ?? relPath;
    return {
      dataType: 'other', observationId: observationIdFrom(relPath, undefined), calibrationLevel: levelFromName(name),
      instrument: null, filter: null, target: null, ra: null, dec: null, footprint: null, metadata: { unreadable: true },
    };
  }
}
