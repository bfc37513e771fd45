/** Batch normalisation with PyTorch's parameters and buffers (weight, bias, running_mean, running_var, num_batches_tracked). */
import { Tensor } from '../torch/tensor.js';
import * as F from '../torch/functional.js';
import { zeros, ones, scalar } from '../torch/creation.js';
import { noGrad } from '../torch/autograd.js';
import { Module } from './module.js';
import { Parameter, Buffer } from './parameter.js';
import { syncBatchNorm } from './sync-batchnorm.js';
import { type ProcessGroup } from '../torch/distributed.js';

export interface BatchNormOptions {
  eps?: number;
  momentum?: number;
  affine?: boolean;
  trackRunningStats?: boolean;
}

export abstract class BatchNormNd extends Module {
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;
  readonly runningMean: Buffer | null;
  readonly runningVar: Buffer | null;
  readonly numBatchesTracked: Buffer | null;
  readonly eps: number;
  readonly momentum: number;
  /** Set by useSyncBatchNorm: training statistics over every rank of this group. */
  syncGroup: ProcessGroup | null = null;

  constructor(readonly numFeatures: number, private readonly expectedDims: readonly number[], o: BatchNormOptions) {
    super();
    this.eps = o.eps ?? 1e-5;
    this.momentum = o.momentum ?? 0.1;
    const affine = o.affine ?? true;
    const track = o.trackRunningStats ?? true;
    this.weight = this.registerParameter('weight', affine ? param(ones([numFeatures])) : null);
    this.bias = this.registerParameter('bias', affine ? param(zeros([numFeatures])) : null);
    this.runningMean = this.registerBuffer('running_mean', track ? zeros([numFeatures]) : null);
    this.runningVar = this.registerBuffer('running_var', track ? ones([numFeatures]) : null);
    this.numBatchesTracked = this.registerBuffer('num_batches_tracked', track ? scalar(0, { dtype: 'int64' }) : null);
  }

  forward(x: Tensor): Tensor {
    return this.normalize(x, false);
  }

  /** forward(x) followed by ReLU, fused where the kernel allows (what Sequential does with BatchNorm, ReLU). */
  forwardRelu(x: Tensor): Tensor {
    return this.normalize(x, true);
  }

  private normalize(x: Tensor, relu: boolean): Tensor {
    if (!this.expectedDims.includes(x.ndim)) {
      throw new RangeError(`${this.constructor.name} expects a ${this.expectedDims.join('-D or ')}-D input, got shape [${x.shape.join(', ')}]`);
    }
    if (x.size(1) !== this.numFeatures) {
      throw new RangeError(`${this.constructor.name}(${this.numFeatures}) got ${x.size(1)} channels (input shape [${x.shape.join(', ')}])`);
    }
    const useBatchStats = this.training || !this.runningMean;
    if (this.training && this.numBatchesTracked) noGrad(() => this.numBatchesTracked!.add_(1));
    if (this.training && this.syncGroup) {
      const y = syncBatchNorm(x, this, this.syncGroup);
      return relu ? y.relu_() : y;
    }
    return F.batchNorm(x, {
      weight: this.weight, bias: this.bias,
      runningMean: this.training || !useBatchStats ? this.runningMean : null,
      runningVar: this.training || !useBatchStats ? this.runningVar : null,
      training: useBatchStats, momentum: this.momentum, eps: this.eps, relu,
    });
  }
}

/** Makes every BatchNorm in `module` synchronise its training statistics over `group` (null: back to per-rank). */
export function useSyncBatchNorm(module: Module<never[], unknown>, group: ProcessGroup | null): number {
  let n = 0;
  for (const m of module.modules()) {
    if (m instanceof BatchNormNd) {
      m.syncGroup = group;
      n++;
    }
  }
  return n;
}

function param(t: Tensor): Parameter {
  const p = new Parameter(t);
  t.dispose();
  return p;
}

/** Over [B, C] or [B, C, L]. */
export class BatchNorm1d extends BatchNormNd {
  constructor(numFeatures: number, o: BatchNormOptions = {}) { super(numFeatures, [2, 3], o); }
}
/** Over [B, C, H, W]. */
export class BatchNorm2d extends BatchNormNd {
  constructor(numFeatures: number, o: BatchNormOptions = {}) { super(numFeatures, [4], o); }
}
/** Over [B, C, T, H, W]. */
export class BatchNorm3d extends BatchNormNd {
  constructor(numFeatures: number, o: BatchNormOptions = {}) { super(numFeatures, [5], o); }
}
