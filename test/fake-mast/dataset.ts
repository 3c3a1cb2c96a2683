/**
 * The fake MAST's data: CAOM observation rows, product rows and their files.
 *
 * - NGC 3132 (the Southern Ring, program 2733, ERO): the ten level-3 NIRCam/MIRI observations as
 *   MAST sent them (`../shared/mast-samples/jwst-engine-search-target-ngc3132.json`), twenty
 *   level-2 exposure observations, and per-observation products (i2d, segm, cat, asn, previews, and
 *   member cal/rate/uncal files shared between the level-3 and level-2 observations, so product
 *   lists of several obsids contain duplicate dataURIs as at MAST).
 * - NGC 6552 MIRI MRS cube (the real DOC-VIZ record, obsid 83209967) with s3d/x1d products.
 * - WLM (program 1334) beside RA 0 and a test field at RA 359.95 (cone searches across 0/360).
 * - Test fields within 0.5° of both celestial poles.
 * - An exclusive-access observation (EXCLUSIVE_ACCESS, release in the future) near NGC 3132.
 * - Three observations released in the last weeks (relative to the fake's start time).
 * - The HST/GALEX rows of astroquery's captured test data (`caom.json`, `products.json`).
 * Rows marked "Fake MAST test field" are illustrative; the others carry real MAST values.
 * obsid/objID are numbers, as MAST sends them (its `fields` declare them "string").
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED_DIR } from '../helpers/paths.js';
import { fileBytes, fileSize, type FileKind, type FileSpec } from './product-files.js';

export type Cell = string | number | boolean | null;
export type Row = Record<string, Cell>;

export interface FakeFile {
  readonly uri: string;
  readonly filename: string;
  readonly size: number;
  /** PUBLIC or EXCLUSIVE_ACCESS (the latter needs a token to download). */
  readonly dataRights: string;
  readonly contentType: string;
  /** The file's bytes (deterministic); generated on first use. */
  bytes(): Buffer;
}

export interface ResolverEntry {
  searchString: string;
  resolver: string;
  cached: boolean;
  resolverTime: number;
  searchRadius: number;
  canonicalName: string;
  ra: number;
  decl: number;
  objectType: string;
}

export interface FakeDataset {
  readonly observations: Row[];
  /** Products by the obsid they are listed under (parent_obsid). */
  readonly productsByObsid: Map<string, Row[]>;
  /** Files by lower-cased dataURI (MAST URIs are not case-sensitive in practice). */
  readonly files: Map<string, FakeFile>;
  /** Name resolver table, keyed by lower-cased name. */
  readonly names: Map<string, ResolverEntry[]>;
}

export interface DatasetOptions {
  /** Side of i2d images in pixels (default 256; cal/rate are half, uncal a quarter). */
  readonly imageSize?: number;
  /** "Now" for release dates of recent/proprietary observations. */
  readonly now?: number;
}

const MJD0 = Date.UTC(1858, 10, 17);
const mjd = (ms: number) => (ms - MJD0) / 86_400_000;

function sample(name: string): { data?: Row[]; results?: Row[] } & Record<string, unknown> {
  return JSON.parse(readFileSync(join(SHARED_DIR, 'mast-samples', name), 'utf8')) as { data?: Row[] };
}

function squareRegion(ra: number, dec: number, halfDeg: number): string {
  const c = Math.max(Math.cos((dec * Math.PI) / 180), 1e-3);
  const dra = Math.min(halfDeg / c, 179);
  const pts = [[ra - dra, dec - halfDeg], [ra + dra, dec - halfDeg], [ra + dra, dec + halfDeg], [ra - dra, dec + halfDeg]];
  return `POLYGON ${pts.map(([a, d]) => `${(((a! % 360) + 360) % 360).toFixed(9)} ${Math.max(-90, Math.min(90, d!)).toFixed(9)}`).join(' ')}`;
}

interface ObsSpec {
  obs_id: string;
  obsid: number;
  objID: number;
  instrument_name: string;
  filters: string | null;
  target_name: string;
  target_classification: string | null;
  s_ra: number;
  s_dec: number;
  dataproduct_type: string;
  proposal_pi: string;
  calib_level: number;
  t_min: number;
  t_exptime: number;
  em_min: number | null;
  em_max: number | null;
  obs_title: string;
  t_obs_release: number;
  proposal_id: string;
  proposal_type: string;
  dataRights?: string;
  preview?: string;
  data?: string;
}

