/** Reads an embedding file (see formats/embedding-file.ts) as a features tensor plus its index rows. */
import { readFileSync } from 'node:fs';
import { type Tensor } from '../torch/tensor.js';
import { loadSafetensors } from '../nn/safetensors.js';
import { type EmbeddingRow } from '../formats/embedding-file.js';

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
