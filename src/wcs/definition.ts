/**
 * A WCS as plain data (structured-clone safe, so it crosses worker threads and JSON): what the
 * header says after wcslib's normalisation (CD or CROTA turned into PC+CDELT, units to degrees/SI,
 * deprecated keywords translated). `parseWcs` reads it from a header; `Wcs` evaluates it.
 */
import { WcsError } from './errors.js';
import { headerNumber, headerString, type HeaderSource } from './header-source.js';
import { angleFactor, spectralFactor, SPECTRAL_TYPES } from './units.js';
import { cosd, sind } from './trig.js';

export interface SipTerm {
  readonly p: number;
  readonly q: number;
  readonly c: number;
}

/** SIP polynomials (Shupe et al. 2005): A/B forward (pixel -> focal), AP/BP reverse. */
export interface SipDistortion {
  readonly aOrder: number;
  readonly bOrder: number;
  readonly a: readonly SipTerm[];
  readonly b: readonly SipTerm[];
  readonly apOrder?: number;
  readonly bpOrder?: number;
  readonly ap?: readonly SipTerm[];
  readonly bp?: readonly SipTerm[];
}

export interface PvCard {
  /** Axis number, 1-based as in PVi_m. */
  readonly i: number;
  readonly m: number;
  readonly value: number;
}

/** Where a -TAB axis keeps its lookup table (PSi_0/1/2, PVi_1/2/3). */
export interface TabRequest {
  /** 0-based WCS axis. */
  readonly axis: number;
  readonly extname: string;
  readonly extver: number;
  readonly extlevel: number;
  readonly coordColumn: string;
  readonly indexColumn?: string;
  /** Which axis of the coordinate array this WCS axis is (PVi_3, 1-based). */
  readonly coordAxis: number;
}

/** The lookup table of a one-dimensional -TAB axis. */
export interface TabArray {
  readonly axis: number;
  /** Coordinate values C_k, k = 1..K. */
  readonly coords: readonly number[];
  /** Index vector I_k (default 1..K), strictly monotonic. */
  readonly index?: readonly number[];
}

/** A Paper IV lookup-table distortion (CPDISj / D2IMDISj = 'Lookup') and where its table is. */
export interface LookupRequest {
  readonly kind: 'cpdis' | 'd2im';
  /** 0-based pixel axis the correction applies to. */
  readonly axis: number;
  readonly extname: 'WCSDVARR' | 'D2IMARR';
  readonly extver: number;
}

/** A lookup table: an image whose own CRPIX/CRVAL/CDELT map image pixels onto table pixels. */
export interface LookupTable extends LookupRequest {
  readonly width: number;
  readonly height: number;
  readonly data: ArrayLike<number>;
  readonly crpix: readonly [number, number];
  readonly crval: readonly [number, number];
  readonly cdelt: readonly [number, number];
}

/** The DSS plate model (AMD polynomial, 13 astrometric terms per axis) of a DSS image. */
export interface DssPlate {
  readonly amdx: readonly number[];
  readonly amdy: readonly number[];
  readonly ppo3: number;
  readonly ppo6: number;
  readonly xpixelsz: number;
  readonly ypixelsz: number;
  readonly cnpix1: number;
  readonly cnpix2: number;
}

