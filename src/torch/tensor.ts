/**
 * The typed Tensor over a native libtorch tensor. Methods mirror PyTorch's names (camelCase);
 * shapes are plain number arrays. Every result is a new Tensor tracked by the innermost `tidy()`
 * scope; methods ending in `_` modify this tensor in place and return it.
 */
import { native, type Handle } from '../native/addon.js';
import { type DType, type AnyTypedArray, isDType, viewBytes } from './dtype.js';
import { track, keep as keepTensor, type Disposable } from './scope.js';

export type Shape = readonly number[];
export type TensorOrScalar = Tensor | number;

function h(x: TensorOrScalar): Handle | number {
  return typeof x === 'number' ? x : x.handle;
}

export class Tensor implements Disposable {
  #handle: Handle | null;
  #shape: number[] | undefined;
  #dtype: DType | undefined;

  /** Wraps a native handle; library code only. Use the creation functions instead. */
  constructor(handle: Handle, tracked = true) {
    this.#handle = handle;
    if (tracked) track(this);
  }

  /** The native handle; throws if this tensor was disposed. */
  get handle(): Handle {
    if (this.#handle === null) throw new Error('tensor used after dispose()');
    return this.#handle;
  }

  get isDisposed(): boolean {
    return this.#handle === null;
  }

  /** Releases this handle's reference to the native tensor now (idempotent). */
  dispose(): void {
    if (this.#handle === null) return;
    native.dispose(this.#handle);
    this.#handle = null;
  }

  /**
   * Points this tensor at new data, keeping its identity (like PyTorch's `param.data = ...`);
   * used by Module.to() so that references to a parameter stay valid. Takes ownership of `handle`.
   */
  protected replaceHandle(handle: Handle): void {
    const old = this.#handle;
    this.#handle = handle;
    this.#shape = undefined;
    this.#dtype = undefined;
    if (old !== null) native.dispose(old);
  }

  /** Excludes this tensor from the enclosing tidy() scopes. */
  keep(): this {
    return keepTensor(this);
  }

  get shape(): number[] {
    return (this.#shape ??= native.shape(this.handle)).slice();
  }
  get ndim(): number {
    return (this.#shape ??= native.shape(this.handle)).length;
  }
  get numel(): number {
    return (this.#shape ??= native.shape(this.handle)).reduce((a, b) => a * b, 1);
  }
  get dtype(): DType {
    return (this.#dtype ??= native.dtype(this.handle) as DType);
  }
  get device(): string {
    return native.device(this.handle);
  }
  size(dim: number): number {
    const s = (this.#shape ??= native.shape(this.handle));
    const d = dim < 0 ? dim + s.length : dim;
    if (d < 0 || d >= s.length) throw new RangeError(`dimension ${dim} out of range for a ${s.length}-D tensor`);
    return s[d];
  }
  isContiguous(): boolean {
    return native.isContiguous(this.handle);
  }

  // ---- data out ----
  /** The value of a one-element tensor. */
  item(): number {
    return Number(native.item(this.handle));
  }
  /**
   * The elements as a typed array (row-major). For a contiguous CPU tensor this aliases the tensor's
   * memory without copying (like PyTorch's `.numpy()`); the array stays valid after dispose().
   */
  toTypedArray(): AnyTypedArray {
    return viewBytes(native.toBuffer(this.handle), this.dtype);
  }
  /** The elements as a flat array of numbers (a copy); half types are converted to float32 first. */
  toArray(): number[] {
    if (this.dtype === 'float16' || this.dtype === 'bfloat16') {
      const f = this.to('float32');
      try { return f.toArray(); } finally { f.dispose(); }
    }
    return Array.from(this.toTypedArray() as ArrayLike<number | bigint>, Number);
  }

  // ---- conversion ----
  /** Converts to a dtype or moves to a device ("cpu", "cuda", "cuda:1"). */
  to(target: DType | string, opts: { nonBlocking?: boolean } = {}): Tensor {
    if (isDType(target)) return wrap(native.toDtype(this.handle, target));
    return wrap(native.toDevice(this.handle, target, opts.nonBlocking));
  }
  /** A copy in page-locked memory, so that `.to('cuda', { nonBlocking: true })` overlaps with compute (needs CUDA). */
  pinMemory(): Tensor { return wrap(native.pinMemory(this.handle)); }
  float(): Tensor { return this.to('float32'); }
  double(): Tensor { return this.to('float64'); }
  long(): Tensor { return this.to('int64'); }
  contiguous(): Tensor { return wrap(native.contiguous(this.handle)); }
  clone(): Tensor { return wrap(native.clone(this.handle)); }
  detach(): Tensor { return wrap(native.detach(this.handle)); }

  // ---- elementwise ----
  add(o: TensorOrScalar, alpha?: number): Tensor { return wrap(native.add(this.handle, h(o), alpha)); }
  sub(o: TensorOrScalar, alpha?: number): Tensor { return wrap(native.sub(this.handle, h(o), alpha)); }
  /** `o - this` for a scalar o. */
  rsub(o: number): Tensor { return wrap(native.rsub(this.handle, o)); }
  mul(o: TensorOrScalar): Tensor { return wrap(native.mul(this.handle, h(o))); }
  div(o: TensorOrScalar): Tensor { return wrap(native.div(this.handle, h(o))); }
  pow(o: TensorOrScalar): Tensor { return wrap(native.pow(this.handle, h(o))); }
  remainder(o: TensorOrScalar): Tensor { return wrap(native.remainder(this.handle, h(o))); }
  maximum(o: Tensor): Tensor { return wrap(native.maximum(this.handle, o.handle)); }
  minimum(o: Tensor): Tensor { return wrap(native.minimum(this.handle, o.handle)); }
  eq(o: TensorOrScalar): Tensor { return wrap(native.eq(this.handle, h(o))); }
  ne(o: TensorOrScalar): Tensor { return wrap(native.ne(this.handle, h(o))); }
  lt(o: TensorOrScalar): Tensor { return wrap(native.lt(this.handle, h(o))); }
  le(o: TensorOrScalar): Tensor { return wrap(native.le(this.handle, h(o))); }
  gt(o: TensorOrScalar): Tensor { return wrap(native.gt(this.handle, h(o))); }
  ge(o: TensorOrScalar): Tensor { return wrap(native.ge(this.handle, h(o))); }
  logicalAnd(o: Tensor): Tensor { return wrap(native.logicalAnd(this.handle, o.handle)); }
  logicalOr(o: Tensor): Tensor { return wrap(native.logicalOr(this.handle, o.handle)); }
  logicalNot(): Tensor { return wrap(native.logicalNot(this.handle)); }
  clamp(min?: number | null, max?: number | null): Tensor { return wrap(native.clamp(this.handle, min, max)); }
  clampMin(min: number): Tensor { return this.clamp(min, null); }
  neg(): Tensor { return wrap(native.neg(this.handle)); }
  exp(): Tensor { return wrap(native.exp(this.handle)); }
  log(): Tensor { return wrap(native.log(this.handle)); }
  log1p(): Tensor { return wrap(native.log1p(this.handle)); }
  sqrt(): Tensor { return wrap(native.sqrt(this.handle)); }
  rsqrt(): Tensor { return wrap(native.rsqrt(this.handle)); }
  abs(): Tensor { return wrap(native.abs(this.handle)); }
  sigmoid(): Tensor { return wrap(native.sigmoid(this.handle)); }
  tanh(): Tensor { return wrap(native.tanh(this.handle)); }
  sin(): Tensor { return wrap(native.sin(this.handle)); }
  cos(): Tensor { return wrap(native.cos(this.handle)); }
  floor(): Tensor { return wrap(native.floor(this.handle)); }
  ceil(): Tensor { return wrap(native.ceil(this.handle)); }
  round(): Tensor { return wrap(native.round(this.handle)); }
  sign(): Tensor { return wrap(native.sign(this.handle)); }
  reciprocal(): Tensor { return wrap(native.reciprocal(this.handle)); }
  square(): Tensor { return wrap(native.square(this.handle)); }
  erf(): Tensor { return wrap(native.erf(this.handle)); }
  relu(): Tensor { return wrap(native.relu(this.handle)); }
  isfinite(): Tensor { return wrap(native.isfinite(this.handle)); }
  isnan(): Tensor { return wrap(native.isnan(this.handle)); }

  // ---- reductions (dims omitted: all dimensions) ----
  sum(dims?: number | number[], keepdim = false): Tensor { return wrap(native.sum(this.handle, dims, keepdim)); }
  mean(dims?: number | number[], keepdim = false): Tensor { return wrap(native.mean(this.handle, dims, keepdim)); }
  prod(): Tensor { return wrap(native.prod(this.handle)); }
  amax(dims?: number | number[], keepdim = false): Tensor { return wrap(native.amax(this.handle, dims ?? [], keepdim)); }
  amin(dims?: number | number[], keepdim = false): Tensor { return wrap(native.amin(this.handle, dims ?? [], keepdim)); }
  /** Maximum along `dim` with the indices where it occurs. */
  maxDim(dim: number, keepdim = false): { values: Tensor; indices: Tensor } {
    const [v, i] = native.maxDim(this.handle, dim, keepdim);
    return { values: wrap(v), indices: wrap(i) };
  }
  minDim(dim: number, keepdim = false): { values: Tensor; indices: Tensor } {
    const [v, i] = native.minDim(this.handle, dim, keepdim);
    return { values: wrap(v), indices: wrap(i) };
  }
  argmax(dim?: number, keepdim = false): Tensor { return wrap(native.argmax(this.handle, dim, keepdim)); }
  argmin(dim?: number, keepdim = false): Tensor { return wrap(native.argmin(this.handle, dim, keepdim)); }
  var(dims?: number | number[], opts: { unbiased?: boolean; keepdim?: boolean } = {}): Tensor {
    return wrap(native.var(this.handle, dims, opts.unbiased ?? true, opts.keepdim ?? false));
  }
  std(dims?: number | number[], opts: { unbiased?: boolean; keepdim?: boolean } = {}): Tensor {
    return wrap(native.std(this.handle, dims, opts.unbiased ?? true, opts.keepdim ?? false));
  }
  norm(p = 2, dims?: number | number[], keepdim = false): Tensor { return wrap(native.norm(this.handle, p, dims, keepdim)); }
  logsumexp(dims: number | number[], keepdim = false): Tensor { return wrap(native.logsumexp(this.handle, dims, keepdim)); }
  cumsum(dim: number): Tensor { return wrap(native.cumsum(this.handle, dim)); }
  topk(k: number, dim = -1, largest = true): { values: Tensor; indices: Tensor } {
    const [v, i] = native.topk(this.handle, k, dim, largest);
    return { values: wrap(v), indices: wrap(i) };
  }
  sort(dim = -1, descending = false): { values: Tensor; indices: Tensor } {
    const [v, i] = native.sort(this.handle, dim, descending);
    return { values: wrap(v), indices: wrap(i) };
  }
  any(): Tensor { return wrap(native.any(this.handle)); }
  all(): Tensor { return wrap(native.all(this.handle)); }
  matmul(o: Tensor): Tensor { return wrap(native.matmul(this.handle, o.handle)); }
  mm(o: Tensor): Tensor { return wrap(native.mm(this.handle, o.handle)); }
  bmm(o: Tensor): Tensor { return wrap(native.bmm(this.handle, o.handle)); }
  /** Transpose of a 2-D tensor. */
  t(): Tensor { return this.transpose(0, 1); }

  // ---- shape ----
  reshape(shape: Shape): Tensor { return wrap(native.reshape(this.handle, shape)); }
  view(shape: Shape): Tensor { return wrap(native.view(this.handle, shape)); }
  permute(dims: Shape): Tensor { return wrap(native.permute(this.handle, dims)); }
  transpose(d0: number, d1: number): Tensor { return wrap(native.transpose(this.handle, d0, d1)); }
  narrow(dim: number, start: number, length: number): Tensor { return wrap(native.narrow(this.handle, dim, start, length)); }
  /** Elements start..end (exclusive) along dim, every `step`-th. */
  slice(dim: number, start: number, end: number, step = 1): Tensor { return wrap(native.slice(this.handle, dim, start, end, step)); }
  /** A view of the diagonal of dims dim1 and dim2 (offset > 0: above it), as torch.diagonal. */
  diagonal(offset = 0, dim1 = 0, dim2 = 1): Tensor { return wrap(native.diagonal(this.handle, offset, dim1, dim2)); }
  select(dim: number, index: number): Tensor { return wrap(native.select(this.handle, dim, index)); }
  indexSelect(dim: number, index: Tensor): Tensor { return wrap(native.indexSelect(this.handle, dim, index.handle)); }
  gather(dim: number, index: Tensor): Tensor { return wrap(native.gather(this.handle, dim, index.handle)); }
  scatter(dim: number, index: Tensor, src: Tensor): Tensor { return wrap(native.scatter(this.handle, dim, index.handle, src.handle)); }
  maskedFill(mask: Tensor, value: number): Tensor { return wrap(native.maskedFill(this.handle, mask.handle, value)); }
  maskedSelect(mask: Tensor): Tensor { return wrap(native.maskedSelect(this.handle, mask.handle)); }
  split(size: number, dim = 0): Tensor[] { return native.split(this.handle, size, dim).map((x) => wrap(x)); }
  chunk(chunks: number, dim = 0): Tensor[] { return native.chunk(this.handle, chunks, dim).map((x) => wrap(x)); }
  flip(dims: number | number[]): Tensor { return wrap(native.flip(this.handle, dims)); }
  roll(shifts: number | number[], dims: number | number[]): Tensor { return wrap(native.roll(this.handle, shifts, dims)); }
  expand(shape: Shape): Tensor { return wrap(native.expand(this.handle, shape)); }
  expandAs(o: Tensor): Tensor { return this.expand(o.shape); }
  repeat(reps: Shape): Tensor { return wrap(native.repeat(this.handle, reps)); }
  squeeze(dim?: number): Tensor { return wrap(native.squeeze(this.handle, dim)); }
  unsqueeze(dim: number): Tensor { return wrap(native.unsqueeze(this.handle, dim)); }
  flatten(start = 0, end = -1): Tensor { return wrap(native.flatten(this.handle, start, end)); }
  tril(k = 0): Tensor { return wrap(native.tril(this.handle, k)); }
  triu(k = 0): Tensor { return wrap(native.triu(this.handle, k)); }

  // ---- in place (return this) ----
  add_(o: TensorOrScalar, alpha?: number): this { native.add_(this.handle, h(o), alpha); return this; }
  sub_(o: TensorOrScalar, alpha?: number): this { native.sub_(this.handle, h(o), alpha); return this; }
  mul_(o: TensorOrScalar): this { native.mul_(this.handle, h(o)); return this; }
  div_(o: TensorOrScalar): this { native.div_(this.handle, h(o)); return this; }
  addcmul_(a: Tensor, b: Tensor, value = 1): this { native.addcmul_(this.handle, a.handle, b.handle, value); return this; }
  addcdiv_(a: Tensor, b: Tensor, value = 1): this { native.addcdiv_(this.handle, a.handle, b.handle, value); return this; }
  lerp_(end: Tensor, weight: number): this { native.lerp_(this.handle, end.handle, weight); return this; }
  copy_(src: Tensor): this { native.copy_(this.handle, src.handle); return this; }
  zero_(): this { native.zero_(this.handle); return this; }
  fill_(v: number): this { native.fill_(this.handle, v); return this; }
  clamp_(min?: number | null, max?: number | null): this { native.clamp_(this.handle, min, max); return this; }
  uniform_(lo = 0, hi = 1): this { native.uniform_(this.handle, lo, hi); return this; }
  normal_(mean = 0, std = 1): this { native.normal_(this.handle, mean, std); return this; }
  relu_(): this { native.relu_(this.handle); return this; }
  /** this = relu(this + x) in one pass: the same values as add_(x).relu_(). */
  addRelu_(x: Tensor): this { native.addRelu_(this.handle, x.handle); return this; }
  sqrt_(): this { native.sqrt_(this.handle); return this; }

  // ---- autograd ----
  get requiresGrad(): boolean { return native.requiresGrad(this.handle); }
  requiresGrad_(v = true): this { native.setRequiresGrad(this.handle, v); return this; }
  get isLeaf(): boolean { return native.isLeaf(this.handle); }
  /** The accumulated gradient (a new handle sharing its storage), or null. */
  get grad(): Tensor | null {
    const g = native.grad(this.handle);
    return g === null ? null : wrap(g);
  }
  set grad(g: Tensor | null) { native.setGrad(this.handle, g?.handle ?? null); }
  /** Back-propagates from this tensor (a scalar unless `gradient` is given). */
  backward(gradient?: Tensor, opts: { retainGraph?: boolean } = {}): void {
    native.backward(this.handle, gradient?.handle ?? null, opts.retainGraph ?? false);
  }
  retainGrad(): this { native.retainGrad(this.handle); return this; }

  toString(): string {
    return this.isDisposed ? 'Tensor(disposed)' : `Tensor(shape=[${this.shape.join(', ')}], dtype=${this.dtype}, device=${this.device})`;
  }
}

/** Wraps a native handle as a tracked Tensor. */
export function wrap(handle: Handle): Tensor {
  return new Tensor(handle);
}
