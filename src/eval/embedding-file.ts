/**
 * Embedding files: a safetensors file with one float32 tensor `features` [N, D] and an index in
 * JSON Lines (one object per row: path, label, class, views). Written in a streaming way: rows go
 * to a scratch file as they arrive and the safetensors header (which needs N) is written at the end,
 * so a dataset of any size never has to fit in memory.
 */
import { appendFileSync, closeSync, fsyncSync, openSync, readSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { type Tensor } from '../torch/tensor.js';
import { loadSafetensors } from '../nn/safetensors.js';

export interface EmbeddingRow {
  path: string;
  label: number;
  class: string | null;
  views: number;
}

function writeAll(fd: number, b: Uint8Array): void {
  for (let done = 0; done < b.length;) done += writeSync(fd, b, done, b.length - done);
}

export class EmbeddingWriter {
  readonly #scratch: string;
  readonly #indexTmp: string;
  readonly #fd: number;
  #rows = 0;
  #dim = -1;

  constructor(readonly file: string, readonly indexFile: string) {
    this.#scratch = `${file}.rows-${process.pid}`;
    this.#indexTmp = `${indexFile}.tmp-${process.pid}`;
    this.#fd = openSync(this.#scratch, 'w');
    writeFileSync(this.#indexTmp, '');
  }

  get rows(): number {
    return this.#rows;
  }

  add(row: EmbeddingRow, feature: Float32Array): void {
    if (this.#dim < 0) this.#dim = feature.length;
    if (feature.length !== this.#dim) throw new RangeError(`embedding of ${row.path} has ${feature.length} values, earlier rows ${this.#dim}`);
    writeAll(this.#fd, new Uint8Array(feature.buffer, feature.byteOffset, feature.byteLength));
    appendFileSync(this.#indexTmp, `${JSON.stringify(row)}\n`);
    this.#rows++;
  }

  /** Writes the safetensors file (header, then the rows copied from the scratch file) and the index. */
  close(metadata: Record<string, string> = {}): void {
    closeSync(this.#fd);
    try {
      const dim = Math.max(0, this.#dim), bytes = this.#rows * dim * 4;
      const header: Record<string, unknown> = { features: { dtype: 'F32', shape: [this.#rows, dim], data_offsets: [0, bytes] } };
      if (Object.keys(metadata).length) header.__metadata__ = metadata;
      let json = JSON.stringify(header);
      json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
      const tmp = `${this.file}.tmp-${process.pid}`;
      const out = openSync(tmp, 'w');
      const src = openSync(this.#scratch, 'r');
      try {
        writeAll(out, len);
        writeAll(out, Buffer.from(json));
        const buf = Buffer.alloc(1 << 20);
        for (let n; (n = readSync(src, buf, 0, buf.length, null)) > 0;) writeAll(out, buf.subarray(0, n));
        fsyncSync(out);
      } finally {
        closeSync(src);
        closeSync(out);
      }
      renameSync(tmp, this.file);
      renameSync(this.#indexTmp, this.indexFile);
    } finally {
      try { unlinkSync(this.#scratch); } catch { /* already gone */ }
    }
  }

  /** Gives up: removes the scratch files, leaves any earlier output untouched. */
  abort(): void {
    try { closeSync(this.#fd); } catch { /* already closed */ }
    for (const f of [this.#scratch, this.#indexTmp]) {
      try { unlinkSync(f); } catch { /* already gone */ }
    }
  }
}

/** Reads an embedding file and its index; checks that they describe the same rows. */
export function readEmbeddings(file: string, indexFile: string): { features: Tensor; rows: EmbeddingRow[]; metadata: Record<string, string> } {
  const { tensors, metadata } = loadSafetensors(file);
  const features = tensors.get('features');
  for (const [k, t] of tensors) if (k !== 'features') t.dispose();
  if (!features || features.ndim !== 2) {
    features?.dispose();
    throw new Error(`${file}: expected a 2-D tensor 'features'`);
  }
  const rows = readFileSync(indexFile, 'utf8').split('\n').filter((l) => l.trim()).map((l, i) => {
    try {
      return JSON.parse(l) as EmbeddingRow;
    } catch {
      features.dispose();
      throw new Error(`${indexFile}:${i + 1}: not valid JSON`);
    }
  });
  if (rows.length !== features.size(0)) {
    features.dispose();
    throw new Error(`${indexFile} has ${rows.length} rows but ${file} has ${features.size(0)} features`);
  }
  return { features, rows, metadata };
}
