/** Small encoders for the ONNX export tests, and comparisons of runtime outputs with ours. */
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { noGrad, type Tensor } from '../../src/torch/index.js';
import { createModel, exportModel, section, writeCheckpoint, type ResNet3d } from '../../src/models/index.js';
import type { ModelOverrides } from '../../src/models/registry.js';

/** A tiny encoder with non-trivial BN statistics and affine terms (so folding is exercised), scaled to keep features O(1) like a trained net. */
export function tinyEncoder(arch: string, overrides: ModelOverrides = {}): ResNet3d {
  const m = createModel(arch, { width: 0.125, ...overrides });
  noGrad(() => {
    for (const [k, v] of m.stateDict()) {
      if (k.endsWith('running_mean')) v.uniform_(-0.2, 0.2);
      else if (k.endsWith('running_var')) v.uniform_(0.5, 1.5);
      else if (/\.(1|4)\.weight$/.test(k)) v.uniform_(0.2, 0.6);
      else if (/\.(1|4)\.bias$/.test(k)) v.uniform_(-0.1, 0.1);
    }
  });
  return m.eval();
}

/** Writes `enc` as a run's checkpoint under dir/run and exports it to dir/name through exportModel (the CLI's path). */
export function exportTiny(dir: string, arch: string, enc: ResNet3d, overrides: ModelOverrides, name: string): string {
  const ck = join(dir, `run-${name}`, 'checkpoints');
  mkdirSync(ck, { recursive: true });
  writeCheckpoint(join(ck, 'step-00000001.safetensors'), section('encoder', enc), { model: { arch, overrides: { width: 0.125, ...overrides } } });
  const out = join(dir, name);
  exportModel({ checkpoint: join(dir, `run-${name}`), format: 'onnx', out });
  return out;
}

/** Largest absolute difference between a runtime's output and our tensor. */
export function maxAbsDiff(got: ArrayLike<number>, ours: Tensor): number {
  const r = ours.toTypedArray() as Float32Array;
  if (got.length !== r.length) throw new Error(`output has ${got.length} values, ours ${r.length}`);
  let m = 0;
  for (let i = 0; i < r.length; i++) m = Math.max(m, Math.abs(got[i] - r[i]));
  return m;
}
