/**
 * The `wcs` block of /pixeldata: the reference point and the CD matrix the frontend's TAN inverse
 * uses. Unlike the upstream engine (which ignored PC_i_j), every header form becomes the CD matrix
 * astropy would use: CDi_j as given; otherwise CDELTi x PCi_j (PC defaults to the identity);
 * otherwise CDELT with the old CROTA2 rotation; angles in arcsec/arcmin/mas/rad (CUNITi) become
 * degrees. A header without CTYPE/CRVAL/CRPIX for axes 1-2 has
 * no sky WCS: null (a reference pixel of 0 at RA 0 is valid and kept).
 */
export interface KeywordSource {
  get(keyword: string): unknown;
}

export interface PixelWcsBlock {
  crpix1: number;
  crpix2: number;
  crval1: number;
  crval2: number;
  cdelt1: number;
  cdelt2: number;
  cd1_1: number;
  cd1_2: number;
  cd2_1: number;
  cd2_2: number;
  ctype1: string;
  ctype2: string;
}

function num(h: KeywordSource, key: string): number | undefined {
  const v = h.get(key);
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

function str(h: KeywordSource, key: string): string | undefined {
  const v = h.get(key);
  return typeof v === 'string' ? v.trim() : undefined;
}

export function pixelWcsBlock(header: KeywordSource): PixelWcsBlock | null {
  const present = ['CTYPE1', 'CTYPE2', 'CRVAL1', 'CRVAL2', 'CRPIX1', 'CRPIX2'].some((k) => header.get(k) !== undefined);
  if (!present) return null;

  const cdelt1 = num(header, 'CDELT1');
  const cdelt2 = num(header, 'CDELT2');
  const cdKeys = ['CD1_1', 'CD1_2', 'CD2_1', 'CD2_2'];
  const hasCd = cdKeys.some((k) => num(header, k) !== undefined);
  let cd: [number, number, number, number];
  if (hasCd) {
    cd = cdKeys.map((k) => num(header, k) ?? 0) as [number, number, number, number];
  } else {
    const s1 = cdelt1 ?? 1;
    const s2 = cdelt2 ?? 1;
    const hasPc = ['PC1_1', 'PC1_2', 'PC2_1', 'PC2_2'].some((k) => num(header, k) !== undefined);
    const crota = num(header, 'CROTA2');
    if (hasPc) {
      const pc11 = num(header, 'PC1_1') ?? 1;
      const pc12 = num(header, 'PC1_2') ?? 0;
      const pc21 = num(header, 'PC2_1') ?? 0;
      const pc22 = num(header, 'PC2_2') ?? 1;
      cd = [s1 * pc11, s1 * pc12, s2 * pc21, s2 * pc22];
    } else if (crota !== undefined && crota !== 0) {
      const t = (crota * Math.PI) / 180;
      const c = Math.cos(t);
      const s = Math.sin(t);
      cd = [s1 * c, -s2 * s, s1 * s, s2 * c];
    } else {
      cd = [s1, 0, 0, s2];
    }
  }
  // Angles in degrees whatever CUNITi says (wcslib's unit fix, as astropy applies it).
  const u1 = unitToDegrees(str(header, 'CUNIT1'));
  const u2 = unitToDegrees(str(header, 'CUNIT2'));
  return {
    crpix1: num(header, 'CRPIX1') ?? 0,
    crpix2: num(header, 'CRPIX2') ?? 0,
    crval1: (num(header, 'CRVAL1') ?? 0) * u1,
    crval2: (num(header, 'CRVAL2') ?? 0) * u2,
    cdelt1: (cdelt1 ?? cd[0]) * u1,
    cdelt2: (cdelt2 ?? cd[3]) * u2,
    cd1_1: cd[0] * u1,
    cd1_2: cd[1] * u1,
    cd2_1: cd[2] * u2,
    cd2_2: cd[3] * u2,
    ctype1: str(header, 'CTYPE1') ?? '',
    ctype2: str(header, 'CTYPE2') ?? '',
  };
}

function unitToDegrees(unit: string | undefined): number {
  switch ((unit ?? '').trim().toLowerCase()) {
    case 'arcsec':
      return 1 / 3600;
    case 'arcmin':
      return 1 / 60;
    case 'mas':
      return 1 / 3_600_000;
    case 'rad':
      return 180 / Math.PI;
    default:
      return 1;
  }
}