function jwstRow(o: ObsSpec): Row {
  return {
    intentType: 'science',
    obs_collection: 'JWST',
    provenance_name: 'CALJWST',
    instrument_name: o.instrument_name,
    project: 'JWST',
    filters: o.filters,
    wavelength_region: 'INFRARED',
    target_name: o.target_name,
    target_classification: o.target_classification,
    obs_id: o.obs_id,
    s_ra: o.s_ra,
    s_dec: o.s_dec,
    dataproduct_type: o.dataproduct_type,
    proposal_pi: o.proposal_pi,
    calib_level: o.calib_level,
    t_min: o.t_min,
    t_max: o.t_min + o.t_exptime / 86400 + 0.01,
    t_exptime: o.t_exptime,
    em_min: o.em_min,
    em_max: o.em_max,
    obs_title: o.obs_title,
    t_obs_release: o.t_obs_release,
    proposal_id: o.proposal_id,
    proposal_type: o.proposal_type,
    sequence_number: null,
    s_region: squareRegion(o.s_ra, o.s_dec, o.instrument_name.startsWith('MIRI') ? 0.022 : 0.03),
    jpegURL: o.preview ?? null,
    dataURL: o.data ?? null,
    dataRights: o.dataRights ?? 'PUBLIC',
    mtFlag: false,
    srcDen: null,
    obsid: o.obsid,
    objID: o.objID,
  };
}

const DESCRIPTIONS: Record<string, string> = {
  I2D: 'exposure/target (L2b/L3): rectified 2D image',
  SEGM: 'target (L3): segmentation map',
  CAT: 'target (L3): source catalog',
  ASN: 'association (L3): association pool',
  CAL: 'exposure (L2b): 2D calibrated exposure',
  CRF: 'exposure (L3): cosmic-ray flagged exposure',
  RATE: 'exposure (L2a): corrected countrate image',
  UNCAL: 'exposure (L1b): uncalibrated 4D exposure data',
  S3D: 'exposure/target (L2b/L3): 3D image of spectrum',
  X1D: 'exposure/target (L2b/L3): 1D extracted spectrum',
  PREVIEW: 'Preview-Full',
};

interface ProductDef {
  filename: string;
  kind: FileKind;
  productType: string;
  subGroup: string | null;
  calib: number;
  mrp: boolean;
  /** The observation the product belongs to (its own obs_id/obsID). */
  owner: Row;
}

