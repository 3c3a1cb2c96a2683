/**
 * PLIO_1 decoder: the IRAF pixel-list "line list" format (Tody, IRAF PLIO). The tile is a list of
 * 16-bit words. A header (3 words in the form FITS writers use, 7 in newer IRAF lists) gives the
 * list length; each following word is a 4-bit opcode and 12-bit datum:
 *   0 ZN: N zeros            4 HN: N pixels of the current value
 *   1 SH: value = datum + (next word << 12)   5 PN: N-1 zeros then one pixel of the value
 *   2 IH / 3 DH: value += / -= datum           6 IS / 7 DS: value += / -= datum, one pixel
 * The current value starts at 1; pixels not covered by the list are zero.
 */
import { badData } from './errors.js';
import { PLIO_ERR_SET, wasmPlioDecode } from './wasm.js';

/**
 * Reads and checks a list's header through `word(i)` (the i-th 16-bit word, signed) of `n` words:
 * where the instructions start and end, or undefined for a list without any (all pixels zero).
 */
function listBounds(word: (i: number) => number, n: number): { first: number; length: number } | undefined {
  if (n < 3) throw badData('PLIO_1: line list shorter than its header');
  let first: number;
  let length: number;
  if (word(2) > 0) {
    length = word(2);
    first = 3;
  } else {
    if (n < 7) throw badData('PLIO_1: line list shorter than its header');
    length = (word(4) << 15) + word(3);
    first = word(1);
  }
  if (length > n) throw badData(`PLIO_1: line list claims ${length} words but has ${n}`);
  if (first < 3 || first > length) {
    if (first === length) return undefined;
    throw badData('PLIO_1: bad line list header');
  }
  return { first, length };
}

/**
 * decodePlio on the list as stored (big-endian 16-bit words, a 1PI or 1PB column), in WebAssembly
 * (codecs.c plio_decode): the same pixels and errors, without converting the words first.
 */
export function decodePlioBigEndian(bytes: Uint8Array, count: number, into?: Int32Array): Int32Array {
  const out = into && into.length >= count ? into.subarray(0, count) : new Int32Array(count);
  if (count === 0) return out;
  const bounds = listBounds((i) => ((bytes[2 * i]! << 24) >> 16) | bytes[2 * i + 1]!, bytes.length >> 1);
  if (!bounds) return out.fill(0);
  if (wasmPlioDecode(bytes.subarray(0, 2 * bounds.length), bounds.first, bounds.length, out) === PLIO_ERR_SET) {
    throw badData('PLIO_1: set-value opcode at the end of the list');
  }
  return out;
}

/**
 * Decodes `count` pixels from the 16-bit words of a PLIO tile (native values). The reference for
 * codecs.c plio_decode (decodePlioBigEndian), which decodes 16-bit lists as stored. With `into` (at
 * least `count` long, e.g. a reused buffer), the pixels are written there (zeros included) and its
 * first `count` are returned.
 */
export function decodePlio(words: Int16Array, count: number, into?: Int32Array): Int32Array {
  const out = into && into.length >= count ? into.subarray(0, count).fill(0) : new Int32Array(count);
  if (count === 0) return out;
  const bounds = listBounds((i) => words[i]!, words.length);
  if (!bounds) return out;
  const { first, length } = bounds;

  let op = 0; // next output pixel (0-based)
  let x1 = 1; // next list pixel (1-based, as in the format)
  let pv = 1;
  const xe = count;
  for (let ip = first; ip < length && x1 <= xe; ip++) {
    const word = words[ip]!;
    const opcode = word >> 12; // words are non-negative for valid opcodes
    const data = word & 0xfff;
    if ((opcode | 1) === 7) {
      // IS / DS, one pixel of a changed value: most words of a noisy image (the loop's condition
      // has checked x1 <= xe)
      pv += opcode === 6 ? data : -data;
      out[op++] = pv;
      x1++;
      continue;
    }
    switch (opcode) {
      case 0:
      case 4:
      case 5: {
        const x2 = x1 + data - 1;
        const i2 = Math.min(x2, xe);
        const np = i2 - x1 + 1;
        if (np > 0) {
          if (opcode === 4) out.fill(pv, op, op + np);
          else if (opcode === 5 && i2 === x2) out[op + np - 1] = pv;
          op += np;
        }
        x1 = x2 + 1;
        break;
      }
      case 1:
        if (ip + 1 >= length) throw badData('PLIO_1: set-value opcode at the end of the list');
        pv = (words[ip + 1]! << 12) + data;
        ip++;
        break;
      case 2:
        pv += data;
        break;
      case 3:
        pv -= data;
        break;
      default:
        // negative words (opcodes 8..15) are ignored, as IRAF does
        break;
    }
  }
  return out;
}