export interface WcsDefinition {
  readonly naxis: number;
  /** NAXISn of the image when known (not part of the WCS proper, used for footprints). */
  readonly imageShape?: readonly number[];
  readonly ctype: readonly string[];
  readonly cunit: readonly string[];
  /** 1-based, as in the header. */
  readonly crpix: readonly number[];
  readonly crval: readonly number[];
  readonly cdelt: readonly number[];
  /** Row-major naxis x naxis. */
  readonly pc: readonly (readonly number[])[];
  /** True when the header gave CDi_j (then cdelt is all ones and pc holds CD). */
  readonly fromCd: boolean;
  readonly pv: readonly PvCard[];
  readonly lonpole?: number;
  readonly latpole?: number;
  readonly radesys?: string;
  readonly equinox?: number;
  readonly mjdObs?: number;
  readonly dateObs?: string;
  readonly sip?: SipDistortion;
  /** -TAB axes and where their tables are (attach the arrays with `attachTabArrays`). */
  readonly tabRequests?: readonly TabRequest[];
  readonly tabArrays?: readonly TabArray[];
  /** Lookup-table distortions named by the header (attach the tables with `attachLookupTables`). */
  readonly lookupRequests?: readonly LookupRequest[];
  readonly lookupTables?: readonly LookupTable[];
  /** DSS plate solution: the AMD polynomial replaces the linear matrix (as wcslib's DSS distortion). */
  readonly dss?: DssPlate;
  /** Things parsed leniently, e.g. "CROTA2 converted to PC", "spectral algorithm F2W treated as linear". */
  readonly warnings: readonly string[];
}

export interface ParseWcsOptions {
  /** Alternate WCS letter A-Z; '' (default) for the primary description. */
  readonly alt?: string;
  /** Force the number of WCS axes (e.g. 2 for the celestial plane of a cube). */
  readonly naxis?: number;
}

const MAX_AXES = 9;

/** True when any WCS keyword is present at all. */
export function hasWcsKeywords(h: HeaderSource, alt = ''): boolean {
  for (const k of ['CTYPE1', 'CTYPE2', 'CRVAL1', 'CRPIX1', 'CD1_1', 'PC1_1', 'CDELT1']) {
    if (h.get(k + alt) !== undefined) return true;
  }
  return false;
}

