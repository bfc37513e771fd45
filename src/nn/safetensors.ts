/**
 * Tensors to and from safetensors files (the byte format itself is formats/safetensors.ts).
 * Saving is atomic (temporary file, fsync, rename).
 */
import { Tensor } from '../torch/tensor.js';
import { fromTypedArray } from '../torch/creation.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { encodeSafetensors, readSafetensorsData, type RawTensor } from '../formats/safetensors.js';

/** Loads every tensor (CPU) of a safetensors file, in file order, plus its metadata. */
export function loadSafetensors(file: string): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  const tensors = new Map<string, Tensor>();
  try {
    const { metadata } = readSafetensorsData(file, (e, bytes) => {
      tensors.set(e.name, fromTypedArray(bytes.buffer, e.shape, { dtype: e.dtype }));
    });
    return { tensors, metadata };
  } catch (err) {
    for (const t of tensors.values()) t.dispose();
    throw err;
  }
}

/** Serialises tensors (moved to CPU, made contiguous) exactly as the Python package does. */
export function serializeSafetensors(tensors: ReadonlyMap<string, Tensor> | Record<string, Tensor>, metadata?: Record<string, string>): Buffer {
  const map: ReadonlyMap<string, Tensor> = tensors instanceof Map ? tensors : new Map(Object.entries(tensors));
  const raw: RawTensor[] = [];
  for (const [name, t] of map) {
    const cpu = t.device === 'cpu' ? t : t.to('cpu');
    const buf = cpu.toTypedArray();
    if (cpu !== t) cpu.dispose();
    raw.push({ name, dtype: t.dtype, shape: t.shape, bytes: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) });
  }
  return encodeSafetensors(raw, metadata);
}

/** Writes a safetensors file atomically (temporary file, fsync, rename). */
export function saveSafetensors(file: string, tensors: ReadonlyMap<string, Tensor> | Record<string, Tensor>, metadata?: Record<string, string>): void {
  writeFileAtomic(file, serializeSafetensors(tensors, metadata));
}
