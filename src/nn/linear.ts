/** Linear and shape-only layers. */
import { Tensor } from '../torch/tensor.js';
import * as F from '../torch/functional.js';
import { Module } from './module.js';
import { Parameter, emptyParameter } from './parameter.js';
import { defaultLayerInit_ } from './init.js';

/** y = x W^T + b with weight [out, in]. */
export class Linear extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  constructor(readonly inFeatures: number, readonly outFeatures: number, o: { bias?: boolean } = {}) {
    super();
    this.weight = this.registerParameter('weight', emptyParameter([outFeatures, inFeatures]));
    this.bias = this.registerParameter('bias', (o.bias ?? true) ? emptyParameter([outFeatures]) : null);
    defaultLayerInit_(this.weight, this.bias);
  }
  forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias);
  }
}

/** Returns its input as a new handle on the same data (an autograd-preserving alias), so callers may dispose it like any layer output. */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x.reshape(x.shape);
  }
}

export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
}

/** Dropout that is active only in training mode. */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (p < 0 || p > 1) throw new RangeError(`dropout probability must be in [0, 1], got ${p}`);
  }
  forward(x: Tensor): Tensor {
    return F.dropout(x, this.p, this.training);
  }
}

export class ReLU extends Module {
  /** inplace: overwrite the input (as torch's ReLU(inplace=True)); only where nothing else needs it, e.g. right after a BatchNorm. */
  constructor(readonly inplace = false) {
    super();
  }
  forward(x: Tensor): Tensor {
    return this.inplace ? x.relu_() : F.relu(x);
  }
}