export function parseWcs(h: HeaderSource, options: ParseWcsOptions = {}): WcsDefinition {
  if (!options.alt && !options.naxis) {
    const dss = parseDssPlate(h);
    if (dss) return dss;
  }
  const a = (options.alt ?? '').trim().toUpperCase();
  if (a !== '' && !/^[A-Z]$/.test(a)) throw new WcsError(`Invalid alternate WCS letter '${options.alt}'`);
  const warnings: string[] = [];
  const has = (k: string) => h.get(k) !== undefined;

  const naxisHdr = headerNumber(h, 'NAXIS') ?? 0;
  // wcslib: the larger of NAXIS, WCSAXESa and the highest axis number in an indexed keyword.
  let naxis = options.naxis;
  if (naxis === undefined) {
    naxis = Math.min(Math.max(naxisHdr, headerNumber(h, `WCSAXES${a}`) ?? 0), MAX_AXES);
    for (let i = 1; i <= MAX_AXES; i++) {
      for (const k of ['CTYPE', 'CRPIX', 'CRVAL', 'CDELT', 'CUNIT', 'CROTA']) if (has(`${k}${i}${a}`)) naxis = Math.max(naxis, i);
      for (let j = 1; j <= MAX_AXES; j++) {
        if (has(`PC${i}_${j}${a}`) || has(`CD${i}_${j}${a}`)) naxis = Math.max(naxis, i, j);
      }
    }
  }
  if (!Number.isInteger(naxis) || naxis < 1 || naxis > MAX_AXES) {
    throw new WcsError(`Cannot build a WCS with ${naxis} axes`, 'WCS_NO_AXES');
  }
  const n = naxis;
  const idx = Array.from({ length: n }, (_, i) => i + 1);

  const ctype = idx.map((i) => (headerString(h, `CTYPE${i}${a}`) ?? '').trim().toUpperCase());
  const cunit = idx.map((i) => (headerString(h, `CUNIT${i}${a}`) ?? '').trim());
  const crpix = idx.map((i) => headerNumber(h, `CRPIX${i}${a}`) ?? 0);
  const crval = idx.map((i) => headerNumber(h, `CRVAL${i}${a}`) ?? 0);
  const cdelt = idx.map((i) => headerNumber(h, `CDELT${i}${a}`) ?? 1);
  const imageShape: number[] = [];
  for (let i = 1; i <= naxisHdr; i++) imageShape.push(headerNumber(h, `NAXIS${i}`) ?? 0);

  // The linear part: PCi_j wins over CDi_j, which wins over CROTAi (wcslib's precedence).
  const pcGiven: number[][] = idx.map(() => idx.map(() => NaN));
  const cdGiven: number[][] = idx.map(() => idx.map(() => NaN));
  let hasPc = false;
  let hasCd = false;
  for (let i = 1; i <= n; i++) {
    for (let j = 1; j <= n; j++) {
      const pc = headerNumber(h, `PC${i}_${j}${a}`) ?? (a === '' ? headerNumber(h, `PC${pad3(i)}${pad3(j)}`) : undefined);
      if (pc !== undefined) {
        pcGiven[i - 1]![j - 1] = pc;
        hasPc = true;
      }
      const cd = headerNumber(h, `CD${i}_${j}${a}`) ?? (a === '' ? headerNumber(h, `CD${pad3(i)}${pad3(j)}`) : undefined);
      if (cd !== undefined) {
        cdGiven[i - 1]![j - 1] = cd;
        hasCd = true;
      }
    }
  }
  const celestialAxes = findCelestialAxes(ctype);
  let pc: number[][] = idx.map((_, r) => idx.map((__, c) => (r === c ? 1 : 0)));
  let fromCd = false;
  if (hasPc) {
    pc = pcGiven.map((row, r) => row.map((v, c) => (Number.isNaN(v) ? (r === c ? 1 : 0) : v)));
    if (hasCd) warnings.push('Both PCi_j and CDi_j present: PCi_j used');
  } else if (hasCd) {
    fromCd = true;
    pc = cdGiven.map((row) => row.map((v) => (Number.isNaN(v) ? 0 : v)));
    // cdfix: an axis with no CD entry at all gets a unit diagonal so the matrix stays invertible.
    for (let k = 0; k < n; k++) {
      const rowEmpty = pc[k]!.every((v) => v === 0);
      const colEmpty = pc.every((row) => row[k] === 0);
      if (rowEmpty && colEmpty) pc[k]![k] = 1;
    }
    for (let k = 0; k < n; k++) cdelt[k] = 1;
  } else if (celestialAxes) {
    const { lon, lat } = celestialAxes;
    const rho = headerNumber(h, `CROTA${lat + 1}${a}`) ?? headerNumber(h, `CROTA${lon + 1}${a}`);
    if (rho !== undefined && rho !== 0) {
      if (cdelt[lon] === 0) throw new WcsError('CDELT of the longitude axis is zero', 'WCS_SINGULAR');
      const lambda = cdelt[lat]! / cdelt[lon]!;
      pc[lon]![lon] = cosd(rho);
      pc[lat]![lat] = cosd(rho);
      pc[lon]![lat] = -sind(rho) * lambda;
      pc[lat]![lon] = sind(rho) / lambda;
      warnings.push(`CROTA${lat + 1}=${rho} converted to PC`);
    }
  }

  // PVi_m, plus the AIPS-era PROJPn (meaning PV on the latitude axis).
  const pv: PvCard[] = [];
  for (let i = 1; i <= n; i++) {
    for (let m = 0; m <= 20; m++) {
      const v = headerNumber(h, `PV${i}_${m}${a}`);
      if (v !== undefined) pv.push({ i, m, value: v });
    }
  }
  if (celestialAxes && a === '') {
    const lat = celestialAxes.lat + 1;
    for (let m = 0; m <= 9; m++) {
      const v = headerNumber(h, `PROJP${m}`);
      if (v !== undefined && !pv.some((p) => p.i === lat && p.m === m)) {
        pv.push({ i: lat, m, value: v });
        warnings.push(`PROJP${m} read as PV${lat}_${m}`);
      }
    }
  }

  // Units: celestial to degrees, spectral to SI (wcslib does this in wcsset).
  for (let k = 0; k < n; k++) {
    const isCel = celestialAxes !== undefined && (k === celestialAxes.lon || k === celestialAxes.lat);
    let factor: number | undefined;
    if (isCel) {
      factor = angleFactor(cunit[k]!);
      if (factor === undefined) throw new WcsError(`Unknown unit '${cunit[k]}' on celestial axis ${k + 1}`, 'WCS_BAD_UNIT');
      cunit[k] = 'deg';
    } else {
      const sf = spectralFactor(ctype[k]!.slice(0, 4), cunit[k]!);
      if (sf) {
        factor = sf.factor;
        cunit[k] = sf.canonical;
      }
    }
    if (factor !== undefined && factor !== 1) {
      crval[k] = crval[k]! * factor;
      if (fromCd) pc[k] = pc[k]!.map((v) => v * factor!);
      else cdelt[k] = cdelt[k]! * factor;
    }
  }

  const lng = celestialAxes?.lon;
  // TPV uses PVi_m of both celestial axes as polynomial coefficients, not as LONPOLE/LATPOLE.
  const isTpv = celestialAxes?.code === 'TPV';
  const pvLng = (m: number) => (lng === undefined || isTpv ? undefined : pv.find((p) => p.i === lng + 1 && p.m === m)?.value);
  const lonpole = headerNumber(h, `LONPOLE${a}`) ?? pvLng(3);
  const latpole = headerNumber(h, `LATPOLE${a}`) ?? pvLng(4);
  let radesys = headerString(h, `RADESYS${a}`)?.trim().toUpperCase();
  if (radesys === undefined && a === '') {
    radesys = headerString(h, 'RADECSYS')?.trim().toUpperCase();
    if (radesys !== undefined) warnings.push('RADECSYS read as RADESYS');
  }
  let equinox = headerNumber(h, `EQUINOX${a}`);
  if (equinox === undefined && a === '') equinox = headerNumber(h, 'EPOCH');

  const sip = celestialAxes ? parseSip(h) : undefined;
  const lookupRequests = a === '' ? parseLookups(h, warnings) : [];
  const tabRequests: TabRequest[] = [];
  for (let k = 0; k < n; k++) {
    const t = ctype[k]!;
    const spec = t.slice(0, 4);
    if ((SPECTRAL_TYPES as readonly string[]).includes(spec) && t.length > 5 && t[4] === '-') {
      const alg = t.slice(5);
      if (alg !== 'LOG') warnings.push(`Spectral algorithm ${alg} on axis ${k + 1} is evaluated as linear`);
    } else if (t.endsWith('-TAB')) {
      tabRequests.push({
        axis: k,
        extname: (headerString(h, `PS${k + 1}_0${a}`) ?? '').trim(),
        extver: headerNumber(h, `PV${k + 1}_1${a}`) ?? 1,
        extlevel: headerNumber(h, `PV${k + 1}_2${a}`) ?? 1,
        coordColumn: (headerString(h, `PS${k + 1}_1${a}`) ?? '').trim(),
        indexColumn: headerString(h, `PS${k + 1}_2${a}`)?.trim() || undefined,
        coordAxis: headerNumber(h, `PV${k + 1}_3${a}`) ?? 1,
      });
      warnings.push(`-TAB axis ${k + 1} is evaluated as linear until its table is attached`);
    }
  }

  return {
    naxis: n,
    imageShape,
    ctype,
    cunit,
    crpix,
    crval,
    cdelt,
    pc,
    fromCd,
    pv,
    lonpole,
    latpole,
    radesys,
    equinox,
    mjdObs: headerNumber(h, 'MJD-OBS'),
    dateObs: headerString(h, 'DATE-OBS')?.trim(),
    sip,
    ...(tabRequests.length ? { tabRequests } : {}),
    ...(lookupRequests.length ? { lookupRequests } : {}),
    warnings,
  };
}