export function buildDataset(options: DatasetOptions = {}): FakeDataset {
  const imageSize = options.imageSize ?? 256;
  const now = options.now ?? Date.now();
  const observations: Row[] = [];
  const productsByObsid = new Map<string, Row[]>();
  const files = new Map<string, FakeFile>();

  const addFile = (spec: FileSpec, dataRights: string): FakeFile => {
    const uri = `mast:JWST/product/${spec.filename}`;
    const existing = files.get(uri.toLowerCase());
    if (existing) return existing;
    let cached: Buffer | undefined;
    const ext = spec.filename.split('.').pop() ?? '';
    const file: FakeFile = {
      uri,
      filename: spec.filename,
      size: fileSize(spec),
      dataRights,
      contentType: ext === 'jpg' ? 'image/jpeg' : ext === 'json' ? 'application/json' : ext === 'ecsv' ? 'text/plain' : 'application/octet-stream',
      bytes: () => (cached ??= fileBytes(spec)),
    };
    files.set(uri.toLowerCase(), file);
    return file;
  };

  const productRow = (parent: Row, d: ProductDef, file: FakeFile): Row => ({
    obsID: d.owner.obsid as number,
    obs_collection: 'JWST',
    dataproduct_type: d.owner.dataproduct_type as string,
    obs_id: d.owner.obs_id as string,
    description: DESCRIPTIONS[d.productType === 'PREVIEW' ? 'PREVIEW' : d.subGroup ?? ''] ?? 'product',
    type: d.owner === parent ? 'D' : 'S',
    dataURI: file.uri,
    productType: d.productType,
    productGroupDescription: d.mrp ? 'Minimum Recommended Products' : null,
    productSubGroupDescription: d.subGroup,
    productDocumentationURL: null,
    project: 'CALJWST',
    prvversion: '1.5.3',
    proposal_id: parent.proposal_id as string,
    productFilename: d.filename,
    size: file.size,
    parent_obsid: parent.obsid as number,
    dataRights: file.dataRights,
    calib_level: d.calib,
    filters: parent.filters,
  });

  const specFor = (owner: Row, filename: string, kind: FileKind, detector: string): FileSpec => {
    const inst = String(owner.instrument_name).split('/')[0]!;
    const filt = String(owner.filters ?? 'CLEAR').split(';')[0]!;
    const lw = /nrcblong|nrcalong/.test(detector) || /F(2[5-9]|[34]\d)\d[WNM]/.test(filt);
    return {
      filename, kind, instrument: inst, detector: detector.toUpperCase(), filter: filt,
      target: String(owner.target_name), program: String(owner.proposal_id).padStart(5, '0'), obsId: String(owner.obs_id),
      ra: Number(owner.s_ra), dec: Number(owner.s_dec),
      scale: inst === 'MIRI' ? 0.11 : lw ? 0.063 : 0.031, pa: 34.6, imageSize,
    };
  };

  const attach = (parent: Row, defs: ProductDef[], detectorOf: (d: ProductDef) => string) => {
    const list = productsByObsid.get(String(parent.obsid)) ?? [];
    for (const d of defs) {
      const file = addFile(specFor(d.owner, d.filename, d.kind, detectorOf(d)), String(parent.dataRights ?? 'PUBLIC'));
      list.push(productRow(parent, d, file));
    }
    productsByObsid.set(String(parent.obsid), list);
  };

  // Level-3 imaging observation + its level-2 member exposures (each also a CAOM observation).
  const addImaging = (l3: Row, members: Array<{ base: string; detector: string; obsid: number; objID: number }>) => {
    observations.push(l3);
    const stem = String(l3.obs_id);
    const prog = String(l3.proposal_id).padStart(5, '0');
    const own: ProductDef[] = [
      { filename: `${stem}_i2d.fits`, kind: 'i2d', productType: 'SCIENCE', subGroup: 'I2D', calib: 3, mrp: true, owner: l3 },
      { filename: `${stem}_segm.fits`, kind: 'segm', productType: 'SCIENCE', subGroup: 'SEGM', calib: 3, mrp: false, owner: l3 },
      { filename: `${stem}_cat.ecsv`, kind: 'ecsv', productType: 'SCIENCE', subGroup: 'CAT', calib: 3, mrp: true, owner: l3 },
      { filename: `${stem}_i2d.jpg`, kind: 'jpg', productType: 'PREVIEW', subGroup: null, calib: 3, mrp: false, owner: l3 },
      { filename: `jw${prog}-${stem.split('-')[1]!.slice(0, 4)}_20220612t120000_image3_00001_asn.json`, kind: 'asn', productType: 'INFO', subGroup: 'ASN', calib: 3, mrp: false, owner: l3 },
    ];
    const memberDefs: ProductDef[] = [];
    for (const m of members) {
      const l2: Row = {
        ...l3,
        obs_id: `${m.base}_${m.detector}`,
        obsid: m.obsid,
        objID: m.objID,
        calib_level: 2,
        s_region: l3.s_region,
        jpegURL: `mast:JWST/product/${m.base}_${m.detector}_cal.jpg`,
        dataURL: `mast:JWST/product/${m.base}_${m.detector}_cal.fits`,
      };
      observations.push(l2);
      const defs: ProductDef[] = [
        { filename: `${m.base}_${m.detector}_cal.fits`, kind: 'cal', productType: 'SCIENCE', subGroup: 'CAL', calib: 2, mrp: true, owner: l2 },
        { filename: `${m.base}_${m.detector}_crf.fits`, kind: 'crf', productType: 'SCIENCE', subGroup: 'CRF', calib: 3, mrp: false, owner: l2 },
        { filename: `${m.base}_${m.detector}_rate.fits`, kind: 'rate', productType: 'SCIENCE', subGroup: 'RATE', calib: 2, mrp: false, owner: l2 },
        { filename: `${m.base}_${m.detector}_uncal.fits`, kind: 'uncal', productType: 'SCIENCE', subGroup: 'UNCAL', calib: 1, mrp: false, owner: l2 },
        { filename: `${m.base}_${m.detector}_cal.jpg`, kind: 'jpg', productType: 'PREVIEW', subGroup: null, calib: 2, mrp: false, owner: l2 },
      ];
      const det = m.detector;
      attach(l2, defs, () => det);
      memberDefs.push(...defs.filter((d) => d.kind !== 'jpg'));
    }
    const detectorOf = (d: ProductDef) => (d.owner === l3 ? members[0]?.detector ?? 'nrcb1' : String(d.owner.obs_id).split('_').pop()!);
    attach(l3, [...own, ...memberDefs], detectorOf);
  };

  // --- NGC 3132: the real rows, as MAST sent them (obsid/objID back to numbers, mast: URIs) ---
  const fromHttps = (v: Cell): Cell => {
    if (typeof v !== 'string') return v;
    const m = /[?&]uri=([^&]+)/.exec(v);
    return m ? decodeURIComponent(m[1]!) : v;
  };
  const ngc = (sample('jwst-engine-search-target-ngc3132.json').results ?? []) as Row[];
  ngc.forEach((r, i) => {
    const row: Row = {};
    for (const [k, v] of Object.entries(r)) {
      if (k === 'wave_region' || k === 'wave_min' || k === 'wave_max') continue;
      row[k] = k === 'obsid' || k === 'objID' ? Number(v) : k === 'jpegURL' || k === 'dataURL' ? fromHttps(v) : v;
    }
    const stem = String(row.obs_id);
    const miri = stem.includes('_miri_');
    const seq = miri ? ['f770w', 'f1130w', 'f1280w', 'f1800w'].indexOf(stem.split('_').pop()!) + 1 : i + 1;
    const obsNo = miri ? '002' : '001';
    const lw = !miri && /f356w|f405n|f444w|f470n/.test(stem);
    const dets = miri ? ['mirimage', 'mirimage'] : lw ? ['nrcblong', 'nrcblong'] : ['nrcb1', 'nrcb2'];
    const members = dets.map((det, e) => ({
      base: `jw02733${obsNo}001_021${String(seq).padStart(2, '0')}_0000${lw || miri ? e + 1 : 1}`,
      detector: det,
      obsid: 87610000 + i * 10 + e,
      objID: 1059300000 + i * 10 + e,
    }));
    addImaging(row, members);
  });

  const nearNgc = (dra: number, ddec: number) => ({ s_ra: 151.7551147 + dra, s_dec: -40.437427 + ddec });

  // --- Exclusive access: future release, EXCLUSIVE_ACCESS, 36" from NGC 3132 ---
  addImaging(
    jwstRow({
      obs_id: 'jw04567-o001_t001_nircam_clear-f200w', obsid: 87700001, objID: 1069000001, instrument_name: 'NIRCAM/IMAGE', filters: 'F200W',
      target_name: 'NGC-3132-HALO', target_classification: 'ISM; Planetary nebulae', ...nearNgc(0.01, 0.005), dataproduct_type: 'image',
      proposal_pi: 'Fake MAST test field: exclusive access', calib_level: 3, t_min: mjd(now) - 20, t_exptime: 1288.4, em_min: 1755, em_max: 2226,
      obs_title: 'Fake MAST test field: exclusive-access imaging', t_obs_release: mjd(now) + 200, proposal_id: '4567', proposal_type: 'GO',
      dataRights: 'EXCLUSIVE_ACCESS', preview: 'mast:JWST/product/jw04567-o001_t001_nircam_clear-f200w_i2d.jpg', data: 'mast:JWST/product/jw04567-o001_t001_nircam_clear-f200w_i2d.fits',
    }),
    [{ base: 'jw04567001001_02101_00001', detector: 'nrcb1', obsid: 87700011, objID: 1069000011 }],
  );

  // --- MIRI MRS cube of NGC 6552 (DOC-VIZ record) ---
  const mrs: Row = {
    intentType: 'science', obs_collection: 'JWST', provenance_name: 'CALJWST', instrument_name: 'MIRI', project: 'JWST', filters: null,
    wavelength_region: null, target_name: 'NGC6552', target_classification: null, obs_id: 'jw01039-o004_t001_miri_ch3-long',
    s_ra: 270.0302116666667, s_dec: 66.61509722222222, dataproduct_type: 'cube', proposal_pi: 'Dicken, Daniel', calib_level: 3,
    t_min: 59706.50301039352, t_max: 59706.51692592593, t_exptime: 555.008, em_min: null, em_max: null,
    obs_title: 'MIRI Detector Latent Image Characterization', t_obs_release: 59774.8541666, proposal_id: '1039', proposal_type: 'JWST',
    sequence_number: -999, s_region: squareRegion(270.0302116666667, 66.61509722222222, 0.002),
    jpegURL: 'mast:JWST/product/jw01039-o004_t001_miri_ch3-long_s3d.jpg', dataURL: 'mast:JWST/product/jw01039-o004_t001_miri_ch3-long_s3d.fits',
    dataRights: 'PUBLIC', mtFlag: false, srcDen: null, obsid: 83209967, objID: 165643579,
  };
  observations.push(mrs);
  attach(mrs, [
    { filename: 'jw01039-o004_t001_miri_ch3-long_s3d.fits', kind: 's3d', productType: 'SCIENCE', subGroup: 'S3D', calib: 3, mrp: true, owner: mrs },
    { filename: 'jw01039-o004_t001_miri_ch3-long_x1d.fits', kind: 'x1d', productType: 'SCIENCE', subGroup: 'X1D', calib: 3, mrp: true, owner: mrs },
    { filename: 'jw01039-o004_t001_miri_ch3-long_s3d.jpg', kind: 'jpg', productType: 'PREVIEW', subGroup: null, calib: 3, mrp: false, owner: mrs },
  ], () => 'mirifulong');

  // --- Cone edge cases: RA 0/360 and the poles ---
  const simple = (o: Omit<ObsSpec, 'preview' | 'data'>) =>
    addImaging(jwstRow({ ...o, preview: `mast:JWST/product/${o.obs_id}_i2d.jpg`, data: `mast:JWST/product/${o.obs_id}_i2d.fits` }), []);
  const common = {
    target_classification: null, dataproduct_type: 'image', calib_level: 3, t_exptime: 1030.7, proposal_type: 'GO',
  } as const;
  simple({
    ...common, obs_id: 'jw01334-o001_t001_nircam_clear-f090w', obsid: 87601001, objID: 1059001001, instrument_name: 'NIRCAM/IMAGE', filters: 'F090W',
    target_name: 'WLM', s_ra: 0.4925, s_dec: -15.4611, proposal_pi: 'Weisz, Daniel', t_min: 59772.1, em_min: 795, em_max: 1005,
    obs_title: 'The Resolved Stellar Populations Early Release Science Program', t_obs_release: 59772.9, proposal_id: '1334',
  });
  simple({
    ...common, obs_id: 'jw09991-o001_t001_nircam_clear-f150w', obsid: 87601002, objID: 1059001002, instrument_name: 'NIRCAM/IMAGE', filters: 'F150W',
    target_name: 'RA-WRAP-FIELD', s_ra: 359.95, s_dec: -15.4611, proposal_pi: 'Fake MAST test field', t_min: 59800.2, em_min: 1331, em_max: 1668,
    obs_title: 'Fake MAST test field: just west of RA 0', t_obs_release: 59830.5, proposal_id: '9991',
  });
  const pole = (id: string, obsid: number, ra: number, dec: number, title: string) => simple({
    ...common, obs_id: id, obsid, objID: obsid + 1000, instrument_name: 'MIRI/IMAGE', filters: 'F770W', target_name: 'POLE-FIELD',
    s_ra: ra, s_dec: dec, proposal_pi: 'Fake MAST test field', t_min: 59850.3, em_min: 6600, em_max: 8800, obs_title: title,
    t_obs_release: 59880.5, proposal_id: '9992',
  });
  pole('jw09992-o001_t001_miri_f770w', 87602001, 10, 89.95, 'Fake MAST test field: north pole, RA 10');
  pole('jw09992-o002_t001_miri_f770w', 87602002, 190, 89.95, 'Fake MAST test field: north pole, RA 190 (0.1 deg across the pole)');
  pole('jw09992-o003_t001_miri_f770w', 87602003, 100, 89.5, 'Fake MAST test field: north, 0.5 deg from the pole');
  pole('jw09992-o004_t001_miri_f770w', 87602004, 45, -89.97, 'Fake MAST test field: south pole');

  // --- Recent releases (relative to now) ---
  const recent = (id: string, obsid: number, inst: string, filt: string, daysAgo: number, type = 'image') => simple({
    ...common, dataproduct_type: type, obs_id: id, obsid, objID: obsid + 1000, instrument_name: inst, filters: filt, target_name: 'CARTWHEEL',
    s_ra: 9.4217, s_dec: -33.7156, proposal_pi: 'Fake MAST test field', t_min: mjd(now) - daysAgo - 365, em_min: 1331, em_max: 1668,
    obs_title: 'Fake MAST test field: recently released', t_obs_release: mjd(now) - daysAgo, proposal_id: '5627',
  });
  recent('jw05627-o001_t001_nircam_clear-f150w', 87603001, 'NIRCAM/IMAGE', 'F150W', 3);
  recent('jw05627-o002_t001_miri_f1000w', 87603002, 'MIRI/IMAGE', 'F1000W', 10);
  recent('jw05627-o003_t001_nircam_clear-f444w', 87603003, 'NIRCAM/IMAGE', 'F444W', 40);

  // --- HST/GALEX rows from astroquery's captured data ---
  for (const r of sample('caom.json').data ?? []) {
    const { distance: _d, _selected_: _s, ...rest } = r;
    observations.push(rest);
  }
  const hstProducts = (sample('products.json').data ?? []).map(({ _selected_: _s, ...p }) => ({ ...p, parent_obsid: p.obsID }) as Row);
  for (const p of hstProducts) {
    const key = String(p.obsID);
    productsByObsid.set(key, [...(productsByObsid.get(key) ?? []), p]);
    const size = Number(p.size);
    const spec: FileSpec = {
      filename: String(p.productFilename), kind: 'filler', instrument: 'WFPC2', detector: 'WF', filter: '', target: '', program: '', obsId: String(p.obs_id),
      ra: 0, dec: 0, scale: 0.1, pa: 0, imageSize, fillerSize: size % 2880 === 0 && size >= 5760 ? size : 5760,
    };
    let cached: Buffer | undefined;
    files.set(String(p.dataURI).toLowerCase(), {
      uri: String(p.dataURI), filename: spec.filename, size: fileSize(spec), dataRights: 'PUBLIC', contentType: 'application/octet-stream',
      bytes: () => (cached ??= fileBytes(spec)),
    });
  }

  return { observations, productsByObsid, files, names: resolverTable() };
}

