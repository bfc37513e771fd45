/**
 * TensorBoard event files (scalars), written directly: each record is a little-endian u64 length,
 * its masked CRC32C, an Event protobuf, and the data's masked CRC32C. `tensorboard --logdir RUNDIR`
 * reads them. Field numbers follow tensorboard/compat/proto/event.proto and summary.proto, and the
 * hparams plugin's plugin_data.proto; test/formats/tensorboard-protoc.test.ts decodes the files
 * with protoc-generated code from those definitions.
 */
import { closeSync, openSync, fsyncSync, fstatSync, ftruncateSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { crc32c } from '../util/crc.js';
import { writeAll } from '../util/atomic-file.js';
import { varintField, bytesField, stringField, doubleField, floatField, boolField } from './proto-wire.js';

/** TFRecord's masked CRC: rotate right by 15 and add a constant. */
export function maskedCrc(data: Uint8Array): number {
  const c = crc32c(data);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

export type HParamValue = number | string | boolean;

/** The hparams plugin's session-start summary (PyTorch's add_hparams writes the same one). */
const HPARAMS_TAG = '_hparams_/session_start_info';

/** google.protobuf.Value { number_value = 2 | string_value = 3 | bool_value = 4 }. */
function protoValue(v: HParamValue): number[] {
  return typeof v === 'number' ? doubleField(2, v) : typeof v === 'string' ? stringField(3, v) : boolField(4, v);
}

/**
 * Summary.Value { tag = 1, metadata = 9 { plugin_data = 1 { plugin_name = 1, content = 2 } } } whose
 * content is HParamsPluginData { version = 1 (0, omitted), session_start_info = 3 { hparams = 1
 * (map entries: key = 1, value = 2), group_name = 4, start_time_secs = 5 } }.
 */
function hparamsValue(values: Record<string, HParamValue>, startTime: number, group?: string): number[] {
  const info: number[] = [];
  for (const [k, v] of Object.entries(values)) info.push(...bytesField(1, [...stringField(1, k), ...bytesField(2, protoValue(v))]));
  if (group) info.push(...stringField(4, group));
  info.push(...doubleField(5, startTime));
  const content = bytesField(3, info);
  const pluginData = [...stringField(1, 'hparams'), ...bytesField(2, content)];
  return [...stringField(1, HPARAMS_TAG), ...bytesField(9, bytesField(1, pluginData))];
}

interface EventBody {
  fileVersion?: string;
  scalars?: [string, number][];
  sessionStart?: boolean;
  hparams?: { values: Record<string, HParamValue>; group?: string };
}

/** Event { wall_time = 1 (double), step = 2 (int64), file_version = 3 | summary = 5 | session_log = 7 }. */
function event(wallTime: number, step: number, body: EventBody): Uint8Array {
  const out: number[] = [...doubleField(1, wallTime), ...varintField(2, step)];
  if (body.fileVersion) out.push(...stringField(3, body.fileVersion));
  // Summary { value = 1 (repeated Summary.Value { tag = 1, simple_value = 2 (float) }) }
  if (body.scalars) out.push(...bytesField(5, body.scalars.flatMap(([tag, v]) => bytesField(1, [...stringField(1, tag), ...floatField(2, v)]))));
  if (body.hparams) out.push(...bytesField(5, bytesField(1, hparamsValue(body.hparams.values, wallTime, body.hparams.group))));
  // SessionLog { status = 1 (enum, START = 1) }
  if (body.sessionStart) out.push(...bytesField(7, varintField(1, 1)));
  return new Uint8Array(out);
}

/**
 * Scalar leaves of a nested object as hparams ('clip.frames': 16, ...): numbers, strings and booleans;
 * arrays of them as JSON text; null, undefined and non-finite numbers are left out.
 */
export function hparamValues(o: Record<string, unknown>, prefix = ''): Record<string, HParamValue> {
  const out: Record<string, HParamValue> = {};
  for (const [k, v] of Object.entries(o)) {
    const name = prefix + k;
    if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) out[name] = v;
    else if (Array.isArray(v) && v.every((x) => ['string', 'number', 'boolean'].includes(typeof x))) out[name] = JSON.stringify(v);
    else if (v && typeof v === 'object' && !Array.isArray(v)) Object.assign(out, hparamValues(v as Record<string, unknown>, `${name}.`));
  }
  return out;
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
  /** Hyperparameters for TensorBoard's HPARAMS tab (one session per run directory; its scalars are the metrics). */
  hparams(values: Record<string, HParamValue>, o: { group?: string } = {}): void {
    this.#write(event(Date.now() / 1000, 0, { hparams: { values, group: o.group } }));
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