function pad3(i: number): string {
  return String(i).padStart(3, '0');
}

const LON_PREFIX = /^(RA--|GLON|ELON|HLON|SLON|HPLN|[A-Z]LON|[A-Z]{2}LN)$/;
const LAT_PREFIX = /^(DEC-|GLAT|ELAT|HLAT|SLAT|HPLT|[A-Z]LAT|[A-Z]{2}LT)$/;

/** The longitude/latitude axis pair (0-based) when CTYPE names one with a projection code. */
export function findCelestialAxes(ctype: readonly string[]): { lon: number; lat: number; code: string } | undefined {
  let lon = -1;
  let lat = -1;
  for (let k = 0; k < ctype.length; k++) {
    const t = ctype[k]!;
    if (t.length < 8 || t[4] !== '-') continue;
    const prefix = t.slice(0, 4);
    if (lon < 0 && LON_PREFIX.test(prefix)) lon = k;
    else if (lat < 0 && LAT_PREFIX.test(prefix)) lat = k;
  }
  if (lon < 0 || lat < 0) return undefined;
  const code = ctype[lon]!.slice(5, 8);
  if (ctype[lat]!.slice(5, 8) !== code) {
    throw new WcsError(`Celestial axes disagree on the projection: ${ctype[lon]} vs ${ctype[lat]}`, 'WCS_BAD_CTYPE');
  }
  return { lon, lat, code };
}

