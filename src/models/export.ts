/** `exportModel`: a checkpoint's encoder (and classifier, if any) to safetensors or ONNX. */
import { saveSafetensors } from '../nn/safetensors.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { loadEncoder, sectionOf } from './checkpoint.js';
import { exportOnnx } from './onnx-export.js';
import { Linear } from '../nn/linear.js';
import { type Tensor } from '../torch/tensor.js';
import { zeros } from '../torch/creation.js';
import { tidy } from '../torch/scope.js';
import { namingOptions } from '../util/option-error.js';

/** BatchNorm1d's default epsilon, which the heads use. */
const BN_EPS = 1e-5;

export interface ExportOptions {
  checkpoint: string;
  format: 'safetensors' | 'onnx';
  out: string;
  /** Include the checkpoint's classifier (section "classifier": fc.weight / fc.bias, and bn.* of the probe and fine-tuning heads). */
  withHead?: boolean;
}

/**
 * The checkpoint's classifier as one Linear layer. The probe and fine-tuning heads (L2 norm, then a
 * BatchNorm without affine terms, then fc) become L2 norm then one Linear, with the BatchNorm's
 * test-time standardisation folded into the weights: W' = W / sqrt(var + eps), b' = b - W' mean.
 */
function loadClassifier(head: Map<string, Tensor>, file: string): { classifier: Linear; normalizeFeatures: boolean } {
  const w = head.get('fc.weight');
  if (!w) throw namingOptions(new Error(`${file}: withHead needs a classifier (keys classifier.fc.weight/bias), none found`), 'withHead');
  const classifier = new Linear(w.shape[1], w.shape[0]);
  const b = head.get('fc.bias');
  const mean = head.get('bn.running_mean'), variance = head.get('bn.running_var');
  tidy(() => {
    let weight = w, bias = b ?? zeros([w.shape[0]]);
    if (mean && variance) {
      weight = w.div(variance.add(BN_EPS).sqrt().unsqueeze(0));
      bias = bias.sub(weight.matmul(mean));
    }
    classifier.loadStateDict(new Map([['weight', weight], ['bias', bias]]));
  });
  return { classifier, normalizeFeatures: Boolean(mean && variance) };
}

export function exportModel(o: ExportOptions): { out: string; format: string; featureDim: number; classes: number } {
  if (o.format !== 'safetensors' && o.format !== 'onnx') throw namingOptions(new Error(`format must be safetensors or onnx, got '${o.format}'`), 'format');
  const { encoder, spec, checkpoint } = loadEncoder(o.checkpoint);
  encoder.eval();
  const { classifier, normalizeFeatures } = o.withHead ? loadClassifier(sectionOf(checkpoint.tensors, 'classifier'), checkpoint.file) : { classifier: null, normalizeFeatures: false };
  if (o.format === 'onnx') {
    writeFileAtomic(o.out, exportOnnx(encoder, { classifier, normalizeFeatures }));
  } else {
    const sd = encoder.stateDict();
    if (classifier) for (const [k, v] of classifier.stateDict()) sd.set(`fc.${k}`, v);
    const headInput: Record<string, string> = classifier ? { cvrl_head_input: normalizeFeatures ? 'L2-normalised features' : 'features' } : {};
    saveSafetensors(o.out, sd, { format: 'pt', cvrl_arch: spec.arch, cvrl_model: JSON.stringify(spec), ...headInput });
  }
  return { out: o.out, format: o.format, featureDim: encoder.featureDim, classes: classifier?.outFeatures ?? 0 };
}

