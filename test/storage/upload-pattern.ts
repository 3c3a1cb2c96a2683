/** The bytes of the resumable-upload tests: a pattern that depends on the absolute offset. */
export function patternAt(offset: number, length: number): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    const x = offset + i;
    b[i] = (x * 131 + (x >>> 13) * 7) & 0xff;
  }
  return b;
}
