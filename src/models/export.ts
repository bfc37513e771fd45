/** `exportModel`: a checkpoint's encoder (and classifier, if any) to safetensors or ONNX. */
import { writeFileAtomic, saveSafetensors } from '../nn/safetensors.js';
import { loadEncoder, sectionOf } from './checkpoint.js';
import { exportOnnx } from './onnx-export.js';
import { Linear } from '../nn/linear.js';

export interface ExportOptions {
  checkpoint: string;
  format: 'safetensors' | 'onnx';
  out: string;
  /** Include the checkpoint's linear classifier (section "classifier", keys fc.weight / fc.bias). */
  withHead?: boolean;
}

export function exportModel(o: ExportOptions): { out: string; format: string; featureDim: number; classes: number } {
  if (o.format !== 'safetensors' && o.format !== 'onnx') throw new Error(`--format must be safetensors or onnx, got '${o.format}'`);
  const { encoder, spec, checkpoint } = loadEncoder(o.checkpoint);
  encoder.eval();
  let classifier: Linear | null = null;
  if (o.withHead) {
    const head = sectionOf(checkpoint.tensors, 'classifier');
    const w = head.get('fc.weight');
    if (!w) throw new Error(`${checkpoint.file}: --with-head needs a classifier (keys classifier.fc.weight/bias), none found`);
    classifier = new Linear(w.shape[1], w.shape[0], { bias: head.has('fc.bias') });
    const sd = new Map([...head].filter(([k]) => k.startsWith('fc.')).map(([k, v]) => [k.slice(3), v]));
    classifier.loadStateDict(sd);
  }
  if (o.format === 'onnx') {
    writeFileAtomic(o.out, exportOnnx(encoder, { classifier }));
  } else {
    const sd = encoder.stateDict();
    if (classifier) for (const [k, v] of classifier.stateDict()) sd.set(`fc.${k}`, v);
    saveSafetensors(o.out, sd, { format: 'pt', cvrl_arch: spec.arch, cvrl_model: JSON.stringify(spec) });
  }
  return { out: o.out, format: o.format, featureDim: encoder.featureDim, classes: classifier?.outFeatures ?? 0 };
}

