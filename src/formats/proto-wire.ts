/**
 * The few protobuf wire-format encoders the TensorBoard writer needs (varints, length-delimited
 * fields, fixed 32/64-bit numbers), so that event files need no protobuf library. A message is built
 * as an array of bytes; fields are appended in field-number order by the callers.
 */

export function varint(n: number | bigint): number[] {
  // Negative int64 values are written as their 64-bit two's complement (10 bytes), as protobuf does.
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}

const WIRE = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;
const key = (field: number, wire: number) => varint((field << 3) | wire);
const utf8 = (s: string) => new TextEncoder().encode(s);

export function varintField(field: number, n: number | bigint): number[] {
  return [...key(field, WIRE.varint), ...varint(n)];
}

export function bytesField(field: number, data: Uint8Array | readonly number[]): number[] {
  return [...key(field, WIRE.bytes), ...varint(data.length), ...data];
}

export function stringField(field: number, s: string): number[] {
  return bytesField(field, utf8(s));
}

export function doubleField(field: number, x: number): number[] {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, x, true);
  return [...key(field, WIRE.fixed64), ...b];
}

export function floatField(field: number, x: number): number[] {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, x, true);
  return [...key(field, WIRE.fixed32), ...b];
}

export function boolField(field: number, b: boolean): number[] {
  return varintField(field, b ? 1 : 0);
}
