/**
 * Weight initialisers with torch.nn.init's formulas. They draw from the global generator, so with
 * the same seed and call order they reproduce PyTorch's values exactly (same libtorch kernels).
 */
import { Tensor } from '../torch/tensor.js';
import { noGrad } from '../torch/autograd.js';

export type Nonlinearity = 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu';
export type FanMode = 'fan_in' | 'fan_out';

/** fan_in and fan_out of a weight shaped [out, in, ...kernel]. */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) throw new Error(`fan in and fan out need at least 2 dimensions, got shape [${shape.join(', ')}]`);
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[1] * receptive, fanOut: shape[0] * receptive };
}

export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear': case 'conv1d': case 'conv2d': case 'conv3d': case 'sigmoid': return 1;
    case 'tanh': return 5 / 3;
    case 'relu': return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
  }
}

export function uniform_(t: Tensor, a = 0, b = 1): Tensor { return noGrad(() => t.uniform_(a, b)); }
export function normal_(t: Tensor, mean = 0, std = 1): Tensor { return noGrad(() => t.normal_(mean, std)); }
export function constant_(t: Tensor, v: number): Tensor { return noGrad(() => t.fill_(v)); }
export function zeros_(t: Tensor): Tensor { return constant_(t, 0); }
export function ones_(t: Tensor): Tensor { return constant_(t, 1); }

export interface KaimingOptions {
  a?: number;
  mode?: FanMode;
  nonlinearity?: Nonlinearity;
}
export function kaimingUniform_(t: Tensor, o: KaimingOptions = {}): Tensor {
  const f = fans(t.shape);
  const fan = (o.mode ?? 'fan_in') === 'fan_in' ? f.fanIn : f.fanOut;
  const bound = Math.sqrt(3) * calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0) / Math.sqrt(fan);
  return uniform_(t, -bound, bound);
}
export function kaimingNormal_(t: Tensor, o: KaimingOptions = {}): Tensor {
  const f = fans(t.shape);
  const fan = (o.mode ?? 'fan_in') === 'fan_in' ? f.fanIn : f.fanOut;
  return normal_(t, 0, calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0) / Math.sqrt(fan));
}
/** PyTorch's default for Conv and Linear: kaiming_uniform_(a=sqrt(5)) weights, U(±1/sqrt(fan_in)) bias. */
export function defaultLayerInit_(weight: Tensor, bias: Tensor | null): void {
  kaimingUniform_(weight, { a: Math.sqrt(5) });
  if (bias) {
    const { fanIn } = fans(weight.shape);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform_(bias, -bound, bound);
  }
}
