/**
 * A FITS header: an ordered list of cards with keyword look-up, editing for the writer, and
 * serialisation that reproduces the records that were read byte for byte.
 */
import { BLOCK_LENGTH, CARD_LENGTH, type Card, type CardValue, type NewCard, formatCard, isComplex, parseCard, recordValuedKeyword } from './card.js';
import { FitsError } from './errors.js';

const END_RECORD = 'END'.padEnd(CARD_LENGTH, ' ');

export class Header {
  private _cards: Card[];
  private index: Map<string, number> | undefined;
  /** Number of 80-byte records before END as read (CONTINUE/COMMENT/blank each count). */
  readonly rawRecordCount: number;

  constructor(cards: readonly Card[] = [], rawRecordCount?: number) {
    this._cards = [...cards];
    this.rawRecordCount = rawRecordCount ?? cards.reduce((n, c) => n + (c.records?.length ?? 1), 0);
  }

  /**
   * Build a header from its records (each 80 characters, END excluded). Every CONTINUE record is
   * attached to the card before it, as astropy does.
   */
  static fromRecords(records: readonly string[]): Header {
    const cards: Card[] = [];
    let group: string[] | undefined;
    for (const rec of records) {
      if (rec.length !== CARD_LENGTH) throw new FitsError('FITS_BAD_CARD', `header record is ${rec.length} characters, not 80`);
      if (group && rec.startsWith('CONTINUE')) {
        group.push(rec);
        continue;
      }
      if (group) cards.push(parseCard(group));
      group = [rec];
    }
    if (group) cards.push(parseCard(group));
    return new Header(cards, records.length);
  }

  /** Parse header text (a multiple of 80 characters); stops at the END record if present. */
  static fromString(text: string): Header {
    const records: string[] = [];
    for (let i = 0; i + CARD_LENGTH <= text.length; i += CARD_LENGTH) {
      const rec = text.slice(i, i + CARD_LENGTH);
      if (isEndRecord(rec)) break;
      records.push(rec);
    }
    return Header.fromRecords(records);
  }

  get cards(): readonly Card[] {
    return this._cards;
  }

  get length(): number {
    return this._cards.length;
  }

  private lookup(): Map<string, number> {
    if (!this.index) {
      const m = new Map<string, number>();
      this._cards.forEach((c, i) => {
        if (c.kind === 'value' && !m.has(c.keyword)) m.set(c.keyword, i);
      });
      this.index = m;
    }
    return this.index;
  }

  private normalise(keyword: string): string {
    const k = keyword.trim().toUpperCase();
    return k.startsWith('HIERARCH ') ? k.slice(9).trim() : k;
  }

  /** The card of the first occurrence of a value keyword. */
  card(keyword: string): Card | undefined {
    const i = this.lookup().get(this.normalise(keyword));
    return i === undefined ? undefined : this._cards[i];
  }

  /**
   * Value of the first occurrence (case-insensitive); `null` = present with an empty value.
   * Record-valued keywords can be asked for by their dotted name (`DP1.AXIS.1`).
   */
  get(keyword: string): CardValue | undefined {
    const k = this.normalise(keyword);
    const card = this.card(k);
    if (card) return card.value;
    return k.includes('.') ? this.recordValued().get(k) : undefined;
  }

  has(keyword: string): boolean {
    const k = this.normalise(keyword);
    return this.lookup().has(k) || (k.includes('.') && this.recordValued().has(k));
  }

  private rvkc: Map<string, number> | undefined;

  private recordValued(): Map<string, number> {
    if (!this.rvkc) {
      const m = new Map<string, number>();
      for (const c of this._cards) {
        const r = recordValuedKeyword(c);
        if (r && !m.has(r.keyword)) m.set(r.keyword, r.value);
      }
      this.rvkc = m;
    }
    return this.rvkc;
  }

