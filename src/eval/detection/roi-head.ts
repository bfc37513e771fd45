/**
 * The AVA action-detection head (as in SlowFast's ResNetRoIHead): the encoder's last feature map
 * [B, C, T, h, w] is averaged over time, each person box is pooled with RoIAlign (aligned, 7x7 by
 * default), max-pooled over space, then dropout and a linear layer give one logit per action class.
 * Actions are multi-label, so the loss is a sigmoid (binary) cross entropy per class.
 */
import { tidy } from '../../torch/scope.js';
import { Tensor } from '../../torch/tensor.js';
import * as F from '../../torch/functional.js';
import { Module } from '../../nn/module.js';
import { Linear, Dropout } from '../../nn/linear.js';
import type { ResNet3dConfig } from '../../models/resnet3d.js';

/** Input pixels per feature-map cell: the product of the stem's, its pool's and every stage's spatial stride. */
export function encoderSpatialStride(c: ResNet3dConfig): number {
  const stem = c.stem.stride[1] * (c.stem.pool?.stride[1] ?? 1);
  if (c.stem.stride[2] !== c.stem.stride[1] || (c.stem.pool && c.stem.pool.stride[2] !== c.stem.pool.stride[1])) {
    throw new RangeError('encoderSpatialStride: the stem strides differ between height and width');
  }
  return c.spatialStrides.reduce((s, v) => s * v, stem);
}

export interface RoiActionHeadOptions {
  /** RoIAlign output side (SlowFast: 7). */
  resolution?: number;
  /** Feature-map cells per input pixel: 1 / encoderSpatialStride(config). */
  spatialScale: number;
  dropout?: number;
}

export class RoiActionHead extends Module<[Tensor, Tensor], Tensor> {
  readonly dropout: Dropout;
  readonly fc: Linear;
  readonly resolution: number;
  readonly spatialScale: number;

  constructor(readonly inDim: number, readonly numClasses: number, o: RoiActionHeadOptions) {
    super();
    if (!Number.isInteger(inDim) || inDim <= 0) throw new RangeError(`RoiActionHead: inDim must be a positive integer, got ${inDim}`);
    if (!Number.isInteger(numClasses) || numClasses <= 0) throw new RangeError(`RoiActionHead: numClasses must be a positive integer, got ${numClasses}`);
    this.resolution = o.resolution ?? 7;
    this.spatialScale = o.spatialScale;
    this.dropout = this.registerModule('dropout', new Dropout(o.dropout ?? 0.5));
    this.fc = this.registerModule('fc', new Linear(inDim, numClasses));
  }

  /**
   * Logits [K, numClasses] for `boxes` [K, 5] (batch index, x1, y1, x2, y2 in input pixels) on
   * the feature map `fmap` [B, C, T, h, w].
   */
  forward(fmap: Tensor, boxes: Tensor): Tensor {
    if (fmap.ndim !== 5 || fmap.size(1) !== this.inDim) {
      throw new RangeError(`RoiActionHead: fmap must be [B, ${this.inDim}, T, h, w], got [${fmap.shape.join(', ')}]`);
    }
    // samplingRatio 0: adaptive per RoI, as SlowFast's ROIAlign(sampling_ratio=0, aligned=True).
    const pooled = F.roiAlign(fmap.mean(2), boxes, this.resolution, { spatialScale: this.spatialScale, samplingRatio: 0, aligned: true });
    return this.fc.forward(this.dropout.forward(pooled.amax([2, 3])));
  }

  /** Mean binary cross entropy with logits over boxes and classes; `targets` is multi-hot [K, numClasses]. */
  static loss(logits: Tensor, targets: Tensor): Tensor {
    if (logits.ndim !== 2 || targets.ndim !== 2 || logits.size(0) !== targets.size(0) || logits.size(1) !== targets.size(1)) {
      throw new RangeError(`RoiActionHead.loss: targets [${targets.shape.join(', ')}] must match logits [${logits.shape.join(', ')}]`);
    }
    return tidy(() => F.binaryCrossEntropyWithLogits(logits, targets.to(logits.device)));
  }
}
