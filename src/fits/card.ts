/**
 * One FITS header card: parsing an 80-character record (or a long-string card joined from
 * CONTINUE records) into keyword/value/comment, and formatting a card back into records.
 *
 * Parsing follows the FITS 4.0 standard and the lenient reading astropy does: free-format values,
 * `''` escapes, `&`-continued long strings, HIERARCH keywords, complex values, integers of any size
 * (bigint beyond 2^53). A card whose value cannot be parsed keeps its text as a string value and is
 * flagged `invalid`, so one bad card never makes a header unreadable.
 */
import { FitsError } from './errors.js';

export const CARD_LENGTH = 80;
export const BLOCK_LENGTH = 2880;

export interface Complex {
  readonly re: number;
  readonly im: number;
}

/** `null` = a keyword whose value field is empty (an "undefined" value in FITS terms). */
export type CardValue = string | number | bigint | boolean | Complex | null;

export interface Card {
  /** Upper-case keyword; HIERARCH keywords without the `HIERARCH ` prefix (`ESO DET CHIPS`). */
  readonly keyword: string;
  /** Parsed value; for commentary cards (COMMENT, HISTORY, blank, no `= `) the text. */
  readonly value: CardValue | undefined;
  readonly comment: string;
  /** 'value' cards have a value indicator; 'commentary' cards hold free text. */
  readonly kind: 'value' | 'commentary';
  /** True when the keyword was written with the HIERARCH convention. */
  readonly hierarch?: boolean;
  /** The 80-byte records this card was read from (more than one with CONTINUE); used for exact round-trip. */
  readonly records?: readonly string[];
  /** Set when the value text could not be parsed (value then holds the raw text). */
  readonly invalid?: string;
}

export const COMMENTARY_KEYWORDS: ReadonlySet<string> = new Set(['COMMENT', 'HISTORY', '']);

export function isComplex(v: unknown): v is Complex {
  return typeof v === 'object' && v !== null && 're' in v && 'im' in v;
}

const INT_RE = /^[+-]?\d+$/;
const FLOAT_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[EeDd][+-]?\d+)?$/;

/** Parse a numeric token; integers beyond the safe range become bigint. */
export function parseNumberToken(token: string): number | bigint | undefined {
  if (INT_RE.test(token)) {
    const n = Number(token);
    if (Number.isSafeInteger(n)) return n;
    return BigInt(token);
  }
  if (FLOAT_RE.test(token)) return Number(token.replace(/[Dd]/, 'E'));
  return undefined;
}

interface ValueParse {
  value: CardValue;
  comment: string;
  invalid?: string;
  /** For strings: the raw text between the quotes after '' unescaping, before trailing-space stripping. */
  rawString?: string;
}

/** Parse the value-and-comment field (everything after the value indicator). */
function parseValueField(field: string): ValueParse {
  let i = 0;
  while (i < field.length && field[i] === ' ') i++;
  if (i >= field.length) return { value: null, comment: '' };
  const ch = field[i];
  if (ch === '/') return { value: null, comment: cleanComment(field.slice(i + 1)) };
  if (ch === "'") {
    let j = i + 1;
    let text = '';
    let closed = false;
    while (j < field.length) {
      const c = field[j];
      if (c === "'") {
        if (field[j + 1] === "'") {
          text += "'";
          j += 2;
          continue;
        }
        closed = true;
        j++;
        break;
      }
      text += c;
      j++;
    }
    const rest = field.slice(j);
    const comment = commentAfter(rest);
    const value = text.replace(/ +$/, '');
    if (!closed) return { value, comment: '', invalid: 'unterminated string', rawString: text };
    return { value, comment: comment.comment, rawString: text, ...(comment.junk ? { invalid: 'text after string value' } : {}) };
  }
  // Non-string value: token until '/' (complex values hold no '/').
  const slash = field.indexOf('/', i);
  const token = (slash < 0 ? field.slice(i) : field.slice(i, slash)).trim();
  const comment = slash < 0 ? '' : cleanComment(field.slice(slash + 1));
  if (token === 'T') return { value: true, comment };
  if (token === 'F') return { value: false, comment };
  const num = parseNumberToken(token);
  if (num !== undefined) return { value: num, comment };
  if (token.startsWith('(') && token.endsWith(')')) {
    const parts = token.slice(1, -1).split(',').map((s) => s.trim());
    if (parts.length === 2) {
      const re = parseNumberToken(parts[0]!);
      const im = parseNumberToken(parts[1]!);
      if (re !== undefined && im !== undefined) return { value: { re: Number(re), im: Number(im) }, comment };
    }
  }
  return { value: token, comment, invalid: `unparseable value ${JSON.stringify(token)}` };
}

function cleanComment(text: string): string {
  return text.replace(/^ +/, '').replace(/ +$/, '');
}

