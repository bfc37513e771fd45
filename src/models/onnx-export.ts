/**
 * ONNX export written from our own module graph (opset 17): each Conv3d followed by a BatchNorm3d
 * becomes one Conv with the normalisation folded in (eval-mode semantics), then Relu, MaxPool, Add,
 * GlobalAveragePool, Flatten and an optional Gemm classifier. Encoders with input 'diff' start with
 * the frame differences (Slice, Sub, Pad), those with 'aligned-diff' with the shift search and
 * resampling of onnx-aligned-diff.ts. Batch, frames, height and width are symbolic, so one file
 * embeds clips of any size (onnxruntime-node, onnxruntime-web).
 */
import type { onnx as O } from 'onnx-proto';
import { Tensor } from '../torch/tensor.js';
import { noGrad } from '../torch/autograd.js';
import { tidy } from '../torch/scope.js';
import { zeros, ones } from '../torch/creation.js';
import { Module } from '../nn/module.js';
import { Sequential } from '../nn/sequential.js';
import { Conv3d } from '../nn/conv.js';
import { BatchNorm3d } from '../nn/batchnorm.js';
import { Linear, ReLU } from '../nn/linear.js';
import { MaxPool3d } from '../nn/pool.js';
import { ResNet3d } from './resnet3d.js';
import { BasicBlock, Bottleneck, asTriple } from './blocks.js';
import { packageVersion } from '../util/package-root.js';
import { GraphBuilder, onnx, FLOAT, TO_END, ints, int, padLastFrame } from './onnx-graph.js';
import { alignedFrameDifferencesGraph } from './onnx-aligned-diff.js';

const OPSET = 17;

/** Conv (+ folded BatchNorm): w' = w * g / sqrt(v + eps), b' = beta + (b - mean) * g / sqrt(v + eps). */
function conv(g: GraphBuilder, x: string, c: Conv3d, bn: BatchNorm3d | null, path: string): string {
  const { w, b } = tidy(() => noGrad(() => {
    let w = c.weight.detach();
    let b = c.bias ? c.bias.detach() : zeros([c.outChannels]);
    if (bn) {
      if (!bn.runningMean || !bn.runningVar) throw new Error(`ONNX export: ${path} BatchNorm has no running statistics to fold`);
      const scale = (bn.weight ?? ones([c.outChannels])).div(bn.runningVar.add(bn.eps).sqrt());
      w = w.mul(scale.reshape([-1, 1, 1, 1, 1]));
      b = b.sub(bn.runningMean).mul(scale).add(bn.bias ?? zeros([c.outChannels]));
    }
    return { w, b };
  }));
  const wn = g.constant(`${path}.weight`, w), bname = g.constant(`${path}.bias`, b);
  w.dispose();
  b.dispose();
  const pads = c.padding;
  return g.node('Conv', [x, wn, bname], [
    ints('kernel_shape', c.kernelSize), ints('strides', c.stride), ints('pads', [...pads, ...pads]), ints('dilations', c.dilation), int('group', c.groups),
  ]);
}

/** Leaf layers of a (nested) Sequential, in execution order, with their state-dict paths. */
function leaves(seq: Sequential, path: string): [Module<never[], unknown>, string][] {
  return seq.layers.flatMap((m, i) => (m instanceof Sequential ? leaves(m, `${path}.${i}`) : [[m as unknown as Module<never[], unknown>, `${path}.${i}`] as [Module<never[], unknown>, string]]));
}

/**
 * The 'diff' stem input as ResNet3d's frameDifferences computes it: x[:, :, 1:] - x[:, :, :-1], then
 * one zero frame appended so that T is kept (a single frame becomes one zero frame: both slices are
 * empty and Pad supplies it).
 */
function frameDifferences(g: GraphBuilder, x: string): string {
  const next = g.slice(x, [1], [TO_END], [2]), prev = g.slice(x, [0], [-1], [2]);
  return padLastFrame(g, g.node('Sub', [next, prev]));
}

function sequential(g: GraphBuilder, x: string, seq: Sequential, path: string): string {
  const layers = leaves(seq, path);
  let y = x;
  for (let i = 0; i < layers.length; i++) {
    const [m, p] = layers[i];
    if (m instanceof Conv3d) {
      const next = layers[i + 1]?.[0];
      const bn = next instanceof BatchNorm3d ? next : null;
      y = conv(g, y, m, bn, p);
      if (bn) i++;
    } else if (m instanceof ReLU) {
      y = g.node('Relu', [y]);
    } else if (m instanceof MaxPool3d) {
      const k = asTriple(m.kernelSize), s = asTriple(m.options.stride ?? m.kernelSize), pd = asTriple(m.options.padding ?? 0);
      y = g.node('MaxPool', [y], [ints('kernel_shape', k), ints('strides', s), ints('pads', [...pd, ...pd])]);
    } else {
      throw new Error(`ONNX export: unsupported layer ${m.constructor.name} at ${p}`);
    }
  }
  return y;
}

function block(g: GraphBuilder, x: string, b: BasicBlock | Bottleneck, path: string): string {
  const parts = b.namedChildren().filter(([n]) => n.startsWith('conv')) as [string, Sequential][];
  let y = x;
  for (const [n, s] of parts) y = sequential(g, y, s, `${path}.${n}`);
  const ds = b.namedChildren().find(([n]) => n === 'downsample')?.[1] as Sequential | undefined;
  const r = ds ? sequential(g, x, ds, `${path}.downsample`) : x;
  return g.node('Relu', [g.node('Add', [y, r])]);
}

export interface OnnxExportOptions {
  /** Also output class logits from this classifier (a Linear on the pooled features). */
  classifier?: Linear | null;
  /** L2-normalise the features before the classifier (the probe and fine-tuning heads do). */
  normalizeFeatures?: boolean;
  producerVersion?: string;
}

/** Serialises an encoder (and optional linear classifier) to ONNX bytes. */
export function exportOnnx(model: ResNet3d, o: OnnxExportOptions = {}): Uint8Array {
  const g = new GraphBuilder();
  const input = model.config.input;
  const stemInput = input === 'diff' ? frameDifferences(g, 'clips') : input === 'aligned-diff' ? alignedFrameDifferencesGraph(g, 'clips') : 'clips';
  let y = sequential(g, stemInput, model.stem, 'stem');
  model.stages.forEach((stage, i) => {
    stage.layers.forEach((b, j) => { y = block(g, y, b as BasicBlock | Bottleneck, `layer${i + 1}.${j}`); });
  });
  const pooled = g.node('GlobalAveragePool', [y]);
  g.node('Flatten', [pooled], [int('axis', 1)], 'features');
  const outputs: O.IValueInfoProto[] = [valueInfo('features', ['batch', model.featureDim])];
  const head = o.classifier;
  if (head) {
    const w = g.constant('fc.weight', head.weight);
    const x = o.normalizeFeatures ? g.node('LpNormalization', ['features'], [int('axis', 1), int('p', 2)]) : 'features';
    const inputs = [x, w];
    if (head.bias) inputs.push(g.constant('fc.bias', head.bias));
    g.node('Gemm', inputs, [int('transB', 1)], 'logits');
    outputs.push(valueInfo('logits', ['batch', head.outFeatures]));
  }
  const m: O.IModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'cvrl',
    producerVersion: o.producerVersion ?? packageVersion(),
    graph: {
      name: 'cvrl_encoder',
      node: g.nodes,
      initializer: g.initializers,
      input: [valueInfo('clips', ['batch', 3, 'frames', 'height', 'width'])],
      output: outputs,
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(m)).finish();
}

function valueInfo(name: string, dims: (number | string)[]): O.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}
