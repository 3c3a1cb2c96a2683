/**
 * A WCS definition as FITS header cards (keyword, value, comment), in the order astropy's
 * `WCS.to_header()` writes them: WCSAXES, CRPIX, PC (or CD), CDELT, CUNIT, CTYPE, CRVAL, PV,
 * LONPOLE, LATPOLE, RADESYS, EQUINOX, then SIP.
 */
import type { SipTerm, WcsDefinition } from './definition.js';
import { Wcs } from './wcs.js';

export interface WcsCard {
  readonly keyword: string;
  readonly value: number | string;
  readonly comment: string;
}

export function wcsToCards(def: WcsDefinition): WcsCard[] {
  const n = def.naxis;
  const cards: WcsCard[] = [];
  const add = (keyword: string, value: number | string, comment: string) => cards.push({ keyword, value, comment });
  add('WCSAXES', n, 'Number of coordinate axes');
  for (let i = 0; i < n; i++) add(`CRPIX${i + 1}`, def.crpix[i]!, 'Pixel coordinate of reference point');
  if (def.fromCd) {
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      const v = def.pc[i]![j]!;
      if (v !== 0) add(`CD${i + 1}_${j + 1}`, v, 'Coordinate transformation matrix element');
    }
  } else {
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      const v = def.pc[i]![j]!;
      if (v !== (i === j ? 1 : 0)) add(`PC${i + 1}_${j + 1}`, v, 'Coordinate transformation matrix element');
    }
    for (let i = 0; i < n; i++) add(`CDELT${i + 1}`, def.cdelt[i]!, 'Coordinate increment at reference point');
  }
  for (let i = 0; i < n; i++) if (def.cunit[i]) add(`CUNIT${i + 1}`, def.cunit[i]!, 'Units of coordinate increment and value');
  const sipSuffix = def.sip ? '-SIP' : '';
  for (let i = 0; i < n; i++) {
    let t = def.ctype[i]!;
    if (sipSuffix && i < 2 && !t.endsWith('-SIP')) t += sipSuffix;
    add(`CTYPE${i + 1}`, t, 'Coordinate type code');
  }
  for (let i = 0; i < n; i++) add(`CRVAL${i + 1}`, def.crval[i]!, 'Coordinate value at reference point');
  for (const p of def.pv) add(`PV${p.i}_${p.m}`, p.value, 'Projection parameter');
  const wcs = new Wcs(def);
  if (wcs.celestial) {
    add('LONPOLE', wcs.celestial.pole.lonpole, '[deg] Native longitude of celestial pole');
    add('LATPOLE', wcs.celestial.pole.latpole, '[deg] Native latitude of celestial pole');
  }
  if (def.radesys) add('RADESYS', def.radesys, 'Equatorial coordinate system');
  if (def.equinox !== undefined) add('EQUINOX', def.equinox, '[yr] Equinox of equatorial coordinates');
  if (def.sip) {
    const sip = def.sip;
    const terms = (name: string, order: number | undefined, list: readonly SipTerm[] | undefined) => {
      if (order === undefined || !list) return;
      add(`${name}_ORDER`, order, 'SIP polynomial order');
      for (const t of list) add(`${name}_${t.p}_${t.q}`, t.c, 'SIP distortion coefficient');
    };
    terms('A', sip.aOrder, sip.a);
    terms('B', sip.bOrder, sip.b);
    terms('AP', sip.apOrder, sip.ap);
    terms('BP', sip.bpOrder, sip.bp);
  }
  return cards;
}

/** The same cards as a plain record (handy for `recordHeader` round trips and JSON). */
export function wcsToRecord(def: WcsDefinition): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const c of wcsToCards(def)) out[c.keyword] = c.value;
  return out;
}