function commentAfter(rest: string): { comment: string; junk: boolean } {
  const t = rest.replace(/^ +/, '');
  if (t === '') return { comment: '', junk: false };
  if (t[0] === '/') return { comment: cleanComment(t.slice(1)), junk: false };
  const slash = t.indexOf('/');
  return { comment: slash < 0 ? '' : cleanComment(t.slice(slash + 1)), junk: true };
}

/**
 * Parse one logical card from its records: the first record plus any CONTINUE records that the
 * header assigned to it (astropy attaches every CONTINUE record to the card before it).
 */
export function parseCard(records: readonly string[]): Card {
  const first = records[0];
  if (first === undefined) throw new FitsError('FITS_BAD_CARD', 'empty card');
  const head = first.slice(0, 8).trimEnd();
  const upperHead = head.toUpperCase();

  if (upperHead === 'HIERARCH') {
    const eq = first.indexOf('=', 8);
    if (eq > 8) {
      const keyword = first.slice(8, eq).trim().toUpperCase();
      return valueCard(keyword, first.slice(eq + 1), records, true);
    }
    return { keyword: 'HIERARCH', value: first.slice(8).trimEnd(), comment: '', kind: 'commentary', records };
  }

  const hasIndicator = first.slice(8, 10) === '= ' && !COMMENTARY_KEYWORDS.has(upperHead);
  if (!hasIndicator) {
    // COMMENT/HISTORY/blank, or any keyword without "= " in columns 9-10: free text.
    const text = records.length > 1 ? records.map((r) => r.slice(8).trimEnd()).join('') : first.slice(8).trimEnd();
    return { keyword: upperHead, value: text, comment: '', kind: 'commentary', records };
  }

  return valueCard(upperHead, first.slice(10), records, false);
}

function valueCard(keyword: string, field: string, records: readonly string[], hierarch: boolean): Card {
  const parsed = parseValueField(field);
  if (records.length === 1 || typeof parsed.value !== 'string' || parsed.rawString === undefined) {
    return makeValueCard(keyword, parsed, records, hierarch);
  }
  // Long string: join the pieces, each with trailing spaces and one trailing '&' removed.
  let value = stripAmpersand(parsed.rawString.replace(/ +$/, ''));
  const comments = parsed.comment ? [parsed.comment] : [];
  let invalid = parsed.invalid;
  for (const rec of records.slice(1)) {
    const part = parseValueField(rec.slice(8));
    if (typeof part.value === 'string' && part.rawString !== undefined) {
      value += stripAmpersand(part.rawString.replace(/ +$/, ''));
    } else {
      invalid ??= 'CONTINUE record without a string value';
    }
    if (part.comment) comments.push(part.comment);
  }
  return makeValueCard(keyword, { value, comment: comments.join(' '), ...(invalid ? { invalid } : {}) }, records, hierarch);
}

const RVKC_RE = /^([a-zA-Z_]\w*(?:\.\d+)?(?:\.[a-zA-Z_]\w*(?:\.\d+)?)*): +([+-]?(?:\d+\.?\d*|\.\d+)(?:[EeDd][+-]?\d+)?) *$/;

/**
 * The record-valued keyword convention (FITS distortion paper, used by astropy): a standard
 * keyword whose string value is `'field: number'`, e.g. `DP1 = 'AXIS.1: 1'` stands for `DP1.AXIS.1 = 1`.
 */
export function recordValuedKeyword(card: Card): { keyword: string; field: string; value: number } | undefined {
  if (card.kind !== 'value' || card.hierarch || typeof card.value !== 'string' || card.keyword.length > 8) return undefined;
  const first = card.records?.[0];
  if (first !== undefined && first.slice(10).trimStart()[0] !== "'") return undefined;
  const m = RVKC_RE.exec(card.value);
  if (!m) return undefined;
  const num = parseNumberToken(m[2]!);
  if (num === undefined) return undefined;
  return { keyword: `${card.keyword}.${m[1]!.toUpperCase()}`, field: m[1]!, value: Number(num) };
}

function stripAmpersand(s: string): string {
  return s.endsWith('&') ? s.slice(0, -1) : s;
}

function makeValueCard(keyword: string, parsed: ValueParse, records: readonly string[], hierarch: boolean): Card {
  const card: { -readonly [K in keyof Card]: Card[K] } = { keyword, value: parsed.value, comment: parsed.comment, kind: 'value', records };
  if (hierarch) card.hierarch = true;
  if (parsed.invalid) card.invalid = parsed.invalid;
  return card;
}

// ---------------------------------------------------------------------------------------------
// Formatting

const STANDARD_KEYWORD = /^[A-Z0-9_-]{0,8}$/;

