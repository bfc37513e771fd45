/**
 * Building blocks of the 3-D ResNet family, laid out like torchvision's video ResNets so that
 * state-dict keys match theirs (`layer1.0.conv1.0.weight`, `layer1.0.downsample.1.running_var`).
 * Every block also reports its output shape and multiply-accumulates analytically (no forward pass).
 */
import { Tensor } from '../torch/tensor.js';
import { Module } from '../nn/module.js';
import { Sequential, applyInTurn } from '../nn/sequential.js';
import { Conv3d } from '../nn/conv.js';
import { BatchNorm3d } from '../nn/batchnorm.js';
import { ReLU } from '../nn/linear.js';
import { MaxPool3d } from '../nn/pool.js';

export type Triple = [number, number, number];
/** [C, T, H, W] of one clip. */
export type ClipShape = [number, number, number, number];

/** Output shape and multiply-accumulates of a layer for one clip. */
export interface Cost {
  shape: ClipShape;
  macs: number;
}

function outSize(n: number, k: number, s: number, p: number, d = 1): number {
  return Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;
}

/** Analytic cost of one Conv3d applied to a clip of shape [C, T, H, W]. */
export function convCost(conv: Conv3d, [c, t, h, w]: ClipShape): Cost {
  if (c !== conv.inChannels) throw new Error(`shape walk: conv expects ${conv.inChannels} channels, got ${c}`);
  const [kt, kh, kw] = conv.kernelSize, [st, sh, sw] = conv.stride, [pt, ph, pw] = conv.padding, [dt, dh, dw] = conv.dilation;
  const shape: ClipShape = [conv.outChannels, outSize(t, kt, st, pt, dt), outSize(h, kh, sh, ph, dh), outSize(w, kw, sw, pw, dw)];
  if (shape.some((x) => x < 1)) throw new RangeError(`input [${c}, ${t}, ${h}, ${w}] is too small for this network (a layer's output would be empty)`);
  const macs = shape[0] * shape[1] * shape[2] * shape[3] * (c / conv.groups) * kt * kh * kw;
  return { shape, macs };
}

export function poolCost(pool: MaxPool3d, [c, t, h, w]: ClipShape): Cost {
  const k = asTriple(pool.kernelSize), s = asTriple(pool.options.stride ?? pool.kernelSize), p = asTriple(pool.options.padding ?? 0);
  return { shape: [c, outSize(t, k[0], s[0], p[0]), outSize(h, k[1], s[1], p[1]), outSize(w, k[2], s[2], p[2])], macs: 0 };
}

export function asTriple(v: number | readonly number[]): Triple {
  return typeof v === 'number' ? [v, v, v] : [v[0], v[1], v[2]];
}

/** Walks a Sequential of Conv3d / BatchNorm3d / ReLU / MaxPool3d / nested Sequentials. */
export function sequentialCost(seq: Sequential, input: ClipShape): Cost {
  let shape = input, macs = 0;
  for (const m of seq.layers) {
    let c: Cost | null = null;
    if (m instanceof Conv3d) c = convCost(m, shape);
    else if (m instanceof MaxPool3d) c = poolCost(m, shape);
    else if (m instanceof Sequential) c = sequentialCost(m, shape);
    if (c) {
      shape = c.shape;
      macs += c.macs;
    }
  }
  return { shape, macs };
}

/** How a block convolves space and time in its main 3x3 convolution. */
export type ConvKind = '3d' | '2plus1d';

export interface ConvSpec {
  kind: ConvKind;
  /** Temporal kernel of the main conv (3d: kt x 3 x 3; 2plus1d: the kt x 1 x 1 half). */
  temporalKernel: number;
  temporalStride: number;
  spatialStride: number;
}

/** The main 3x3 convolution (torchvision's Conv3DSimple / Conv3DNoTemporal / Conv2Plus1D). */
export function mainConv(inC: number, outC: number, midC: number, s: ConvSpec): Module {
  const kt = s.temporalKernel, pt = Math.floor(kt / 2);
  if (s.kind === '3d') {
    return new Conv3d(inC, outC, [kt, 3, 3], { stride: [s.temporalStride, s.spatialStride, s.spatialStride], padding: [pt, 1, 1], bias: false });
  }
  return new Sequential(
    new Conv3d(inC, midC, [1, 3, 3], { stride: [1, s.spatialStride, s.spatialStride], padding: [0, 1, 1], bias: false }),
    new BatchNorm3d(midC),
    new ReLU(true),
    new Conv3d(midC, outC, [kt, 1, 1], { stride: [s.temporalStride, 1, 1], padding: [pt, 0, 0], bias: false }),
  );
}

