/** Convolution layers with PyTorch's parameter names (weight [out, in/groups, ...k], bias [out]). */
import { Tensor } from '../torch/tensor.js';
import * as F from '../torch/functional.js';
import { Module } from './module.js';
import { Parameter, emptyParameter } from './parameter.js';
import { defaultLayerInit_ } from './init.js';

type Triple = number | readonly [number, number, number];
type Pair = number | readonly [number, number];

export interface ConvOptions<K> {
  stride?: K;
  padding?: K;
  dilation?: K;
  groups?: number;
  bias?: boolean;
}

function expand(v: number | readonly number[], n: number, what: string): number[] {
  const out = typeof v === 'number' ? Array<number>(n).fill(v) : [...v];
  if (out.length !== n || out.some((x) => !Number.isInteger(x) || x < 0)) throw new RangeError(`${what} must be a non-negative integer or ${n} of them, got ${JSON.stringify(v)}`);
  return out;
}

abstract class ConvNd extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[];
  readonly dilation: number[];
  readonly groups: number;

  constructor(readonly inChannels: number, readonly outChannels: number, kernel: number | readonly number[], dims: number, o: ConvOptions<number | readonly number[]>) {
    super();
    this.groups = o.groups ?? 1;
    if (inChannels % this.groups || outChannels % this.groups) {
      throw new RangeError(`channels (${inChannels} in, ${outChannels} out) must be divisible by groups (${this.groups})`);
    }
    this.kernelSize = expand(kernel, dims, 'kernel size');
    this.stride = expand(o.stride ?? 1, dims, 'stride');
    this.padding = expand(o.padding ?? 0, dims, 'padding');
    this.dilation = expand(o.dilation ?? 1, dims, 'dilation');
    this.weight = this.registerParameter('weight', emptyParameter([outChannels, inChannels / this.groups, ...this.kernelSize]));
    this.bias = this.registerParameter('bias', (o.bias ?? true) ? emptyParameter([outChannels]) : null);
    defaultLayerInit_(this.weight, this.bias);
  }
  protected get convOptions(): F.ConvOptions {
    return { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups };
  }
}

/** 3-D convolution over [B, C, T, H, W]. */
export class Conv3d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernel: Triple, o: ConvOptions<Triple> = {}) {
    super(inChannels, outChannels, kernel, 3, o);
  }
  forward(x: Tensor): Tensor {
    return F.conv3d(x, this.weight, this.bias, this.convOptions);
  }
}

/** 2-D convolution over [B, C, H, W]. */
export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernel: Pair, o: ConvOptions<Pair> = {}) {
    super(inChannels, outChannels, kernel, 2, o);
  }
  forward(x: Tensor): Tensor {
    return F.conv2d(x, this.weight, this.bias, this.convOptions);
  }
}
