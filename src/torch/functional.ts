/**
 * Functional ops for networks and losses, named after torch.nn.functional.
 * Video tensors are [B, C, T, H, W]; kernel, stride and padding accept a number or one value per dim.
 */
import { native } from '../native/addon.js';
import { Tensor, wrap } from './tensor.js';

type Ints = number | readonly number[];
export type Reduction = 'none' | 'mean' | 'sum';

export interface ConvOptions {
  stride?: Ints;
  padding?: Ints;
  dilation?: Ints;
  groups?: number;
}

export function conv3d(x: Tensor, w: Tensor, b?: Tensor | null, o: ConvOptions = {}): Tensor {
  return wrap(native.conv3d(x.handle, w.handle, b?.handle, o.stride ?? 1, o.padding ?? 0, o.dilation ?? 1, o.groups ?? 1));
}
export function conv2d(x: Tensor, w: Tensor, b?: Tensor | null, o: ConvOptions = {}): Tensor {
  return wrap(native.conv2d(x.handle, w.handle, b?.handle, o.stride ?? 1, o.padding ?? 0, o.dilation ?? 1, o.groups ?? 1));
}
export function conv1d(x: Tensor, w: Tensor, b?: Tensor | null, o: ConvOptions = {}): Tensor {
  return wrap(native.conv1d(x.handle, w.handle, b?.handle, o.stride ?? 1, o.padding ?? 0, o.dilation ?? 1, o.groups ?? 1));
}
/** y = x W^T + b. */
export function linear(x: Tensor, w: Tensor, b?: Tensor | null): Tensor {
  return wrap(native.linear(x.handle, w.handle, b?.handle));
}

export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  training?: boolean;
  momentum?: number;
  eps?: number;
  /** Apply ReLU to the output in the same kernel (as batch norm followed by relu). */
  relu?: boolean;
}
/** Batch normalisation over dim 1; in training mode the running statistics are updated in place. */
export function batchNorm(x: Tensor, o: BatchNormOptions = {}): Tensor {
  return wrap(native.batchNorm(x.handle, o.weight?.handle, o.bias?.handle, o.runningMean?.handle, o.runningVar?.handle,
    o.training ?? false, o.momentum ?? 0.1, o.eps ?? 1e-5, o.relu ?? false));
}
export function layerNorm(x: Tensor, shape: Ints, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  return wrap(native.layerNorm(x.handle, shape, weight?.handle, bias?.handle, eps));
}
export function groupNorm(x: Tensor, groups: number, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  return wrap(native.groupNorm(x.handle, groups, weight?.handle, bias?.handle, eps));
}

export function relu(x: Tensor): Tensor { return wrap(native.relu(x.handle)); }
export function gelu(x: Tensor): Tensor { return wrap(native.gelu(x.handle)); }
export function leakyRelu(x: Tensor, slope = 0.01): Tensor { return wrap(native.leakyRelu(x.handle, slope)); }
export function sigmoid(x: Tensor): Tensor { return x.sigmoid(); }

export interface PoolOptions {
  stride?: Ints;
  padding?: Ints;
  dilation?: Ints;
  ceilMode?: boolean;
}
/** Max pooling over [B, C, T, H, W]; stride defaults to the kernel size as in PyTorch. */
export function maxPool3d(x: Tensor, kernel: Ints, o: PoolOptions = {}): Tensor {
  return wrap(native.maxPool3d(x.handle, kernel, o.stride ?? kernel, o.padding ?? 0, o.dilation ?? 1, o.ceilMode ?? false));
}
export function maxPool2d(x: Tensor, kernel: Ints, o: PoolOptions = {}): Tensor {
  return wrap(native.maxPool2d(x.handle, kernel, o.stride ?? kernel, o.padding ?? 0, o.dilation ?? 1, o.ceilMode ?? false));
}
export interface AvgPoolOptions {
  stride?: Ints;
  padding?: Ints;
  ceilMode?: boolean;
  countIncludePad?: boolean;
}
export function avgPool3d(x: Tensor, kernel: Ints, o: AvgPoolOptions = {}): Tensor {
  return wrap(native.avgPool3d(x.handle, kernel, o.stride ?? kernel, o.padding ?? 0, o.ceilMode ?? false, o.countIncludePad ?? true));
}
export function avgPool2d(x: Tensor, kernel: Ints, o: AvgPoolOptions = {}): Tensor {
  return wrap(native.avgPool2d(x.handle, kernel, o.stride ?? kernel, o.padding ?? 0, o.ceilMode ?? false, o.countIncludePad ?? true));
}
function nTuple(v: Ints, n: number): readonly number[] {
  return typeof v === 'number' ? Array<number>(n).fill(v) : v;
}
export function adaptiveAvgPool3d(x: Tensor, outputSize: Ints): Tensor { return wrap(native.adaptiveAvgPool3d(x.handle, nTuple(outputSize, 3))); }
export function adaptiveAvgPool2d(x: Tensor, outputSize: Ints): Tensor { return wrap(native.adaptiveAvgPool2d(x.handle, nTuple(outputSize, 2))); }

/** Zeroes elements with probability p and rescales the rest by 1/(1-p) when training. */
export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  if (p < 0 || p > 1) throw new RangeError(`dropout probability must be in [0, 1], got ${p}`);
  return wrap(native.dropout(x.handle, p, training));
}
export function softmax(x: Tensor, dim: number): Tensor { return wrap(native.softmax(x.handle, dim)); }
export function logSoftmax(x: Tensor, dim: number): Tensor { return wrap(native.logSoftmax(x.handle, dim)); }

