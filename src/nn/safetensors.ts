/**
 * safetensors (Hugging Face's tensor file format), byte-compatible with the Python package:
 * 8-byte little-endian header length, a JSON header padded with spaces to a multiple of 8, then
 * the raw little-endian data, tensors ordered by dtype (widest first) then name.
 * Reading validates everything before allocating, so a malformed file gives a clear error and never
 * an out-of-bounds read or an unbounded allocation.
 */
import { closeSync, fstatSync, openSync, readSync, writeSync, fsyncSync, renameSync, unlinkSync } from 'node:fs';
import { Tensor } from '../torch/tensor.js';
import { fromTypedArray } from '../torch/creation.js';
import { type DType, DTYPE_BYTES } from '../torch/dtype.js';

/** safetensors dtype codes for the dtypes we hold, with the Rust enum's order (used for sorting). */
const CODES: Record<DType, { code: string; rank: number }> = {
  bool: { code: 'BOOL', rank: 0 }, uint8: { code: 'U8', rank: 4 }, int8: { code: 'I8', rank: 5 },
  int16: { code: 'I16', rank: 9 }, float16: { code: 'F16', rank: 11 }, bfloat16: { code: 'BF16', rank: 12 },
  int32: { code: 'I32', rank: 13 }, float32: { code: 'F32', rank: 15 }, float64: { code: 'F64', rank: 17 },
  int64: { code: 'I64', rank: 18 },
};
const BY_CODE = new Map(Object.entries(CODES).map(([d, c]) => [c.code, d as DType]));

/** The Python package refuses headers above 100 MB; so do we. */
export const MAX_HEADER_BYTES = 100_000_000;

export interface TensorEntry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  entries: TensorEntry[];
  metadata: Record<string, string>;
  /** Byte offset of the data region in the file. */
  dataStart: number;
}

export class SafetensorsError extends Error {
  constructor(file: string, msg: string) {
    super(`${file}: invalid safetensors file: ${msg}`);
    this.name = 'SafetensorsError';
  }
}

/** Parses and validates a header given its JSON text and the size of the data region. */
export function parseHeader(json: string, dataBytes: number, file = '<buffer>'): Omit<SafetensorsHeader, 'dataStart'> {
  const fail = (m: string): never => { throw new SafetensorsError(file, m); };
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    return fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return fail('header is not a JSON object');
  const metadata: Record<string, string> = {};
  const entries: TensorEntry[] = [];
  for (const [name, v] of Object.entries(raw as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) fail('__metadata__ must be an object of strings');
      for (const [k, s] of Object.entries(v as Record<string, unknown>)) {
        if (typeof s !== 'string') fail(`__metadata__.${k} is not a string`);
        metadata[k] = s as string;
      }
      continue;
    }
    if (v === null || typeof v !== 'object') fail(`tensor '${name}': entry is not an object`);
    const info = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = typeof info.dtype === 'string' ? BY_CODE.get(info.dtype) : undefined;
    if (!dtype) fail(`tensor '${name}': unsupported dtype ${JSON.stringify(info.dtype)}`);
    const shape = info.shape;
    if (!Array.isArray(shape) || shape.some((s) => !Number.isSafeInteger(s) || s < 0)) {
      fail(`tensor '${name}': shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    const off = info.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || off.some((s) => !Number.isSafeInteger(s) || s < 0)) {
      fail(`tensor '${name}': data_offsets must be [begin, end], got ${JSON.stringify(off)}`);
    }
    const [begin, end] = off as [number, number];
    let numel = 1;
    for (const s of shape as number[]) {
      numel *= s;
      if (!Number.isSafeInteger(numel)) fail(`tensor '${name}': shape ${JSON.stringify(shape)} overflows`);
    }
    const bytes = numel * DTYPE_BYTES[dtype!];
    if (end < begin || end - begin !== bytes) {
      fail(`tensor '${name}': data_offsets [${begin}, ${end}] hold ${end - begin} bytes but ${dtype} ${JSON.stringify(shape)} needs ${bytes}`);
    }
    if (end > dataBytes) fail(`tensor '${name}': data_offsets end ${end} runs past the data region (${dataBytes} bytes)`);
    entries.push({ name, dtype: dtype!, shape: shape as number[], begin, end });
  }
  // Tensors must tile the data region exactly: no overlap, no hole, no trailing bytes.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of sorted) {
    if (e.begin < cursor) fail(`tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] overlap the previous tensor (ends at ${cursor})`);
    if (e.begin > cursor) fail(`tensor '${e.name}': gap in the data region before offset ${e.begin} (expected ${cursor})`);
    cursor = e.end;
  }
  if (cursor !== dataBytes) fail(`data region has ${dataBytes} bytes but the tensors cover ${cursor}`);
  return { entries, metadata };
}

function readExactly(fd: number, buf: Uint8Array, position: number, file: string): void {
  let done = 0;
  while (done < buf.length) {
    const n = readSync(fd, buf, done, buf.length - done, position + done);
    if (n === 0) throw new SafetensorsError(file, `unexpected end of file at byte ${position + done}`);
    done += n;
  }
}

function readHeaderFd(fd: number, file: string): SafetensorsHeader {
  const size = fstatSync(fd).size;
  if (size < 8) throw new SafetensorsError(file, `file has ${size} bytes, too short for the 8-byte header length`);
  const lenBuf = new Uint8Array(8);
  readExactly(fd, lenBuf, 0, file);
  const n = new DataView(lenBuf.buffer).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) throw new SafetensorsError(file, `header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  const headerLen = Number(n);
  if (8 + headerLen > size) throw new SafetensorsError(file, `header length ${headerLen} runs past the end of the ${size}-byte file`);
  const hb = new Uint8Array(headerLen);
  readExactly(fd, hb, 8, file);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(hb);
  } catch {
    throw new SafetensorsError(file, 'header is not valid UTF-8');
  }
  if (!text.startsWith('{')) throw new SafetensorsError(file, 'header does not start with "{"');
  return { ...parseHeader(text, size - 8 - headerLen, file), dataStart: 8 + headerLen };
}

