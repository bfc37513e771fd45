/** Table-driven reflected CRC-32 variants: PNG chunks use ISO 3309's, TFRecord (TensorBoard) Castagnoli's. */

function reflectedCrc(poly: number): (bytes: Uint8Array) => number {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? poly ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return (bytes) => {
    let c = 0xffffffff;
    for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
}

/** CRC-32 (ISO 3309, as PNG chunks and zlib use it). */
export const crc32 = reflectedCrc(0xedb88320);

/** CRC-32C (Castagnoli, as TFRecord uses it). */
export const crc32c = reflectedCrc(0x82f63b78);