/** x / max(||x||_p, eps) along dim, as torch.nn.functional.normalize. */
export function normalize(x: Tensor, o: { p?: number; dim?: number; eps?: number } = {}): Tensor {
  const n = x.norm(o.p ?? 2, o.dim ?? 1, true);
  const d = n.clampMin(o.eps ?? 1e-12);
  const e = d.expandAs(x);
  const out = x.div(e);
  n.dispose(); d.dispose(); e.dispose();
  return out;
}

export type InterpolateMode = 'nearest' | 'linear' | 'bilinear' | 'bicubic' | 'trilinear' | 'area';
/** Resizes the spatial dims of [B, C, ...] to `size` (one entry per spatial dim). */
export function interpolate(x: Tensor, size: readonly number[], mode: InterpolateMode = 'nearest', alignCorners = false): Tensor {
  return wrap(native.interpolate(x.handle, size, mode, alignCorners));
}
/** Samples x at normalised grid locations in [-1, 1] (4-D or 5-D), as torch.nn.functional.grid_sample. */
export function gridSample(x: Tensor, grid: Tensor, o: { mode?: 'bilinear' | 'nearest' | 'bicubic'; paddingMode?: 'zeros' | 'border' | 'reflection'; alignCorners?: boolean } = {}): Tensor {
  return wrap(native.gridSample(x.handle, grid.handle, o.mode ?? 'bilinear', o.paddingMode ?? 'zeros', o.alignCorners ?? false));
}
export interface RoiAlignOptions {
  /** Box coordinates times this give feature-map coordinates (1 / the encoder's stride). */
  spatialScale?: number;
  /** Samples per bin side; 0 or less: ceil(roi size / output size) per RoI, as torchvision. */
  samplingRatio?: number;
  /** Shift by half a pixel so that box corners fall on pixel corners (torchvision's aligned=true). */
  aligned?: boolean;
}
/**
 * torchvision.ops.roi_align: pools each box of `boxes` [K, 5] (batch index, x1, y1, x2, y2) from
 * `x` [N, C, H, W] into [K, C, ph, pw] by averaging bilinear samples per bin. Differentiable in x.
 */
export function roiAlign(x: Tensor, boxes: Tensor, outputSize: Ints, o: RoiAlignOptions = {}): Tensor {
  if (x.ndim !== 4) throw new RangeError(`roiAlign: input must be [N, C, H, W], got shape [${x.shape.join(', ')}]`);
  if (boxes.ndim !== 2 || boxes.shape[1] !== 5) {
    throw new RangeError(`roiAlign: boxes must be [K, 5] (batch index, x1, y1, x2, y2), got shape [${boxes.shape.join(', ')}]`);
  }
  const size = nTuple(outputSize, 2);
  if (size.length !== 2 || !size.every((v) => Number.isInteger(v) && v > 0)) {
    throw new RangeError(`roiAlign: outputSize must be a positive int or two positive ints, got ${JSON.stringify(outputSize)}`);
  }
  const scale = o.spatialScale ?? 1, ratio = o.samplingRatio ?? -1;
  if (!(Number.isFinite(scale) && scale > 0)) throw new RangeError(`roiAlign: spatialScale must be a positive number, got ${scale}`);
  if (!Number.isInteger(ratio)) throw new RangeError(`roiAlign: samplingRatio must be an integer, got ${ratio}`);
  return wrap(native.roiAlign(x.handle, boxes.handle, size, scale, ratio, o.aligned ?? false));
}
/** Zero-pads (or pads with `value`) using PyTorch's pad order: last dim first, (before, after) pairs. */
export function pad(x: Tensor, pads: readonly number[], value = 0): Tensor { return wrap(native.pad(x.handle, pads, value)); }
export function oneHot(x: Tensor, numClasses: number): Tensor { return wrap(native.oneHot(x.handle, numClasses)); }

export interface CrossEntropyOptions {
  weight?: Tensor | null;
  reduction?: Reduction;
  ignoreIndex?: number;
  labelSmoothing?: number;
}
/** Cross entropy from logits [N, C] and class indices [N] (int64) or class probabilities [N, C]. */
export function crossEntropy(logits: Tensor, target: Tensor, o: CrossEntropyOptions = {}): Tensor {
  return wrap(native.crossEntropy(logits.handle, target.handle, o.weight?.handle, o.reduction ?? 'mean', o.ignoreIndex ?? -100, o.labelSmoothing ?? 0));
}
export function nllLoss(logProbs: Tensor, target: Tensor, o: Omit<CrossEntropyOptions, 'labelSmoothing'> = {}): Tensor {
  return wrap(native.nllLoss(logProbs.handle, target.handle, o.weight?.handle, o.reduction ?? 'mean', o.ignoreIndex ?? -100));
}
export function mseLoss(x: Tensor, y: Tensor, reduction: Reduction = 'mean'): Tensor { return wrap(native.mseLoss(x.handle, y.handle, reduction)); }
export function smoothL1Loss(x: Tensor, y: Tensor, reduction: Reduction = 'mean', beta = 1): Tensor {
  return wrap(native.smoothL1Loss(x.handle, y.handle, reduction, beta));
}
/** Multi-label sigmoid cross entropy from logits (AVA-style detection heads). */
export function binaryCrossEntropyWithLogits(x: Tensor, y: Tensor, o: { weight?: Tensor; posWeight?: Tensor; reduction?: Reduction } = {}): Tensor {
  return wrap(native.bceWithLogits(x.handle, y.handle, o.weight?.handle, o.posWeight?.handle, o.reduction ?? 'mean'));
}
