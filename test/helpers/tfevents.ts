/**
 * A minimal reader of TensorBoard event files for tests: TFRecord framing, then the Event fields
 * the writer uses (step, Summary.Value tag and simple_value). Written from the protobuf wire format,
 * not from src/formats/tensorboard.ts; tensorboard-protoc.test.ts checks the files with protoc.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ScalarEvent { step: number; tag: string; value: number }

/** Fields of one message: [field number, wire type, varint value or bytes]. */
function fields(b: Uint8Array): [number, number, bigint | Uint8Array][] {
  const out: [number, number, bigint | Uint8Array][] = [];
  let i = 0;
  const varint = (): bigint => {
    let v = 0n, shift = 0n;
    for (;;) {
      const x = b[i++];
      v |= BigInt(x & 0x7f) << shift;
      if (!(x & 0x80)) return v;
      shift += 7n;
    }
  };
  while (i < b.length) {
    const k = Number(varint()), f = k >> 3, w = k & 7;
    if (w === 0) out.push([f, w, varint()]);
    else if (w === 1) { out.push([f, w, b.subarray(i, i + 8)]); i += 8; }
    else if (w === 5) { out.push([f, w, b.subarray(i, i + 4)]); i += 4; }
    else if (w === 2) { const n = Number(varint()); out.push([f, w, b.subarray(i, i + n)]); i += n; }
    else throw new Error(`unsupported wire type ${w}`);
  }
  return out;
}

const asBytes = (v: bigint | Uint8Array) => v as Uint8Array;

/** Every scalar in the event files of `dir` (not its sub-directories), and the hparams tags seen. */
export function readScalars(dir: string): { scalars: ScalarEvent[]; hparamsTags: string[] } {
  const scalars: ScalarEvent[] = [], hparamsTags: string[] = [];
  for (const name of readdirSync(dir).filter((n) => n.startsWith('events.out.tfevents.')).sort()) {
    const bytes = readFileSync(join(dir, name));
    for (let off = 0; off < bytes.length;) {
      const len = Number(bytes.readBigUInt64LE(off));
      const event = fields(bytes.subarray(off + 12, off + 12 + len));
      off += 16 + len;
      const step = Number(event.find(([f]) => f === 2)?.[2] ?? 0n);
      for (const [, , summary] of event.filter(([f]) => f === 5)) {
        for (const [, , value] of fields(asBytes(summary)).filter(([f]) => f === 1)) {
          const vf = fields(asBytes(value));
          const tag = new TextDecoder().decode(asBytes(vf.find(([f]) => f === 1)![2]));
          const simple = vf.find(([f, w]) => f === 2 && w === 5);
          if (simple) scalars.push({ step, tag, value: Buffer.from(asBytes(simple[2])).readFloatLE(0) });
          else hparamsTags.push(tag);
        }
      }
    }
  }
  return { scalars, hparamsTags };
}
