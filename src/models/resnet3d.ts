/**
 * One configurable 3-D ResNet covering R3D-18/34/50/101/152, torchvision's r3d_18 / mc3_18 /
 * r2plus1d_18 and CVRL's slow-pathway R3D-50 family (width multipliers, per-stage and per-block
 * temporal kernels, stem kernel and strides, temporal strides).
 *
 * Encoder contract: forward(clips [B, 3, T, H, W]) -> features [B, D] (global average pool, no MLP);
 * forwardFeatures gives the last feature map [B, D, T', H', W'] (for detection heads).
 */
import { Tensor } from '../torch/tensor.js';
import * as F from '../torch/functional.js';
import { noGrad } from '../torch/autograd.js';
import { tidy } from '../torch/scope.js';
import { zerosLike } from '../torch/creation.js';
import { Module } from '../nn/module.js';
import { Sequential, applyInTurn } from '../nn/sequential.js';
import { Conv3d } from '../nn/conv.js';
import { BatchNorm3d } from '../nn/batchnorm.js';
import { Linear, ReLU } from '../nn/linear.js';
import { MaxPool3d } from '../nn/pool.js';
import * as init from '../nn/init.js';
import { alignedFrameDifferences } from './aligned-differences.js';
import { BasicBlock, Bottleneck, type ConvKind, type ClipShape, type Cost, type Triple, sequentialCost } from './blocks.js';

export const ENCODER_INPUTS = ['rgb', 'diff', 'aligned-diff'] as const;
export type EncoderInput = (typeof ENCODER_INPUTS)[number];

export interface StemConfig {
  /** 'conv': one kt x kh x kw conv; '2plus1d': torchvision's R(2+1)D stem (1x7x7 to 45 channels, then 3x1x1). */
  kind: 'conv' | '2plus1d';
  channels: number;
  kernel: Triple;
  stride: Triple;
  /** Max-pool after the stem (kernel, stride); padding is kernel // 2. */
  pool?: { kernel: Triple; stride: Triple };
}

export interface ResNet3dConfig {
  block: 'basic' | 'bottleneck';
  /** Blocks per stage (res2..res5). */
  layers: number[];
  /** Planes per stage before the bottleneck expansion, at width 1. */
  planes: number[];
  /** Scales the stem and every stage's planes (CVRL: 1, 2, 4; CPU presets: 0.25). */
  width: number;
  stem: StemConfig;
  /** Main-conv kind per stage. */
  convKind: ConvKind[];
  /**
   * Temporal kernel per stage, or per block (an array per stage). Basic blocks use it in their 3x3
   * convolutions; bottlenecks in their first 1x1 conv (SlowFast's slow pathway), with a 1x3x3 middle conv.
   */
  temporalKernels: (number | number[])[];
  spatialStrides: number[];
  temporalStrides: number[];
  /** Classifier classes (0: encoder only). The classifier is `fc`, as in torchvision. */
  numClasses: number;
  /**
   * 'diff': the stem sees temporal differences of consecutive frames (residual frames, Tao et al.
   * 2020), the last one zero so that T is kept. Static content (background, a still look) reaches
   * the network only through what moves. 'aligned-diff': the same after removing each frame pair's
   * dominant translation (a shaking or panning camera; see aligned-differences.ts). Default 'rgb'.
   */
  input?: EncoderInput;
}

export class ResNet3d extends Module {
  readonly stem: Sequential;
  readonly stages: Sequential[] = [];
  readonly fc: Linear | null;
  readonly featureDim: number;

  constructor(readonly config: ResNet3dConfig) {
    super();
    validate(config);
    const c = config;
    const scale = (n: number) => Math.max(1, Math.round(n * c.width));
    const stemC = scale(c.stem.channels);
    this.stem = this.registerModule('stem', makeStem(c.stem, stemC));
    let inC = stemC;
    c.layers.forEach((n, i) => {
      const planes = scale(c.planes[i]);
      const blocks: Module[] = [];
      for (let b = 0; b < n; b++) {
        const tk = Array.isArray(c.temporalKernels[i]) ? (c.temporalKernels[i] as number[])[b] : (c.temporalKernels[i] as number);
        const first = b === 0;
        const spec = {
          kind: c.convKind[i],
          temporalKernel: c.block === 'basic' ? tk : 1,
          spatialStride: first ? c.spatialStrides[i] : 1,
          temporalStride: first ? c.temporalStrides[i] : 1,
        };
        const block = c.block === 'basic' ? new BasicBlock(inC, planes, spec) : new Bottleneck(inC, planes, spec, tk);
        inC = planes * (c.block === 'basic' ? BasicBlock.expansion : Bottleneck.expansion);
        blocks.push(block);
      }
      this.stages.push(this.registerModule(`layer${i + 1}`, new Sequential(...blocks)));
    });
    this.featureDim = inC;
    this.fc = c.numClasses > 0 ? this.registerModule('fc', new Linear(inC, c.numClasses)) : null;
    initialise(this);
  }

  /** The last feature map [B, D, T', H', W']. */
  forwardFeatures(x: Tensor): Tensor {
    if (x.ndim !== 5 || x.size(1) !== 3) throw new RangeError(`expected clips [B, 3, T, H, W], got [${x.shape.join(', ')}]`);
    return tidy(() => {
      const input = this.config.input === 'diff' ? frameDifferences(x) : this.config.input === 'aligned-diff' ? alignedFrameDifferences(x) : x;
      return applyInTurn(input, [this.stem, ...this.stages], input !== x);
    });
  }

