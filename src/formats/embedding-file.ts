/**
 * Embedding files: a safetensors file with one float32 tensor `features` [N, D] and an index in
 * JSON Lines (one object per row: path, label, class, views). Written in a streaming way: rows go
 * to a scratch file as they arrive and the safetensors header (which needs N) is written at the end,
 * so a dataset of any size never has to fit in memory. Reading (as a tensor) is eval/embedding-file.ts.
 */
import { appendFileSync, closeSync, openSync, readSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { writeAll, writeAtomically } from '../util/atomic-file.js';
import { encodeHeader, headerEntry } from './safetensors.js';

export interface EmbeddingRow {
  path: string;
  label: number;
  class: string | null;
  views: number;
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
      const header: Record<string, unknown> = { features: headerEntry('float32', [this.#rows, dim], 0, bytes) };
      if (Object.keys(metadata).length) header.__metadata__ = metadata;
      writeAtomically(this.file, (out) => {
        const src = openSync(this.#scratch, 'r');
        try {
          writeAll(out, encodeHeader(header));
          const buf = Buffer.alloc(1 << 20);
          for (let n; (n = readSync(src, buf, 0, buf.length, null)) > 0;) writeAll(out, buf.subarray(0, n));
        } finally {
          closeSync(src);
        }
      });
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
