/** Pooling layers over [B, C, T, H, W]. */
import { Tensor } from '../torch/tensor.js';
import * as F from '../torch/functional.js';
import { Module } from './module.js';

type Triple = number | readonly [number, number, number];

export class MaxPool3d extends Module {
  constructor(readonly kernelSize: Triple, readonly options: F.PoolOptions = {}) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.maxPool3d(x, this.kernelSize, this.options);
  }
}

export class AvgPool3d extends Module {
  constructor(readonly kernelSize: Triple, readonly options: F.AvgPoolOptions = {}) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.avgPool3d(x, this.kernelSize, this.options);
  }
}

export class AdaptiveAvgPool3d extends Module {
  constructor(readonly outputSize: Triple) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool3d(x, this.outputSize);
  }
}
