/**
 * Splitting ECSV data lines as astropy does (Python `csv` with `"` quotes, `""` for a quote inside,
 * skipinitialspace; every field stripped). With the space delimiter runs of spaces separate fields.
 */
import { TableError } from '../errors.js';

export function splitEcsvLine(line: string, delimiter: ' ' | ',', lineNumber: number): string[] {
  const text = line.trim();
  const fields: string[] = [];
  let i = 0;
  const n = text.length;
  if (n === 0) return fields;
  for (;;) {
    while (i < n && text[i] === ' ') i++; // skipinitialspace
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= n) throw new TableError('TABLE_BAD_DATA', `line ${lineNumber}: unterminated quoted field`);
        const c = text[i] as string;
        if (c === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += c;
        i++;
      }
      // Python's csv keeps text after the closing quote up to the delimiter.
      while (i < n && text[i] !== delimiter) field += text[i++];
    } else {
      const end = text.indexOf(delimiter, i);
      const stop = end < 0 ? n : end;
      field = text.slice(i, stop);
      i = stop;
    }
    fields.push(field.trim());
    if (i >= n) break;
    i++; // the delimiter
    if (i >= n) {
      fields.push('');
      break;
    }
  }
  return fields;
}

/** Quote a field for writing when the reader would otherwise split or strip it. */
export function quoteEcsvField(value: string, delimiter: ' ' | ','): string {
  if (value === '' || value.includes(delimiter) || value.includes('"') || value !== value.trim() || value.includes('\n') || value.startsWith('#')) {
    return `"${value.replace(/"/g, '""')}"`;
  }
  return value;
}
