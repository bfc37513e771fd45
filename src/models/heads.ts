/** Heads on top of an encoder's pooled features [B, D]. */
import { Tensor } from '../torch/tensor.js';
import { Module } from '../nn/module.js';
import { Sequential } from '../nn/sequential.js';
import { Linear, ReLU, Dropout } from '../nn/linear.js';
import { BatchNorm1d } from '../nn/batchnorm.js';
import * as F from '../torch/functional.js';

export interface ProjectionHeadOptions {
  hiddenDim?: number;
  outDim?: number;
  /** Number of [Linear, BatchNorm1d, ReLU] blocks before the final Linear. */
  hiddenLayers?: number;
}

/** CVRL's projection head for pre-training: 3 x [Linear, BatchNorm1d, ReLU] then Linear to 128 (by default). */
export class ProjectionHead extends Module {
  readonly mlp: Sequential;
  constructor(readonly inDim: number, o: ProjectionHeadOptions = {}) {
    super();
    const hidden = o.hiddenDim ?? 2048, out = o.outDim ?? 128, n = o.hiddenLayers ?? 3;
    const layers: Module[] = [];
    let d = inDim;
    for (let i = 0; i < n; i++) {
      // The following BatchNorm has its own shift, so the Linear needs no bias.
      layers.push(new Linear(d, hidden, { bias: false }), new BatchNorm1d(hidden), new ReLU(true));
      d = hidden;
    }
    layers.push(new Linear(d, out));
    this.mlp = this.registerModule('mlp', new Sequential(...layers));
  }
  forward(x: Tensor): Tensor {
    return this.mlp.forward(x);
  }
}

/** A single linear layer (the linear probe). */
export class LinearClassifier extends Module {
  readonly fc: Linear;
  constructor(readonly inDim: number, readonly numClasses: number) {
    super();
    this.fc = this.registerModule('fc', new Linear(inDim, numClasses));
  }
  forward(x: Tensor): Tensor {
    return this.fc.forward(x);
  }
}

/**
 * The linear-probe head: L2-normalised features, a BatchNorm without affine parameters (a fixed
 * standardisation at test time, as in MAE's linear probe: raw ReLU features share a large common
 * component that would leave normalised vectors nearly parallel), then one linear layer.
 */
export class LinearProbeHead extends Module {
  readonly bn: BatchNorm1d;
  readonly fc: Linear;
  constructor(readonly inDim: number, readonly numClasses: number) {
    super();
    this.bn = this.registerModule('bn', new BatchNorm1d(inDim, { affine: false }));
    this.fc = this.registerModule('fc', new Linear(inDim, numClasses));
  }
  forward(x: Tensor): Tensor {
    return this.fc.forward(this.bn.forward(F.normalize(x, { dim: 1 })));
  }
}

/**
 * The fine-tuning head: the probe's normalisation (L2, then BatchNorm without affine parameters),
 * dropout, then a linear layer. Normalising first keeps the head's step size independent of the
 * encoder's feature scale, which differs between pre-trained and random weights.
 */
export class FineTuneHead extends Module {
  readonly bn: BatchNorm1d;
  readonly dropout: Dropout;
  readonly fc: Linear;
  constructor(readonly inDim: number, readonly numClasses: number, dropout = 0.5) {
    super();
    this.bn = this.registerModule('bn', new BatchNorm1d(inDim, { affine: false }));
    this.dropout = this.registerModule('dropout', new Dropout(dropout));
    this.fc = this.registerModule('fc', new Linear(inDim, numClasses));
  }
  forward(x: Tensor): Tensor {
    return this.fc.forward(this.dropout.forward(this.bn.forward(F.normalize(x, { dim: 1 }))));
  }
}
