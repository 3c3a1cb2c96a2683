/**
 * JSON as Python's `json` module writes it, which ECSV uses for multidimensional and object
 * cells: standard JSON plus the bare tokens NaN, Infinity and -Infinity (JSON.parse rejects them).
 */
import { TableError } from '../errors.js';

export type PyJson = null | boolean | number | bigint | string | PyJson[] | { [key: string]: PyJson };

/**
 * Parse one JSON cell; NaN/Infinity/-Infinity become numbers. With `bigints`, integer tokens
 * (no fraction or exponent) become bigint, so 64-bit values stay exact.
 */
export function parsePyJson(text: string, bigints = false): PyJson {
  let i = 0;
  const fail = (): never => {
    throw new TableError('TABLE_BAD_DATA', `invalid JSON cell near character ${i}: ${text.slice(0, 60)}`);
  };
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const literal = (word: string, value: PyJson): PyJson => {
    if (text.startsWith(word, i)) {
      i += word.length;
      return value;
    }
    return fail();
  };
  const value = (depth: number): PyJson => {
    if (depth > 64) fail();
    ws();
    const c = text[i];
    if (c === '[') {
      i++;
      const out: PyJson[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return out;
      }
      for (;;) {
        out.push(value(depth + 1));
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return out;
        } else fail();
      }
    }
    if (c === '{') {
      i++;
      const out: { [key: string]: PyJson } = {};
      ws();
      if (text[i] === '}') {
        i++;
        return out;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        const key = str();
        ws();
        if (text[i] !== ':') fail();
        i++;
        out[key] = value(depth + 1);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return out;
        } else fail();
      }
    }
    if (c === '"') return str();
    if (c === 'n') return literal('null', null);
    if (c === 't') return literal('true', true);
    if (c === 'f') return literal('false', false);
    if (c === 'N') return literal('NaN', Number.NaN);
    if (c === 'I') return literal('Infinity', Infinity);
    if (c === '-' && text.startsWith('-Infinity', i)) return literal('-Infinity', -Infinity);
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) return fail();
    i += m[0].length;
    return bigints && /^-?\d+$/.test(m[0]) ? BigInt(m[0]) : Number(m[0]);
  };
  const str = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (i >= text.length) fail();
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const out = value(0);
  ws();
  if (i !== text.length) fail();
  return out;
}
