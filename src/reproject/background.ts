/**
 * Background matching between overlapping tiles, as reproject's match_background: the offset of
 * each overlapping pair is the median of their difference over the common pixels, and the
 * per-image corrections C solve  O_ij ~ C_i - C_j  in the least-squares sense with sum(C) = 0
 * (reproject approximates the same solution by stochastic gradient descent).
 */
export function solveBackgroundCorrections(offsets: ReadonlyArray<ReadonlyArray<number>>, reference?: number): number[] {
  const n = offsets.length;
  // Normal equations of sum over pairs (O_ij - C_i + C_j)^2, plus (sum C)^2 / n to pin the mean.
  const a = Array.from({ length: n }, () => new Float64Array(n + 1));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const o = offsets[i]![j]!;
      if (i === j || Number.isNaN(o)) continue;
      a[i]![i]! += 1;
      a[i]![j]! -= 1;
      a[i]![n]! += o;
    }
    for (let j = 0; j < n; j++) a[i]![j]! += 1 / n;
  }
  // Gaussian elimination with partial pivoting.
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[p]![c]!)) p = r;
    [a[c], a[p]] = [a[p]!, a[c]!];
    const piv = a[c]![c]!;
    if (Math.abs(piv) < 1e-15) continue;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r]![c]! / piv;
      if (f === 0) continue;
      for (let k = c; k <= n; k++) a[r]![k]! -= f * a[c]![k]!;
    }
  }
  const corrections = a.map((row, i) => (Math.abs(row[i]!) < 1e-15 ? 0 : row[n]! / row[i]!));
  if (reference !== undefined) {
    const ref = corrections[reference] ?? 0;
    for (let i = 0; i < n; i++) corrections[i]! -= ref;
  }
  return corrections;
}