abstract class ResBlock extends Module {
  protected downsample: Sequential | null = null;

  protected makeDownsample(inC: number, outC: number, s: ConvSpec): void {
    if (s.spatialStride === 1 && s.temporalStride === 1 && inC === outC) return;
    this.downsample = this.registerModule('downsample', new Sequential(
      new Conv3d(inC, outC, 1, { stride: [s.temporalStride, s.spatialStride, s.spatialStride], bias: false }),
      new BatchNorm3d(outC),
    ));
  }
  /**
   * The block's output from its main path's last feature map: ReLU(y + shortcut(x)), in place as
   * torchvision's `out += identity` (y is a BatchNorm output, which its backward does not need).
   */
  protected addShortcut(y: Tensor, x: Tensor): Tensor {
    if (!this.downsample) return y.addRelu_(x);
    const shortcut = this.downsample.forward(x);
    y.addRelu_(shortcut);
    shortcut.dispose();
    return y;
  }
  protected shortcutCost(input: ClipShape): number {
    return this.downsample ? sequentialCost(this.downsample, input).macs : 0;
  }
  abstract cost(input: ClipShape): Cost;
}

/** Two 3x3 convolutions (ResNet-18/34). */
export class BasicBlock extends ResBlock {
  static readonly expansion = 1;
  readonly conv1: Sequential;
  readonly conv2: Sequential;

  constructor(inC: number, planes: number, s: ConvSpec) {
    super();
    // torchvision sizes the (2+1)D middle width so that parameters match a full 3x3x3 conv.
    const mid = Math.floor((inC * planes * 27) / (inC * 9 + 3 * planes));
    this.conv1 = this.registerModule('conv1', new Sequential(mainConv(inC, planes, mid, s), new BatchNorm3d(planes), new ReLU(true)));
    const s2 = { ...s, spatialStride: 1, temporalStride: 1 };
    this.conv2 = this.registerModule('conv2', new Sequential(mainConv(planes, planes, mid, s2), new BatchNorm3d(planes)));
    this.makeDownsample(inC, planes, s);
  }
  forward(x: Tensor): Tensor {
    return this.addShortcut(applyInTurn(x, [this.conv1, this.conv2]), x);
  }
  cost(input: ClipShape): Cost {
    const a = sequentialCost(this.conv1, input);
    const b = sequentialCost(this.conv2, a.shape);
    return { shape: b.shape, macs: a.macs + b.macs + this.shortcutCost(input) };
  }
}

/** 1x1 reduce (with an optional temporal kernel, as in SlowFast's slow pathway), 3x3, 1x1 expand (ResNet-50+). */
export class Bottleneck extends ResBlock {
  static readonly expansion = 4;
  readonly conv1: Sequential;
  readonly conv2: Sequential;
  readonly conv3: Sequential;

  /** `reduceTemporalKernel` is the temporal kernel of the first 1x1 conv; `s` describes the 3x3 conv. */
  constructor(inC: number, planes: number, s: ConvSpec, reduceTemporalKernel: number) {
    super();
    const out = planes * Bottleneck.expansion;
    const kt = reduceTemporalKernel;
    this.conv1 = this.registerModule('conv1', new Sequential(
      new Conv3d(inC, planes, [kt, 1, 1], { padding: [Math.floor(kt / 2), 0, 0], bias: false }), new BatchNorm3d(planes), new ReLU(true)));
    const mid = Math.floor((planes * planes * 27) / (planes * 9 + 3 * planes));
    this.conv2 = this.registerModule('conv2', new Sequential(mainConv(planes, planes, mid, s), new BatchNorm3d(planes), new ReLU(true)));
    this.conv3 = this.registerModule('conv3', new Sequential(new Conv3d(planes, out, 1, { bias: false }), new BatchNorm3d(out)));
    this.makeDownsample(inC, out, s);
  }
  forward(x: Tensor): Tensor {
    return this.addShortcut(applyInTurn(x, [this.conv1, this.conv2, this.conv3]), x);
  }
  cost(input: ClipShape): Cost {
    const a = sequentialCost(this.conv1, input);
    const b = sequentialCost(this.conv2, a.shape);
    const c = sequentialCost(this.conv3, b.shape);
    return { shape: c.shape, macs: a.macs + b.macs + c.macs + this.shortcutCost(input) };
  }
}
