/** numpy's name for the dtype astropy gives an ECSV column when it reads it. */
import type { EcsvColumn } from './types.js';

export function numpyDtype(c: EcsvColumn): string {
  if (c.elementType === 'json' || c.shape.some((d) => d === null)) return 'object';
  if (c.elementType === 'string') {
    // numpy sizes a string column by its longest value: <U{n}.
    let n = 1;
    for (const cell of c.cells) {
      if (typeof cell === 'string') n = Math.max(n, [...cell].length);
      else if (cell && typeof cell === 'object' && 'values' in cell) for (const s of cell.values as readonly unknown[]) if (typeof s === 'string') n = Math.max(n, [...s].length);
    }
    return `<U${n}`;
  }
  return c.elementType;
}