function readSipTerms(h: HeaderSource, name: string, order: number): SipTerm[] {
  const terms: SipTerm[] = [];
  for (let p = 0; p <= order; p++) {
    for (let q = 0; q <= order - p; q++) {
      const c = headerNumber(h, `${name}_${p}_${q}`);
      if (c !== undefined && c !== 0) terms.push({ p, q, c });
    }
  }
  return terms;
}

function parseSip(h: HeaderSource): SipDistortion | undefined {
  const aOrder = headerNumber(h, 'A_ORDER');
  const bOrder = headerNumber(h, 'B_ORDER');
  if (aOrder === undefined && bOrder === undefined) return undefined;
  if (aOrder === undefined || bOrder === undefined) throw new WcsError('SIP header has A_ORDER without B_ORDER (or the reverse)', 'WCS_BAD_SIP');
  if (aOrder < 0 || aOrder > 9 || bOrder < 0 || bOrder > 9) throw new WcsError('SIP orders must be between 0 and 9', 'WCS_BAD_SIP');
  const apOrder = headerNumber(h, 'AP_ORDER');
  const bpOrder = headerNumber(h, 'BP_ORDER');
  return {
    aOrder,
    bOrder,
    a: readSipTerms(h, 'A', aOrder),
    b: readSipTerms(h, 'B', bOrder),
    ...(apOrder !== undefined && bpOrder !== undefined
      ? { apOrder, bpOrder, ap: readSipTerms(h, 'AP', apOrder), bp: readSipTerms(h, 'BP', bpOrder) }
      : {}),
  };
}

/** CPDIS1/2 and D2IMDIS1/2 'Lookup' distortions with two independent pixel axes (1, 2). */
function parseLookups(h: HeaderSource, warnings: string[]): LookupRequest[] {
  const out: LookupRequest[] = [];
  for (const [kind, dis, rec, extname] of [['cpdis', 'CPDIS', 'DP', 'WCSDVARR'], ['d2im', 'D2IMDIS', 'D2IM', 'D2IMARR']] as const) {
    for (let j = 1; j <= 2; j++) {
      const type = headerString(h, `${dis}${j}`)?.trim().toUpperCase();
      if (!type) continue;
      if (type !== 'LOOKUP') {
        warnings.push(`${dis}${j} = '${type}' is not supported (ignored)`);
        continue;
      }
      const naxes = headerNumber(h, `${rec}${j}.NAXES`) ?? 2;
      const a1 = headerNumber(h, `${rec}${j}.AXIS.1`) ?? 1;
      const a2 = headerNumber(h, `${rec}${j}.AXIS.2`) ?? 2;
      if (naxes !== 2 || a1 !== 1 || a2 !== 2) {
        warnings.push(`${dis}${j}: only lookup tables over pixel axes (1, 2) are supported (ignored)`);
        continue;
      }
      out.push({ kind, axis: j - 1, extname, extver: headerNumber(h, `${rec}${j}.EXTVER`) ?? 1 });
    }
  }
  return out;
}