  /** Pooled features [B, D]: the representation (no MLP). */
  forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool3d(this.forwardFeatures(x), 1).flatten(1);
  }

  /** Class logits [B, numClasses] through `fc` (torchvision's forward). */
  classify(x: Tensor): Tensor {
    if (!this.fc) throw new Error('this model has no classifier (numClasses was 0)');
    const fc = this.fc;
    return tidy(() => fc.forward(this.forward(x)));
  }

  /** Parameters of the encoder only (without `fc`). */
  encoderParameterCount(): number {
    return this.numParameters() - (this.fc ? this.fc.numParameters() : 0);
  }

  /** Analytic shape and multiply-accumulates for one clip of [3, T, H, W] (fc excluded). */
  cost(frames: number, height: number, width: number): Cost & { stageShapes: ClipShape[] } {
    let c = sequentialCost(this.stem, [3, frames, height, width]);
    let macs = c.macs;
    const stageShapes: ClipShape[] = [];
    for (const stage of this.stages) {
      for (const b of stage.layers as (BasicBlock | Bottleneck)[]) {
        c = b.cost(c.shape);
        macs += c.macs;
      }
      stageShapes.push(c.shape);
    }
    return { shape: c.shape, macs, stageShapes };
  }
}

/** x[:, :, t + 1] - x[:, :, t] for t < T - 1, then a zero frame: [B, C, T, H, W] -> the same shape. */
export function frameDifferences(x: Tensor): Tensor {
  return tidy(() => {
    const t = x.size(2);
    if (t < 2) return zerosLike(x);
    return F.pad(x.narrow(2, 1, t - 1).sub(x.narrow(2, 0, t - 1)), [0, 0, 0, 0, 0, 1]);
  });
}

function makeStem(s: StemConfig, channels: number): Sequential {
  const pad = (k: Triple): Triple => [Math.floor(k[0] / 2), Math.floor(k[1] / 2), Math.floor(k[2] / 2)];
  const layers: Module[] = s.kind === 'conv'
    ? [new Conv3d(3, channels, s.kernel, { stride: s.stride, padding: pad(s.kernel), bias: false }), new BatchNorm3d(channels), new ReLU(true)]
    : [
      new Conv3d(3, 45, [1, s.kernel[1], s.kernel[2]], { stride: [1, s.stride[1], s.stride[2]], padding: [0, ...pad(s.kernel).slice(1)] as Triple, bias: false }),
      new BatchNorm3d(45), new ReLU(true),
      new Conv3d(45, channels, [s.kernel[0], 1, 1], { stride: [s.stride[0], 1, 1], padding: [Math.floor(s.kernel[0] / 2), 0, 0], bias: false }),
      new BatchNorm3d(channels), new ReLU(true),
    ];
  if (s.pool) layers.push(new MaxPool3d(s.pool.kernel, { stride: s.pool.stride, padding: pad(s.pool.kernel) }));
  return new Sequential(...layers);
}

/** torchvision's video ResNet initialisation: kaiming-normal (fan_out) convs, BN 1/0, fc N(0, 0.01). */
function initialise(m: ResNet3d): void {
  noGrad(() => {
    for (const mod of m.modules()) {
      if (mod instanceof Conv3d) {
        init.kaimingNormal_(mod.weight, { mode: 'fan_out', nonlinearity: 'relu' });
        if (mod.bias) init.zeros_(mod.bias);
      } else if (mod instanceof BatchNorm3d) {
        if (mod.weight) init.ones_(mod.weight);
        if (mod.bias) init.zeros_(mod.bias);
      } else if (mod instanceof Linear) {
        init.normal_(mod.weight, 0, 0.01);
        if (mod.bias) init.zeros_(mod.bias);
      }
    }
  });
}

function validate(c: ResNet3dConfig): void {
  const n = c.layers.length;
  const bad = (m: string): never => { throw new RangeError(`model config: ${m}`); };
  if (n === 0) bad('layers must list at least one stage');
  for (const [k, v] of Object.entries({ planes: c.planes, convKind: c.convKind, temporalKernels: c.temporalKernels, spatialStrides: c.spatialStrides, temporalStrides: c.temporalStrides })) {
    if (v.length !== n) bad(`${k} has ${v.length} entries but there are ${n} stages`);
  }
  if (!(c.width > 0)) bad(`width must be > 0, got ${c.width}`);
  if (c.layers.some((x) => !Number.isInteger(x) || x < 1)) bad(`layers must be positive integers, got [${c.layers}]`);
  c.temporalKernels.forEach((tk, i) => {
    const ks = Array.isArray(tk) ? tk : [tk];
    if (Array.isArray(tk) && tk.length !== c.layers[i]) bad(`temporalKernels[${i}] lists ${tk.length} blocks but stage ${i + 1} has ${c.layers[i]}`);
    if (ks.some((k) => !Number.isInteger(k) || k < 1 || k % 2 === 0)) bad(`temporal kernels must be odd positive integers, got ${JSON.stringify(tk)}`);
  });
  if (c.input !== undefined && !ENCODER_INPUTS.includes(c.input)) bad(`input must be one of ${ENCODER_INPUTS.join(', ')}, got ${JSON.stringify(c.input)}`);
  if (!Number.isInteger(c.numClasses) || c.numClasses < 0) bad(`numClasses must be a non-negative integer, got ${c.numClasses}`);
}