  /** A number (bigint values converted, possibly losing precision); undefined if absent or not numeric. */
  getNumber(keyword: string): number | undefined {
    const v = this.get(keyword);
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v);
    return undefined;
  }

  /** An integer value as bigint (exact for any size). */
  getBigInt(keyword: string): bigint | undefined {
    const v = this.get(keyword);
    if (typeof v === 'bigint') return v;
    if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
    return undefined;
  }

  getString(keyword: string): string | undefined {
    const v = this.get(keyword);
    return typeof v === 'string' ? v : undefined;
  }

  getBoolean(keyword: string): boolean | undefined {
    const v = this.get(keyword);
    return typeof v === 'boolean' ? v : undefined;
  }

  /** All values of a commentary keyword (COMMENT, HISTORY) or repeated keyword, in order. */
  getAll(keyword: string): CardValue[] {
    const k = this.normalise(keyword);
    return this._cards.filter((c) => c.keyword === k).map((c) => c.value ?? null);
  }

  /**
   * Set a keyword: replaces the first occurrence in place (keeping its comment unless one is given),
   * or inserts it (before `before` if given and present, else at the end).
   */
  set(keyword: string, value: CardValue, comment?: string, options: { float?: boolean; before?: string; after?: string } = {}): this {
    const k = this.normalise(keyword);
    const existing = this.lookup().get(k);
    const old = existing === undefined ? undefined : this._cards[existing];
    const card = makeCard({ keyword: k, value, comment: comment ?? old?.comment ?? '', float: options.float });
    this.rvkc = undefined;
    if (existing !== undefined) {
      this._cards[existing] = card; // same position: the index stays valid
      return this;
    }
    const anchor = options.before ?? options.after;
    const at = anchor === undefined ? undefined : this.lookup().get(this.normalise(anchor));
    if (at === undefined) {
      // Appending keeps the index valid too (no quadratic rebuilds when a header is built card by card).
      this._cards.push(card);
      if (card.kind === 'value') this.lookup().set(card.keyword, this._cards.length - 1);
    } else {
      this._cards.splice(options.before !== undefined ? at : at + 1, 0, card);
      this.index = undefined;
    }
    return this;
  }

  /** Append a card (commentary cards may repeat). */
  add(card: NewCard): this {
    const made = makeCard(card);
    this._cards.push(made);
    if (made.kind === 'value' && !this.lookup().has(made.keyword)) this.lookup().set(made.keyword, this._cards.length - 1);
    this.rvkc = undefined;
    return this;
  }

  /** Remove every occurrence of a keyword; returns how many were removed. */
  remove(keyword: string): number {
    const k = this.normalise(keyword);
    const before = this._cards.length;
    this._cards = this._cards.filter((c) => c.keyword !== k);
    this.index = undefined;
    this.rvkc = undefined;
    return before - this._cards.length;
  }

  clone(): Header {
    return new Header(this._cards);
  }

  /** The records of every card (as read when unchanged), without END. */
  records(): string[] {
    const out: string[] = [];
    for (const c of this._cards) {
      if (c.records) out.push(...c.records);
      else out.push(...formatCard({ keyword: c.keyword, value: c.value ?? null, comment: c.comment }));
    }
    return out;
  }

  /** Header bytes: records, END, space padding to a 2880-byte block. */
  toBuffer(): Buffer {
    const text = this.records().join('') + END_RECORD;
    const size = Math.ceil(text.length / BLOCK_LENGTH) * BLOCK_LENGTH;
    return Buffer.from(text.padEnd(size, ' '), 'latin1');
  }

  /** Plain object of the first occurrence of each value keyword (bigint kept, complex as {re, im}). */
  toObject(): Record<string, CardValue> {
    const out: Record<string, CardValue> = {};
    for (const c of this._cards) if (c.kind === 'value' && !(c.keyword in out)) out[c.keyword] = c.value ?? null;
    return out;
  }
}

export function isEndRecord(record: string): boolean {
  return record.startsWith('END') && record.slice(0, 8).trimEnd() === 'END' && record.slice(3).trim() === '';
}

function makeCard(spec: NewCard): Card {
  const records = formatCard(spec);
  const parsed = Header.fromRecords(records).cards[0];
  if (!parsed) throw new FitsError('FITS_BAD_CARD', `cannot build card ${spec.keyword}`);
  // Keep the caller's exact value (e.g. a float written with limited digits parses back equal anyway).
  return { ...parsed, records };
}

/** JSON-friendly form of a value: bigint as a string, complex as [re, im]. */
export function cardValueToJson(v: CardValue | undefined): string | number | boolean | null | [number, number] {
  if (v === undefined || v === null) return null;
  if (typeof v === 'bigint') return v.toString();
  if (isComplex(v)) return [v.re, v.im];
  return v;
}
