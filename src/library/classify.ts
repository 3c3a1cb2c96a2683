/**
 * Calibration level and observation id from a JWST file name, with header fallbacks.
 * Suffixes as the upstream library maps them: `_uncal` L1; `_rate*` L2a; `_cal*`, `_crf` L2b;
 * `_i2d _s2d _s3d _x1d* _c1d _cat _segm` L3.
 */
import type { CalibrationLevel } from './record.js';

const SUFFIX = /_(uncal|rateints|rate|calints|cal|crfints|crf|i2d|s2d|s3d|x1dints|x1d|c1d|cat|segm|asn)$/i;

const LEVEL_BY_SUFFIX: Record<string, CalibrationLevel> = {
  uncal: 'L1',
  rate: 'L2a',
  rateints: 'L2a',
  cal: 'L2b',
  calints: 'L2b',
  crf: 'L2b',
  crfints: 'L2b',
  i2d: 'L3',
  s2d: 'L3',
  s3d: 'L3',
  x1d: 'L3',
  x1dints: 'L3',
  c1d: 'L3',
  cat: 'L3',
  segm: 'L3',
};

/** The name without directory and FITS/ECSV extensions (and compression). */
export function stem(fileName: string): string {
  const base = fileName.split('/').pop() ?? fileName;
  return base.replace(/\.(fits|fit|fts|ecsv)(\.gz|\.fz|\.bz2)?$|\.fz$/i, '');
}

export function productSuffix(fileName: string): string | null {
  const m = SUFFIX.exec(stem(fileName));
  return m ? m[1]!.toLowerCase() : null;
}

export function levelFromName(fileName: string): CalibrationLevel | null {
  const suffix = productSuffix(fileName);
  return suffix ? LEVEL_BY_SUFFIX[suffix] ?? null : null;
}

/**
 * From the pipeline step keywords when the name says nothing: a resampled product is L3, a
 * photometrically calibrated one L2b, a ramp-fitted one L2a, a raw JWST exposure L1.
 */
export function levelFromHeader(get: (keyword: string) => string | undefined): CalibrationLevel | null {
  const done = (k: string) => (get(k) ?? '').toUpperCase() === 'COMPLETE';
  if (done('S_RESAMP') || done('S_OUTLIR') || done('S_SKYMAT')) return 'L3';
  if (done('S_PHOTOM') || done('S_FLAT')) return 'L2b';
  if (done('S_RAMP')) return 'L2a';
  if ((get('TELESCOP') ?? '').toUpperCase() === 'JWST' && (get('S_DQINIT') !== undefined || get('DATAMODL') === 'Level1bModel')) return 'L1';
  return null;
}

/**
 * The MAST observation id: the `mast/{obs_id}/` folder when the file lives there, the stem of a
 * level-3 product name (`jw02733-o001_t001_nircam_clear-f090w`), or the OBS_ID header.
 */
export function observationIdFrom(relPath: string, headerObsId: string | undefined): string | null {
  const parts = relPath.split('/');
  if (parts.length >= 3 && parts[0] === 'mast' && parts[1]) return parts[1];
  const s = stem(parts[parts.length - 1] ?? '');
  const suffix = productSuffix(s);
  if (/^jw\d{5}-[a-z]\d{3}_/i.test(s) && suffix) return s.slice(0, -(suffix.length + 1));
  if (headerObsId) return headerObsId;
  const exposure = /^(jw\d{11})_\d{5}_\d{5}/i.exec(s);
  return exposure ? exposure[1]!.toLowerCase() : null;
}
