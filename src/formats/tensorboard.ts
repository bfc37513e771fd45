/**
 * TensorBoard event files (scalars), written directly: each record is a little-endian u64 length,
 * its masked CRC32C, an Event protobuf, and the data's masked CRC32C. `tensorboard --logdir RUNDIR`
 * reads them.
 */
import { closeSync, openSync, fsyncSync, fstatSync, ftruncateSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { crc32c } from '../util/crc.js';
import { writeAll } from '../util/atomic-file.js';

/** TFRecord's masked CRC: rotate right by 15 and add a constant. */
export function maskedCrc(data: Uint8Array): number {
  const c = crc32c(data);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}

const key = (field: number, wire: number) => varint((field << 3) | wire);
function bytesField(field: number, data: Uint8Array): number[] {
  return [...key(field, 2), ...varint(data.length), ...data];
}

/** Event { wall_time = 1 (double), step = 2 (int64), file_version = 3 | summary = 5 | session_log = 6 }. */
function event(wallTime: number, step: number, body: { fileVersion?: string; scalars?: [string, number][]; sessionStart?: boolean }): Uint8Array {
  const wt = new Uint8Array(8);
  new DataView(wt.buffer).setFloat64(0, wallTime, true);
  const out: number[] = [...key(1, 1), ...wt, ...key(2, 0), ...varint(step)];
  if (body.fileVersion) out.push(...bytesField(3, new TextEncoder().encode(body.fileVersion)));
  // SessionLog { status = 1 (enum, START = 1) }
  if (body.sessionStart) out.push(...bytesField(6, new Uint8Array([...key(1, 0), 1])));
  if (body.scalars) {
    const values: number[] = [];
    for (const [tag, v] of body.scalars) {
      const f = new Uint8Array(4);
      new DataView(f.buffer).setFloat32(0, v, true);
      // Summary.Value { tag = 1, simple_value = 2 (float) }
      values.push(...bytesField(1, new Uint8Array([...bytesField(1, new TextEncoder().encode(tag)), ...key(2, 5), ...f])));
    }
    out.push(...bytesField(5, new Uint8Array(values)));
  }
  return new Uint8Array(out);
}

function record(data: Uint8Array): Uint8Array {
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, BigInt(data.length), true);
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const dv = new DataView(out.buffer);
  out.set(len, 0);
  dv.setUint32(8, maskedCrc(len), true);
  out.set(data, 12);
  dv.setUint32(12 + data.length, maskedCrc(data), true);
  return out;
}

export class EventWriter {
  readonly file: string;
  #fd: number;
  /**
   * purgeStep (a resumed run's first step): as PyTorch's SummaryWriter, a file_version event and a
   * SessionLog START at that step, which make TensorBoard drop earlier files' events from that step on.
   */
  constructor(dir: string, o: { purgeStep?: number } = {}) {
    this.file = join(dir, `events.out.tfevents.${Math.floor(Date.now() / 1000)}.${hostname()}`);
    this.#fd = openSync(this.file, 'a');
    this.#write(event(Date.now() / 1000, o.purgeStep ?? 0, { fileVersion: 'brain.Event:2' }));
    if (o.purgeStep !== undefined) this.#write(event(Date.now() / 1000, o.purgeStep, { sessionStart: true }));
  }
  #write(e: Uint8Array): void {
    const size = fstatSync(this.#fd).size;
    try {
      writeAll(this.#fd, record(e));
    } catch (err) {
      // A torn record would end TensorBoard's reading of the file: cut it off before rethrowing.
      try { ftruncateSync(this.#fd, size); } catch { /* the write error says more */ }
      throw err;
    }
  }
  scalars(step: number, values: Record<string, number>): void {
    const finite = Object.entries(values).filter(([, v]) => Number.isFinite(v));
    if (finite.length) this.#write(event(Date.now() / 1000, step, { scalars: finite }));
  }
  flush(): void {
    fsyncSync(this.#fd);
  }
  close(): void {
    try {
      fsyncSync(this.#fd);
    } finally {
      closeSync(this.#fd);
    }
  }
}