/**
 * A Digitized Sky Survey plate solution (PLTRAH.., PPO3/6, XPIXELSZ, CNPIX, AMDX/AMDY) as wcslib
 * reads it: TAN about the plate centre, CRPIX/CD from the linear part of the AMD model (what
 * astropy reports), and the full 13-term AMD polynomial as the pixel -> standard-coordinate map.
 */
function parseDssPlate(h: HeaderSource): WcsDefinition | undefined {
  const n = (k: string) => headerNumber(h, k);
  const need = ['PLTRAH', 'PLTRAM', 'PLTRAS', 'PLTDECD', 'PLTDECM', 'PLTDECS', 'PPO3', 'PPO6', 'XPIXELSZ', 'YPIXELSZ', 'CNPIX1', 'CNPIX2', 'AMDX1', 'AMDX2', 'AMDY1', 'AMDY2'];
  if (need.some((k) => n(k) === undefined)) return undefined;
  const sign = (headerString(h, 'PLTDECSN') ?? '+').trim().startsWith('-') ? -1 : 1;
  const ra = 15 * (n('PLTRAH')! + n('PLTRAM')! / 60 + n('PLTRAS')! / 3600);
  const dec = sign * (n('PLTDECD')! + n('PLTDECM')! / 60 + n('PLTDECS')! / 3600);
  const [a1, a2, a3] = [n('AMDX1')!, n('AMDX2')!, n('AMDX3') ?? 0];
  const [b1, b2, b3] = [n('AMDY1')!, n('AMDY2')!, n('AMDY3') ?? 0];
  const xp = n('XPIXELSZ')!;
  const yp = n('YPIXELSZ')!;
  const det = a1 * b1 - a2 * b2;
  if (det === 0 || xp === 0 || yp === 0) throw new WcsError('Singular DSS plate solution', 'WCS_SINGULAR');
  // Plate position (mm) where the linear model gives xi = eta = 0.
  const xmm = (-a3 * b1 + a2 * b3) / det;
  const ymm = (-a1 * b3 + b2 * a3) / det;
  const crpix1 = (n('PPO3')! - 1000 * xmm) / xp - n('CNPIX1')! + 0.5;
  const crpix2 = (n('PPO6')! + 1000 * ymm) / yp - n('CNPIX2')! + 0.5;
  const k = 1000 * 3600;
  const naxis = headerNumber(h, 'NAXIS') ?? 2;
  const imageShape: number[] = [];
  for (let i = 1; i <= naxis; i++) imageShape.push(headerNumber(h, `NAXIS${i}`) ?? 0);
  const equinox = headerNumber(h, 'EQUINOX') ?? 2000;
  return {
    naxis: 2,
    imageShape,
    ctype: ['RA---TAN', 'DEC--TAN'],
    cunit: ['deg', 'deg'],
    crpix: [crpix1, crpix2],
    crval: [ra, dec],
    cdelt: [1, 1],
    pc: [
      [(-a1 * xp) / k, (a2 * yp) / k],
      [(-b2 * xp) / k, (b1 * yp) / k],
    ],
    fromCd: true,
    pv: [],
    radesys: equinox < 1984 ? 'FK4' : 'FK5',
    equinox,
    mjdObs: headerNumber(h, 'MJD-OBS'),
    dss: {
      amdx: Array.from({ length: 13 }, (_, i) => n(`AMDX${i + 1}`) ?? 0),
      amdy: Array.from({ length: 13 }, (_, i) => n(`AMDY${i + 1}`) ?? 0),
      ppo3: n('PPO3')!,
      ppo6: n('PPO6')!,
      xpixelsz: xp,
      ypixelsz: yp,
      cnpix1: n('CNPIX1')!,
      cnpix2: n('CNPIX2')!,
    },
    warnings: ['DSS plate solution: TAN about the plate centre with the AMD polynomial (as wcslib)'],
  };
}
