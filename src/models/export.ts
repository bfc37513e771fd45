/** `exportModel`: a checkpoint's encoder (and classifier, if any), or a plain state dict's encoder, to safetensors or ONNX. */
import { saveSafetensors } from '../nn/safetensors.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { loadEncoder, sectionOf, type ModelSpec } from './checkpoint.js';
import { exportOnnx } from './onnx-export.js';
import { loadPlainWeights } from './plain-weights.js';
import { type ResNet3d } from './resnet3d.js';
import { Linear } from '../nn/linear.js';
import { type Tensor } from '../torch/tensor.js';
import { zeros } from '../torch/creation.js';
import { tidy } from '../torch/scope.js';
import { namingOptions } from '../util/option-error.js';

/** BatchNorm1d's default epsilon, which the heads use. */
const BN_EPS = 1e-5;

export interface ExportOptions {
  /** A cvrl checkpoint file or run directory. */
  checkpoint?: string;
  /** Or a plain state dict (torchvision's r3d_18, mc3_18, r2plus1d_18) of `arch`. */
  weights?: string;
  arch?: string;
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

function openSource(o: ExportOptions): { encoder: ResNet3d; spec: ModelSpec; head: { tensors: Map<string, Tensor>; file: string } } {
  if (Boolean(o.checkpoint) === Boolean(o.weights)) throw namingOptions(new Error('pass one of checkpoint (a cvrl checkpoint) or weights (a plain state dict, with arch)'), 'checkpoint', 'weights', 'arch');
  if (o.weights) {
    if (o.withHead) throw namingOptions(new Error('withHead needs a cvrl checkpoint with a classifier; a plain state dict\'s fc.* is not loaded'), 'withHead');
    const { encoder, spec } = loadPlainWeights(o.weights, { arch: o.arch });
    return { encoder, spec, head: { tensors: new Map(), file: o.weights } };
  }
  const { encoder, spec, checkpoint } = loadEncoder(o.checkpoint!);
  return { encoder, spec, head: { tensors: sectionOf(checkpoint.tensors, 'classifier'), file: checkpoint.file } };
}

export function exportModel(o: ExportOptions): { out: string; format: string; featureDim: number; classes: number } {
  if (o.format !== 'safetensors' && o.format !== 'onnx') throw namingOptions(new Error(`format must be safetensors or onnx, got '${o.format}'`), 'format');
  const { encoder, spec, head } = openSource(o);
  encoder.eval();
  const { classifier, normalizeFeatures } = o.withHead ? loadClassifier(head.tensors, head.file) : { classifier: null, normalizeFeatures: false };
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