function entry(name: string, canonicalName: string, ra: number, decl: number, objectType: string, resolver = 'SIMBAD'): ResolverEntry {
  return { searchString: name.toLowerCase(), resolver, cached: true, resolverTime: 0, searchRadius: -1.0, canonicalName, ra, decl, objectType };
}

function resolverTable(): Map<string, ResolverEntry[]> {
  const t = new Map<string, ResolverEntry[]>();
  const add = (names: string[], canonical: string, ra: number, dec: number, type: string) => {
    for (const n of names) t.set(n.toLowerCase(), [entry(n, canonical, ra, dec, type), entry(n, canonical.toUpperCase(), ra + 0.00002, dec - 0.00001, type, 'NED')]);
  };
  add(['NGC 3132', 'NGC3132', 'Southern Ring Nebula', 'Eight-Burst Nebula'], 'NGC 3132', 151.757350, -40.436406, 'PN');
  add(['NGC 6552', 'NGC6552'], 'NGC 6552', 270.030417, 66.615028, 'Sy2');
  add(['WLM', 'Wolf-Lundmark-Melotte', 'DDO 221'], 'WLM', 0.492500, -15.461111, 'G');
  add(['Cartwheel', 'Cartwheel Galaxy', 'ESO 350-40'], 'Cartwheel Galaxy', 9.421667, -33.715556, 'GiP');
  add(['M101', 'NGC 5457'], 'M 101', 210.802429, 54.34875, 'GinPair');
  add(['Polaris', 'alf UMi'], '* alf UMi', 37.954561, 89.264109, 'cC*');
  const m103 = sample('resolver.json').resolvedCoordinate as ResolverEntry[];
  t.set('m103', m103);
  return t;
}