/** Format a value for the value field (without padding). */
export function formatValue(value: CardValue): string {
  if (value === null) return '';
  if (typeof value === 'boolean') return value ? 'T' : 'F';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'string') return `'${value.replace(/'/g, "''").padEnd(8, ' ')}'`;
  return `(${formatNumber(value.re, true)}, ${formatNumber(value.im, true)})`;
}

/** Integers are written as integers unless `asFloat`; reals always carry '.' or 'E'. */
export function formatNumber(x: number, asFloat = false): string {
  if (!Number.isFinite(x)) throw new FitsError('FITS_BAD_CARD', `cannot write ${x} in a FITS header`);
  if (Number.isInteger(x) && !asFloat && Math.abs(x) < 1e21) return x.toFixed(0);
  let s = String(x).toUpperCase();
  if (!s.includes('.') && !s.includes('E')) s += '.0';
  if (s.includes('E') && !s.includes('.')) s = s.replace('E', '.0E');
  return s;
}

export interface NewCard {
  keyword: string;
  value?: CardValue;
  comment?: string;
  /** Write an integral number as a real (e.g. BSCALE = 1.0). */
  float?: boolean;
}

/**
 * Format one card into 80-character records (several for long strings via CONTINUE, or long
 * commentary text). Keywords that are not standard (longer than 8 chars or with other characters)
 * are written with the HIERARCH convention.
 */
export function formatCard(card: NewCard): string[] {
  const keyword = card.keyword.toUpperCase();
  const comment = card.comment ?? '';
  if (COMMENTARY_KEYWORDS.has(keyword) && (card.value === undefined || typeof card.value === 'string')) {
    const text = (card.value as string | undefined) ?? comment;
    const out: string[] = [];
    for (let i = 0; i < Math.max(1, text.length); i += 72) out.push(pad80(keyword.padEnd(8) + text.slice(i, i + 72)));
    return out;
  }
  const value = card.value === undefined ? null : card.value;
  checkPrintable(keyword + (typeof value === 'string' ? value : '') + comment);
  const hierarch = !STANDARD_KEYWORD.test(keyword);
  const prefix = hierarch ? `HIERARCH ${keyword} = ` : `${keyword.padEnd(8)}= `;
  if (prefix.length > 78) throw new FitsError('FITS_BAD_CARD', `keyword too long: ${keyword}`);

  if (typeof value === 'string') {
    // Fixed format as astropy writes it: at least 8 characters inside the quotes, field padded to 20.
    const single = formatValue(value);
    if (prefix.length + single.length <= 80) return [withComment(prefix + (hierarch ? single : single.padEnd(20, ' ')), comment)];
    if (hierarch) throw new FitsError('FITS_BAD_CARD', `string value too long for HIERARCH keyword ${keyword}`);
    return formatLongString(prefix, value, comment);
  }
  let text: string;
  if (typeof value === 'number') text = formatNumber(value, card.float === true);
  else text = formatValue(value);
  const field = hierarch ? text : text.padStart(20, ' ');
  if (prefix.length + field.length > 80) throw new FitsError('FITS_BAD_CARD', `value too long for keyword ${keyword}`);
  return [withComment(prefix + field, comment)];
}

function withComment(base: string, comment: string): string {
  if (!comment) return pad80(base);
  const room = 80 - base.length - 3;
  if (room <= 0) return pad80(base);
  return pad80(`${base} / ${comment.slice(0, room)}`);
}

function pad80(s: string): string {
  if (s.length > 80) throw new FitsError('FITS_BAD_CARD', `card longer than 80 characters: ${s.slice(0, 20)}...`);
  return s.padEnd(80, ' ');
}

function checkPrintable(s: string): void {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) throw new FitsError('FITS_BAD_CARD', `header text must be printable ASCII (found code ${c})`);
  }
}

/** Split a long string over CONTINUE records without splitting a '' escape pair. */
function formatLongString(prefix: string, value: string, comment: string): string[] {
  const records: string[] = [];
  const pieces: string[] = [];
  // Each record holds at most 67 characters of escaped text plus '&' inside the quotes.
  let rest = value;
  let first = true;
  while (rest.length > 0) {
    const room = first ? 80 - prefix.length - 3 : 80 - 10 - 3; // quotes + '&'
    let take = 0;
    let used = 0;
    while (take < rest.length) {
      const w = rest[take] === "'" ? 2 : 1;
      if (used + w > room) break;
      used += w;
      take++;
    }
    if (take === 0) throw new FitsError('FITS_BAD_CARD', 'cannot split long string');
    pieces.push(rest.slice(0, take));
    rest = rest.slice(take);
    first = false;
  }
  pieces.forEach((piece, i) => {
    const last = i === pieces.length - 1;
    const body = `'${piece.replace(/'/g, "''")}${last ? '' : '&'}'`;
    const head = i === 0 ? prefix : 'CONTINUE  ';
    records.push(last ? withComment(head + body, comment) : pad80(head + body));
  });
  return records;
}
