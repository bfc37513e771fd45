/** Creating tensors: filled, random, ranges, and from JS memory. */
import { native } from '../native/addon.js';
import { type DType, DTYPE_BYTES, dtypeOfArray } from './dtype.js';
import { Tensor, wrap, type Shape } from './tensor.js';

export interface TensorOptions {
  dtype?: DType;
  /** "cpu" (default), "cuda" or "cuda:N". */
  device?: string;
}

export function zeros(shape: Shape, o: TensorOptions = {}): Tensor { return wrap(native.zeros(shape, o.dtype, o.device)); }
export function ones(shape: Shape, o: TensorOptions = {}): Tensor { return wrap(native.ones(shape, o.dtype, o.device)); }
export function empty(shape: Shape, o: TensorOptions = {}): Tensor { return wrap(native.empty(shape, o.dtype, o.device)); }
export function full(shape: Shape, value: number, o: TensorOptions = {}): Tensor {
  return wrap(native.full(shape, value, o.dtype, o.device));
}
/** Standard normal samples from the global generator (see manualSeed). */
export function randn(shape: Shape, o: TensorOptions = {}): Tensor { return wrap(native.randn(shape, o.dtype, o.device)); }
/** Uniform samples in [0, 1). */
export function rand(shape: Shape, o: TensorOptions = {}): Tensor { return wrap(native.rand(shape, o.dtype, o.device)); }
/** Integers uniform in [low, high); int64 by default. */
export function randint(low: number, high: number, shape: Shape, o: TensorOptions = {}): Tensor {
  return wrap(native.randint(low, high, shape, o.dtype ?? 'int64', o.device));
}
export function randperm(n: number, o: TensorOptions = {}): Tensor { return wrap(native.randperm(n, o.dtype ?? 'int64', o.device)); }
/** Values start, start+step, ... below end; int64 when every argument is an integer, like PyTorch. */
export function arange(start: number, end?: number, step = 1, o: TensorOptions = {}): Tensor {
  const [s, e] = end === undefined ? [0, start] : [start, end];
  const ints = [s, e, step].every(Number.isInteger);
  return wrap(native.arange(s, e, step, o.dtype ?? (ints ? 'int64' : 'float32'), o.device));
}
export function linspace(start: number, end: number, steps: number, o: TensorOptions = {}): Tensor {
  return wrap(native.linspace(start, end, steps, o.dtype, o.device));
}
export function eye(n: number, o: TensorOptions = {}): Tensor { return wrap(native.eye(n, o.dtype, o.device)); }
export function zerosLike(t: Tensor): Tensor { return wrap(native.zerosLike(t.handle)); }
export function onesLike(t: Tensor): Tensor { return wrap(native.onesLike(t.handle)); }
export function randnLike(t: Tensor): Tensor { return wrap(native.randnLike(t.handle)); }
export function randLike(t: Tensor): Tensor { return wrap(native.randLike(t.handle)); }
export function fullLike(t: Tensor, v: number): Tensor { return wrap(native.fullLike(t.handle, v)); }
export function scalar(v: number, o: TensorOptions = {}): Tensor { return wrap(native.scalarTensor(v, o.dtype, o.device)); }

/**
 * Copies a typed array (or raw bytes with an explicit dtype) into a new tensor of the given shape
 * (default: 1-D), on the CPU unless `device` says otherwise. The array can be reused at once.
 */
export function fromTypedArray(data: ArrayBufferView | ArrayBuffer, shape?: Shape, o: { dtype?: DType; device?: string } = {}): Tensor {
  const dtype = o.dtype ?? (data instanceof ArrayBuffer ? undefined : dtypeOfArray(data));
  if (!dtype) throw new TypeError('fromTypedArray: raw bytes need { dtype }');
  const t = wrap(native.fromBuffer(data, shape ?? [data.byteLength / DTYPE_BYTES[dtype]], dtype));
  return onDevice(t, o.device);
}

/** `t` moved to `device` (disposing the original), or `t` itself when it is already there. */
function onDevice(t: Tensor, device: string | undefined): Tensor {
  if (device === undefined || device === 'cpu') return t;
  try {
    return t.to(device);
  } finally {
    t.dispose();
  }
}

type Nested = number | boolean | readonly Nested[];

/** A tensor from (nested) JS arrays of numbers; float32 unless a dtype is given. */
export function tensor(values: Nested, o: TensorOptions = {}): Tensor {
  const shape: number[] = [];
  for (let v: Nested = values; Array.isArray(v); v = (v as readonly Nested[])[0]) shape.push((v as readonly Nested[]).length);
  const flat: (number | boolean)[] = [];
  const visit = (v: Nested): void => { if (Array.isArray(v)) for (const x of v as readonly Nested[]) visit(x); else flat.push(v as number | boolean); };
  visit(values);
  if (flat.length !== shape.reduce((a, b) => a * b, 1)) throw new RangeError('tensor(): ragged nested array');
  const dtype = o.dtype ?? 'float32';
  const nums = flat.map(Number);
  let t: Tensor;
  if (dtype === 'int64') t = fromTypedArray(BigInt64Array.from(nums.map((x) => BigInt(Math.trunc(x)))), shape);
  else if (dtype === 'float64') t = fromTypedArray(Float64Array.from(nums), shape);
  else {
    const f = fromTypedArray(Float64Array.from(nums), shape);
    t = f.to(dtype);
    f.dispose();
  }
  return onDevice(t, o.device);
}

/** Concatenates along an existing dimension. */
export function cat(ts: readonly Tensor[], dim = 0): Tensor { return wrap(native.cat(ts.map((t) => t.handle), dim)); }
/** Stacks along a new dimension. */
export function stack(ts: readonly Tensor[], dim = 0): Tensor { return wrap(native.stack(ts.map((t) => t.handle), dim)); }
/**
 * stack(ts, 0) for CPU tensors of one shape and dtype, copied on this thread rather than by
 * libtorch's thread pool, whose threads a data loader's decode threads keep off the cores.
 */
export function stackCopies(ts: readonly Tensor[]): Tensor { return wrap(native.stackSerial(ts.map((t) => t.handle))); }
export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor { return wrap(native.where(cond.handle, a.handle, b.handle)); }
export function einsum(equation: string, ...ts: Tensor[]): Tensor { return wrap(native.einsum(equation, ts.map((t) => t.handle))); }
