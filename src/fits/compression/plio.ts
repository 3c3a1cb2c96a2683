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

/**
 * Decodes `count` pixels from the 16-bit words of a PLIO tile (native values). With `into` (at
 * least `count` long, e.g. a reused buffer), the pixels are written there (zeros included) and its
 * first `count` are returned.
 */
export function decodePlio(words: Int16Array, count: number, into?: Int32Array): Int32Array {
  const out = into && into.length >= count ? into.subarray(0, count).fill(0) : new Int32Array(count);
  if (count === 0) return out;
  if (words.length < 3) throw badData('PLIO_1: line list shorter than its header');
  let first: number;
  let length: number;
  if (words[2]! > 0) {
    length = words[2]!;
    first = 3;
  } else {
    if (words.length < 7) throw badData('PLIO_1: line list shorter than its header');
    length = (words[4]! << 15) + words[3]!;
    first = words[1]!;
  }
  if (length > words.length) throw badData(`PLIO_1: line list claims ${length} words but has ${words.length}`);
  if (first < 3 || first > length) {
    if (first === length) return out;
    throw badData('PLIO_1: bad line list header');
  }

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
