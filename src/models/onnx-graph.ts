/** A minimal ONNX graph writer for the exporters: named nodes, initialisers and attribute helpers. */
import onnxProto from 'onnx-proto';
import type { onnx as O } from 'onnx-proto';
import { type Tensor } from '../torch/tensor.js';

// onnx-proto is CommonJS: take the namespace from its default export.
export const { onnx } = onnxProto;
export const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
/** An end index past any axis (Slice clamps it). */
export const TO_END = Number.MAX_SAFE_INTEGER;

export class GraphBuilder {
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
  /** A float32 scalar (dims []) or vector initialiser. */
  floats(name: string, values: number[], dims: number[] = [values.length]): string {
    const bytes = Float32Array.from(values);
    this.initializers.push({ name, dims, dataType: FLOAT, rawData: new Uint8Array(bytes.buffer) });
    return name;
  }
  node(opType: string, inputs: string[], attrs: O.IAttributeProto[] = [], output = this.name(opType.toLowerCase())): string {
    this.nodes.push({ opType, input: inputs, output: [output], name: output, attribute: attrs });
    return output;
  }
  /** x[starts:ends] along `axes` (constant bounds; negative counts from the end). */
  slice(x: string, starts: number[], ends: number[], axes: number[]): string {
    const n = this.name('slice');
    return this.node('Slice', [x, this.int64s(`${n}.starts`, starts), this.int64s(`${n}.ends`, ends), this.int64s(`${n}.axes`, axes)], [], n);
  }
}

export const ints = (name: string, v: number[]): O.IAttributeProto => ({ name, ints: v, type: onnx.AttributeProto.AttributeType.INTS });
export const int = (name: string, v: number): O.IAttributeProto => ({ name, i: v, type: onnx.AttributeProto.AttributeType.INT });
export const str = (name: string, v: string): O.IAttributeProto => ({ name, s: new TextEncoder().encode(v), type: onnx.AttributeProto.AttributeType.STRING });

/** One zero frame appended to axis 2 of [B, C, T, H, W] (the difference inputs keep T frames). */
export function padLastFrame(g: GraphBuilder, x: string): string {
  // Pads are [begin of each of the 5 axes, end of each].
  return g.node('Pad', [x, g.int64s(g.name('pads'), [0, 0, 0, 0, 0, 0, 0, 1, 0, 0])], [str('mode', 'constant')]);
}
