/**
 * Parsing of TFORMn (binary and ASCII) and TDIMn values.
 */
import { FitsError } from '../errors.js';
import type { AsciiCode, BinaryCode } from './types.js';

/** Bytes per element of each binary element type (X is counted in bits, see elementBytes). */
export const ELEMENT_BYTES: Readonly<Record<BinaryCode, number>> = {
  L: 1, X: 1, B: 1, I: 2, J: 4, K: 8, A: 1, E: 4, D: 8, C: 8, M: 16,
};

/** Bytes that `count` elements of `code` occupy (X: bits, rounded up to whole bytes). */
export function elementBytes(code: BinaryCode, count: number): number {
  return code === 'X' ? Math.ceil(count / 8) : count * ELEMENT_BYTES[code];
}

export interface BinaryTform {
  readonly repeat: number;
  readonly code: BinaryCode;
  readonly varLength: 'P' | 'Q' | null;
  readonly maxVarLength: number | null;
  /** Bytes the field takes in each row. */
  readonly byteWidth: number;
}

/** Largest repeat count we accept: far above any real table, small enough that r*16 stays exact. */
const MAX_REPEAT = 2 ** 40;

const BINARY_RE = /^(\d*)([LXBIJKAEDCMPQ])(.*)$/;
const VLA_RE = /^([LXBIJKAEDCM])(?:\((\d+)\))?/;

/** `keyword` names the card in messages (ZFORM for the original columns of a compressed table). */
export function parseBinaryTform(raw: string, column: number, keyword = 'TFORM'): BinaryTform {
  const text = raw.trim().toUpperCase();
  const m = BINARY_RE.exec(text);
  const card = `${keyword}${column} = '${raw}'`;
  if (!m) throw new FitsError('FITS_BAD_HEADER', `${card} is not a binary table format`);
  const repeat = m[1] === '' ? 1 : Number(m[1]);
  if (!Number.isSafeInteger(repeat) || repeat > MAX_REPEAT) {
    throw new FitsError('FITS_BAD_HEADER', `${card} has an impossible repeat count`);
  }
  const letter = m[2] as BinaryCode | 'P' | 'Q';
  if (letter === 'P' || letter === 'Q') {
    const v = VLA_RE.exec(m[3] ?? '');
    if (!v) throw new FitsError('FITS_BAD_HEADER', `${card}: a ${letter} column needs an element type`);
    if (repeat > 1) {
      throw new FitsError('FITS_BAD_HEADER', `${card}: a variable-length column has a repeat count of 0 or 1`);
    }
    const max = v[2] === undefined ? null : Number(v[2]);
    return {
      repeat,
      code: v[1] as BinaryCode,
      varLength: letter,
      maxVarLength: max !== null && Number.isSafeInteger(max) ? max : null,
      byteWidth: repeat * (letter === 'P' ? 8 : 16),
    };
  }
  return { repeat, code: letter, varLength: null, maxVarLength: null, byteWidth: elementBytes(letter, repeat) };
}

export interface AsciiTform {
  readonly code: AsciiCode;
  readonly width: number;
  readonly decimals: number;
}

const ASCII_RE = /^([AIFED])(\d+)(?:\.(\d+))?$/;

export function parseAsciiTform(raw: string, column: number): AsciiTform {
  const text = raw.trim().toUpperCase();
  const m = ASCII_RE.exec(text);
  if (!m) throw new FitsError('FITS_BAD_HEADER', `TFORM${column} = '${raw}' is not an ASCII table format`);
  const width = Number(m[2]);
  const decimals = m[3] === undefined ? 0 : Number(m[3]);
  if (!Number.isSafeInteger(width) || width < 1 || width > 1_000_000) {
    throw new FitsError('FITS_BAD_HEADER', `TFORM${column} = '${raw}' has an impossible field width`);
  }
  return { code: m[1] as AsciiCode, width, decimals: Math.min(decimals, width) };
}

/** TDIMn = '(a,b,c)' -> [a, b, c] in FITS order; undefined when it does not parse. */
export function parseTdim(raw: string): number[] | undefined {
  const m = /^\s*\(\s*([\d\s,]+)\)\s*$/.exec(raw);
  if (!m) return undefined;
  const parts = (m[1] ?? '').split(',').map((s) => s.trim());
  if (parts.length === 0 || parts.some((s) => !/^\d+$/.test(s))) return undefined;
  const dims = parts.map(Number);
  if (dims.some((d) => !Number.isSafeInteger(d))) return undefined;
  return dims;
}

/** Canonical binary TFORM for the encoder, e.g. '1J', '20A', '1PJ(5)'. */
export function formatBinaryTform(t: {
  repeat: number;
  code: BinaryCode;
  varLength: 'P' | 'Q' | null;
  maxVarLength?: number | null;
}): string {
  if (t.varLength) return `${t.repeat}${t.varLength}${t.code}(${t.maxVarLength ?? 0})`;
  return `${t.repeat}${t.code}`;
}