/** Reads only the header of a safetensors file (names, dtypes, shapes, metadata). */
export function readSafetensorsHeader(file: string): SafetensorsHeader {
  const fd = openSync(file, 'r');
  try {
    return readHeaderFd(fd, file);
  } finally {
    closeSync(fd);
  }
}

/** Loads every tensor (CPU) of a safetensors file, in file order, plus its metadata. */
export function loadSafetensors(file: string): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  const fd = openSync(file, 'r');
  const tensors = new Map<string, Tensor>();
  try {
    const header = readHeaderFd(fd, file);
    for (const e of [...header.entries].sort((a, b) => a.begin - b.begin)) {
      const bytes = new Uint8Array(e.end - e.begin);
      readExactly(fd, bytes, header.dataStart + e.begin, file);
      tensors.set(e.name, fromTypedArray(bytes.buffer, e.shape, { dtype: e.dtype }));
    }
    return { tensors, metadata: header.metadata };
  } catch (err) {
    for (const t of tensors.values()) t.dispose();
    throw err;
  } finally {
    closeSync(fd);
  }
}

/** Serialises tensors (moved to CPU, made contiguous) exactly as the Python package does. */
export function serializeSafetensors(tensors: ReadonlyMap<string, Tensor> | Record<string, Tensor>, metadata?: Record<string, string>): Buffer {
  const map: ReadonlyMap<string, Tensor> = tensors instanceof Map ? tensors : new Map(Object.entries(tensors));
  const order = [...map.entries()].sort(([an, a], [bn, b]) => CODES[b.dtype].rank - CODES[a.dtype].rank || (an < bn ? -1 : an > bn ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of order) {
    if (name === '__metadata__') throw new Error("a tensor cannot be named '__metadata__'");
    const cpu = t.device === 'cpu' ? t : t.to('cpu');
    const buf = cpu.toTypedArray();
    if (cpu !== t) cpu.dispose();
    const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    header[name] = { dtype: CODES[t.dtype].code, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  const pad = (8 - (Buffer.byteLength(json) % 8)) % 8;
  json += ' '.repeat(pad);
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([head, Buffer.from(json), ...chunks]);
}

/** Writes a safetensors file atomically (temporary file, fsync, rename). */
export function saveSafetensors(file: string, tensors: ReadonlyMap<string, Tensor> | Record<string, Tensor>, metadata?: Record<string, string>): void {
  writeFileAtomic(file, serializeSafetensors(tensors, metadata));
}

/** Writes via a temporary file in the same directory, fsyncs it, then renames over the target. */
export function writeFileAtomic(file: string, data: Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    let done = 0;
    while (done < data.length) done += writeSync(fd, data, done, data.length - done);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, file);
}
