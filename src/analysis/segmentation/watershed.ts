/**
 * Marker-based watershed flooding (the priority-flood algorithm of scikit-image's `watershed`
 * with compactness 0 and no watershed lines, which photutils' deblending uses): seeds are pushed
 * in raster order; the lowest (value, age) pixel is popped and every unlabelled in-mask neighbour
 * takes its label at once and is pushed with its own value and a new age.
 */
import type { Connectivity } from './label.js';

class MinHeap {
  private value = new Float64Array(1024);
  private age = new Float64Array(1024);
  private index = new Int32Array(1024);
  size = 0;

  private less(a: number, b: number): boolean {
    const va = this.value[a]!;
    const vb = this.value[b]!;
    return va < vb || (va === vb && this.age[a]! < this.age[b]!);
  }

  private swap(a: number, b: number): void {
    const v = this.value[a]!;
    this.value[a] = this.value[b]!;
    this.value[b] = v;
    const g = this.age[a]!;
    this.age[a] = this.age[b]!;
    this.age[b] = g;
    const i = this.index[a]!;
    this.index[a] = this.index[b]!;
    this.index[b] = i;
  }

  push(value: number, age: number, index: number): void {
    if (this.size === this.value.length) {
      const grow = <T extends Float64Array | Int32Array>(a: T, make: (n: number) => T): T => {
        const b = make(a.length * 2);
        b.set(a);
        return b;
      };
      this.value = grow(this.value, (n) => new Float64Array(n));
      this.age = grow(this.age, (n) => new Float64Array(n));
      this.index = grow(this.index, (n) => new Int32Array(n));
    }
    let i = this.size++;
    this.value[i] = value;
    this.age[i] = age;
    this.index[i] = index;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  /** Removes the smallest item and returns its index. */
  pop(): number {
    const top = this.index[0]!;
    const last = --this.size;
    if (last > 0) {
      this.value[0] = this.value[last]!;
      this.age[0] = this.age[last]!;
      this.index[0] = this.index[last]!;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < last && this.less(l, m)) m = l;
        if (r < last && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
}

/**
 * Floods `image` (lower first) from the labelled seeds in `markers` within `mask`; returns the
 * new label array (markers untouched).
 */
export function watershed(image: Float64Array, markers: Int32Array, mask: Uint8Array, width: number, height: number, connectivity: Connectivity): Int32Array {
  const out = new Int32Array(markers.length);
  const heap = new MinHeap();
  for (let i = 0; i < markers.length; i++) {
    if (markers[i] !== 0 && mask[i]) {
      out[i] = markers[i]!;
      heap.push(image[i]!, 0, i);
    }
  }
  const dxs = connectivity === 8 ? [-1, 0, 1, -1, 1, -1, 0, 1] : [0, -1, 1, 0];
  const dys = connectivity === 8 ? [-1, -1, -1, 0, 0, 1, 1, 1] : [-1, 0, 0, 1];
  let age = 1;
  while (heap.size > 0) {
    const i = heap.pop();
    const x = i % width;
    const y = (i - x) / width;
    const l = out[i]!;
    for (let k = 0; k < dxs.length; k++) {
      const xx = x + dxs[k]!;
      const yy = y + dys[k]!;
      if (xx < 0 || yy < 0 || xx >= width || yy >= height) continue;
      const j = yy * width + xx;
      if (!mask[j] || out[j] !== 0) continue;
      age++;
      out[j] = l;
      heap.push(image[j]!, age, j);
    }
  }
  return out;
}
