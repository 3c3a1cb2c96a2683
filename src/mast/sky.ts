/**
 * Small spherical-astronomy helpers for searches: great-circle distance, sexagesimal parsing,
 * MJD conversion. Degrees in and out.
 */
import { MastInputError } from './errors.js';

const RAD = Math.PI / 180;

/** Great-circle separation in degrees (Vincenty form: stable at 0, 180 and near the poles). */
export function angularSeparationDeg(ra1: number, dec1: number, ra2: number, dec2: number): number {
  const dra = (ra2 - ra1) * RAD;
  const d1 = dec1 * RAD;
  const d2 = dec2 * RAD;
  const sinDra = Math.sin(dra);
  const cosDra = Math.cos(dra);
  const num1 = Math.cos(d2) * sinDra;
  const num2 = Math.cos(d1) * Math.sin(d2) - Math.sin(d1) * Math.cos(d2) * cosDra;
  const den = Math.sin(d1) * Math.sin(d2) + Math.cos(d1) * Math.cos(d2) * cosDra;
  return Math.atan2(Math.hypot(num1, num2), den) / RAD;
}

/** Folds any finite RA into [0, 360). */
export function normalizeRa(ra: number): number {
  const r = ra % 360;
  return r < 0 ? r + 360 : r === 360 ? 0 : r;
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Parses an angle given as a number, a decimal string ("151.755", "151.755d") or sexagesimal
 * ("10h07m01.2s", "10:07:01.2", "10 07 01.2" for RA in hours; "-40d26m11s", "-40:26:11" for Dec).
 * RA sexagesimal is read as hours (the astronomical convention), Dec as degrees. The result must
 * be a valid coordinate: RA in [0, 360), Dec in [-90, 90] (MastInputError naming the field if not).
 */
export function parseAngle(input: number | string, kind: 'ra' | 'dec'): number {
  const value = readAngle(input, kind);
  if (kind === 'ra' && !(value >= 0 && value < 360)) throw new MastInputError('ra', `must be in [0, 360) degrees, got ${value}`);
  if (kind === 'dec' && !(value >= -90 && value <= 90)) throw new MastInputError('dec', `must be in [-90, 90] degrees, got ${value}`);
  return value;
}

function readAngle(input: number | string, kind: 'ra' | 'dec'): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new MastInputError(kind, 'must be a finite number');
    return input;
  }
  const text = input.trim();
  if (text === '') throw new MastInputError(kind, 'must not be empty');
  const plainDeg = text.replace(/\s*(deg|d|°)$/i, '');
  if (NUMBER.test(plainDeg)) return Number(plainDeg);
  const sign = text.startsWith('-') ? -1 : 1;
  const body = text.replace(/^[+-]\s*/, '');
  const parts = body.split(/[hdms:°'"′″\s]+/i).filter(Boolean);
  const example = kind === 'ra' ? '10h07m01.2s or 10:07:01.2' : '-40d26m11s or -40:26:11';
  if (!/^[\d.\s:hdms°'"′″]+$/i.test(body) || parts.length < 2 || parts.length > 3 || parts.some((p) => !/^\d+(\.\d*)?$/.test(p))) {
    throw new MastInputError(kind, `could not read "${input}" as an angle (use degrees like 151.755 or sexagesimal like ${example})`);
  }
  const [a, b, c = 0] = parts.map(Number) as [number, number, number?];
  if (b >= 60 || c >= 60) throw new MastInputError(kind, `minutes and seconds must be below 60 in "${input}"`);
  const inHours = /h/i.test(body) || (kind === 'ra' && !/[d°]/i.test(body));
  if (kind === 'dec' && /h/i.test(body)) throw new MastInputError(kind, `declination cannot be given in hours ("${input}")`);
  const value = sign * (a + b / 60 + c / 3600);
  return inHours ? value * 15 : value;
}

const MJD_EPOCH_MS = Date.UTC(1858, 10, 17);

/** Modified Julian Date (fractional days) of a JS time. */
export function toMjd(ms: number): number {
  return (ms - MJD_EPOCH_MS) / 86_400_000;
}

export function fromMjd(mjd: number): Date {
  return new Date(MJD_EPOCH_MS + mjd * 86_400_000);
}
