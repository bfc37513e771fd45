/**
 * safetensors (Hugging Face's tensor file format) at the byte level, byte-compatible with the
 * Python package: 8-byte little-endian header length, a JSON header padded with spaces to a
 * multiple of 8, then the raw little-endian data, tensors ordered by dtype (widest first) then name.
 * Reading validates everything before allocating, so a malformed file gives a clear error and never
 * an out-of-bounds read or an unbounded allocation. Tensors as such live in nn/safetensors.ts.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** safetensors dtype codes, element sizes, and the Rust enum's order (used for sorting). */
const CODES = {
  bool: { code: 'BOOL', rank: 0, bytes: 1 }, uint8: { code: 'U8', rank: 4, bytes: 1 }, int8: { code: 'I8', rank: 5, bytes: 1 },
  int16: { code: 'I16', rank: 9, bytes: 2 }, float16: { code: 'F16', rank: 11, bytes: 2 }, bfloat16: { code: 'BF16', rank: 12, bytes: 2 },
  int32: { code: 'I32', rank: 13, bytes: 4 }, float32: { code: 'F32', rank: 15, bytes: 4 }, float64: { code: 'F64', rank: 17, bytes: 8 },
  int64: { code: 'I64', rank: 18, bytes: 8 },
} as const;

/** Element types by their PyTorch names (the same names as torch's DType). */
export type SafetensorsDType = keyof typeof CODES;
const BY_CODE = new Map(Object.entries(CODES).map(([d, c]) => [c.code as string, d as SafetensorsDType]));

/** The Python package refuses headers above 100 MB; so do we. */
export const MAX_HEADER_BYTES = 100_000_000;

export interface TensorEntry {
  name: string;
  dtype: SafetensorsDType;
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

/** One tensor's raw little-endian bytes, for encodeSafetensors. */
export interface RawTensor {
  name: string;
  dtype: SafetensorsDType;
  shape: readonly number[];
  bytes: Uint8Array;
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
    const bytes = numel * CODES[dtype!].bytes;
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

/** Reads the header, then hands each tensor's bytes to `onTensor` in file order; returns the header. */
export function readSafetensorsData(file: string, onTensor: (e: TensorEntry, bytes: Uint8Array<ArrayBuffer>) => void): SafetensorsHeader {
  const fd = openSync(file, 'r');
  try {
    const header = readHeaderFd(fd, file);
    for (const e of [...header.entries].sort((a, b) => a.begin - b.begin)) {
      const bytes = new Uint8Array(e.end - e.begin);
      readExactly(fd, bytes, header.dataStart + e.begin, file);
      onTensor(e, bytes);
    }
    return header;
  } finally {
    closeSync(fd);
  }
}

/** The 8-byte length and the JSON header, space-padded to a multiple of 8, in key order as given. */
export function encodeHeader(header: Record<string, unknown>): Buffer {
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([head, Buffer.from(json)]);
}

/** A header entry for one tensor. */
export function headerEntry(dtype: SafetensorsDType, shape: readonly number[], begin: number, end: number): Record<string, unknown> {
  return { dtype: CODES[dtype].code, shape, data_offsets: [begin, end] };
}

/** Whole-file bytes exactly as the Python package writes them (tensors sorted by dtype, then name). */
export function encodeSafetensors(tensors: readonly RawTensor[], metadata?: Record<string, string>): Buffer {
  const order = [...tensors].sort((a, b) => CODES[b.dtype].rank - CODES[a.dtype].rank || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of order) {
    if (t.name === '__metadata__') throw new Error("a tensor cannot be named '__metadata__'");
    header[t.name] = headerEntry(t.dtype, t.shape, offset, offset + t.bytes.length);
    offset += t.bytes.length;
  }
  return Buffer.concat([encodeHeader(header), ...order.map((t) => t.bytes)]);
}
