/**
 * ONNX export written from our own module graph (opset 17): each Conv3d followed by a BatchNorm3d
 * becomes one Conv with the normalisation folded in (eval-mode semantics), then Relu, MaxPool, Add,
 * GlobalAveragePool, Flatten and an optional Gemm classifier. Encoders with input 'diff' start with
 * the frame differences (Slice, Sub, Pad). Batch, frames, height and width are
 * symbolic, so one file embeds clips of any size (onnxruntime-node, onnxruntime-web).
 */
import onnxProto from 'onnx-proto';
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

// onnx-proto is CommonJS: take the namespace from its default export.
const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
const OPSET = 17;

class GraphBuilder {
  readonly nodes: O.INodeProto[] = [];
  readonly initializers: O.ITensorProto[] = [];
  #n = 0;

  name(prefix: string): string {
    return `${prefix}_${this.#n++}`;
  }
  constant(name: string, t: Tensor): string {
    const f = t.to('float32').contiguous();
    const bytes = f.toTypedArray() as Float32Array;
    this.initializers.push({ name, dims: f.shape, dataType: FLOAT, rawData: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength).slice() });
    f.dispose();
    return name;
  }
  int64s(name: string, values: number[]): string {
    const bytes = BigInt64Array.from(values, BigInt);
    this.initializers.push({ name, dims: [values.length], dataType: INT64, rawData: new Uint8Array(bytes.buffer) });
    return name;
  }
  node(opType: string, inputs: string[], attrs: O.IAttributeProto[] = [], output = this.name(opType.toLowerCase())): string {
    this.nodes.push({ opType, input: inputs, output: [output], name: output, attribute: attrs });
    return output;
  }
}

const ints = (name: string, v: number[]): O.IAttributeProto => ({ name, ints: v, type: onnx.AttributeProto.AttributeType.INTS });
const int = (name: string, v: number): O.IAttributeProto => ({ name, i: v, type: onnx.AttributeProto.AttributeType.INT });

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
  const axis = g.int64s('diff.axes', [2]);
  const next = g.node('Slice', [x, g.int64s('diff.next_starts', [1]), g.int64s('diff.next_ends', [Number.MAX_SAFE_INTEGER]), axis]);
  const prev = g.node('Slice', [x, g.int64s('diff.prev_starts', [0]), g.int64s('diff.prev_ends', [-1]), axis]);
  // Pads are [begin of each of the 5 axes, end of each]: one frame at the end of axis 2.
  return g.node('Pad', [g.node('Sub', [next, prev]), g.int64s('diff.pads', [0, 0, 0, 0, 0, 0, 0, 1, 0, 0])], [{ name: 'mode', s: new TextEncoder().encode('constant'), type: onnx.AttributeProto.AttributeType.STRING }]);
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
  if (model.config.input === 'aligned-diff') throw new Error("ONNX export does not support input 'aligned-diff' (its shift search runs outside the graph); export an encoder trained with input 'rgb' or 'diff'");
  const g = new GraphBuilder();
  const stemInput = model.config.input === 'diff' ? frameDifferences(g, 'clips') : 'clips';
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
