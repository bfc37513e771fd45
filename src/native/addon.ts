/**
 * Loads the compiled libtorch addon and describes its functions. This is the only module that
 * touches `build/Release/cvrl_native.node` (under the package root, wherever it is installed); everything above it goes through src/torch/.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { packageRoot } from '../util/package-root.js';
import { type NativeDistributed } from './distributed-api.js';
import { type NativeVideo } from './video-api.js';

/** Opaque handle to one native tensor reference. */
export interface Handle {
  readonly __nativeTensor: unique symbol;
}
type H = Handle;
type N = H | number;
type Ints = number | readonly number[];
type Opt<T> = T | null | undefined;

export interface NativeInfo {
  libtorchVersion: string;
  threads: number;
  interopThreads: number;
  cudaAvailable: boolean;
  cudaDeviceCount: number;
  cudaCompiled: boolean;
  mkldnn: boolean; openmp: boolean; addonOpenmp: boolean; mkl: boolean; cxx11Abi: boolean;
  /** 3-D convolutions and batch norms run channels-last through oneDNN (native/onednn.h; CVRL_ONEDNN=0 turns it off). */
  oneDnnLayers: boolean;
  /** This CPU has bfloat16 convolutions (oneDNN's, from AVX-512 on; none for AVX2). */
  bf16Convolutions: boolean;
  buildConfig: string;
  parallelInfo: string;
}

export type { GroupHandle } from './distributed-api.js';
export type { NativeProbe, NativeDecodeOptions, NativeVideoLimits, NativeDecodeResult, NativeEncodeOptions } from './video-api.js';

export interface NativeAddon extends NativeDistributed, NativeVideo {
  // creation
  zeros(shape: Ints, dtype?: string, device?: string): H;
  ones(shape: Ints, dtype?: string, device?: string): H;
  empty(shape: Ints, dtype?: string, device?: string): H;
  full(shape: Ints, value: number, dtype?: string, device?: string): H;
  randn(shape: Ints, dtype?: string, device?: string): H;
  rand(shape: Ints, dtype?: string, device?: string): H;
  randint(low: number, high: number, shape: Ints, dtype?: string, device?: string): H;
  randperm(n: number, dtype?: string, device?: string): H;
  arange(start: number, end: number, step: number, dtype?: string, device?: string): H;
  linspace(start: number, end: number, steps: number, dtype?: string, device?: string): H;
  eye(n: number, dtype?: string, device?: string): H;
  zerosLike(t: H): H;
  onesLike(t: H): H;
  randnLike(t: H): H;
  randLike(t: H): H;
  fullLike(t: H, v: number): H;
  scalarTensor(v: number, dtype?: string, device?: string): H;
  fromBuffer(data: ArrayBufferView | ArrayBuffer, shape: Ints, dtype: string): H;
  toBuffer(t: H): ArrayBuffer;
  // math
  add(a: H, b: N, alpha?: number): H;
  sub(a: H, b: N, alpha?: number): H;
  rsub(a: H, b: number): H;
  mul(a: H, b: N): H;
  div(a: H, b: N): H;
  pow(a: H, b: N): H;
  remainder(a: H, b: N): H;
  eq(a: H, b: N): H;
  ne(a: H, b: N): H;
  lt(a: H, b: N): H;
  le(a: H, b: N): H;
  gt(a: H, b: N): H;
  ge(a: H, b: N): H;
  maximum(a: H, b: H): H;
  minimum(a: H, b: H): H;
  where(c: H, a: H, b: H): H;
  logicalAnd(a: H, b: H): H;
  logicalOr(a: H, b: H): H;
  logicalNot(a: H): H;
  clamp(a: H, min: Opt<number>, max: Opt<number>): H;
  neg(a: H): H; exp(a: H): H; log(a: H): H; log1p(a: H): H; sqrt(a: H): H; rsqrt(a: H): H;
  abs(a: H): H; sigmoid(a: H): H; tanh(a: H): H; sin(a: H): H; cos(a: H): H; floor(a: H): H;
  ceil(a: H): H; round(a: H): H; sign(a: H): H; reciprocal(a: H): H; square(a: H): H; erf(a: H): H;
  isfinite(a: H): H; isnan(a: H): H;
  sum(a: H, dims?: Opt<Ints>, keepdim?: boolean): H;
  mean(a: H, dims?: Opt<Ints>, keepdim?: boolean): H;
  prod(a: H): H;
  amax(a: H, dims: Opt<Ints>, keepdim?: boolean): H;
  amin(a: H, dims: Opt<Ints>, keepdim?: boolean): H;
  maxDim(a: H, dim: number, keepdim?: boolean): [H, H];
  minDim(a: H, dim: number, keepdim?: boolean): [H, H];
  argmax(a: H, dim?: Opt<number>, keepdim?: boolean): H;
  argmin(a: H, dim?: Opt<number>, keepdim?: boolean): H;
  var(a: H, dims: Opt<Ints>, unbiased: boolean, keepdim?: boolean): H;
  std(a: H, dims: Opt<Ints>, unbiased: boolean, keepdim?: boolean): H;
  norm(a: H, p: number, dims?: Opt<Ints>, keepdim?: boolean): H;
  logsumexp(a: H, dims: Ints, keepdim?: boolean): H;
  cumsum(a: H, dim: number): H;
  topk(a: H, k: number, dim: number, largest: boolean): [H, H];
  sort(a: H, dim: number, descending: boolean): [H, H];
  any(a: H): H;
  all(a: H): H;
  matmul(a: H, b: H): H;
  mm(a: H, b: H): H;
  bmm(a: H, b: H): H;
  einsum(eq: string, ts: H[]): H;
  add_(a: H, b: N, alpha?: number): void;
  sub_(a: H, b: N, alpha?: number): void;
  mul_(a: H, b: N): void;
  div_(a: H, b: N): void;
  addcmul_(a: H, b: H, c: H, value: number): void;
  addcdiv_(a: H, b: H, c: H, value: number): void;
  lerp_(a: H, b: H, w: number): void;
  copy_(a: H, b: H): void;
  zero_(a: H): void;
  fill_(a: H, v: number): void;
  clamp_(a: H, min: Opt<number>, max: Opt<number>): void;
  uniform_(a: H, lo: number, hi: number): void;
  normal_(a: H, mean: number, std: number): void;
  sqrt_(a: H): void;
  // shape
  reshape(a: H, shape: Ints): H;
  view(a: H, shape: Ints): H;
  permute(a: H, dims: Ints): H;
  transpose(a: H, d0: number, d1: number): H;
  narrow(a: H, dim: number, start: number, length: number): H;
  slice(a: H, dim: number, start: number, end: number, step?: number): H;
  diagonal(a: H, offset: number, dim1: number, dim2: number): H;
  select(a: H, dim: number, index: number): H;
  indexSelect(a: H, dim: number, index: H): H;
  gather(a: H, dim: number, index: H): H;
  scatter(a: H, dim: number, index: H, src: H): H;
  maskedFill(a: H, mask: H, v: number): H;
  maskedSelect(a: H, mask: H): H;
  cat(ts: H[], dim: number): H;
  stack(ts: H[], dim: number): H;
  stackSerial(ts: H[]): H; // CPU, one shape: along a new dim 0 with plain copies on this thread
  split(a: H, size: number, dim: number): H[];
  chunk(a: H, chunks: number, dim: number): H[];
  flip(a: H, dims: Ints): H;
  roll(a: H, shifts: Ints, dims: Ints): H;
  expand(a: H, shape: Ints): H;
  repeat(a: H, reps: Ints): H;
  squeeze(a: H, dim?: Opt<number>): H;
  unsqueeze(a: H, dim: number): H;
  flatten(a: H, start: number, end: number): H;
  pad(a: H, pads: Ints, value?: number): H;
  tril(a: H, k?: number): H;
  triu(a: H, k?: number): H;
  oneHot(a: H, n: number): H;
  contiguous(a: H): H;
  clone(a: H): H;
  detach(a: H): H;
  toDtype(a: H, dtype: string): H;
  toDevice(a: H, device: string, nonBlocking?: boolean): H;
  cudaSynchronize(): void;
  quickExit(code: number): never; // at once: C stdio flushed, no static destructors
  pinMemory(a: H): H; // a copy in page-locked memory, for non-blocking copies to a GPU (needs CUDA)
  // nn
  conv3d(x: H, w: H, b: Opt<H>, stride: Ints, padding: Ints, dilation: Ints, groups: number): H;
  conv2d(x: H, w: H, b: Opt<H>, stride: Ints, padding: Ints, dilation: Ints, groups: number): H;
  conv1d(x: H, w: H, b: Opt<H>, stride: Ints, padding: Ints, dilation: Ints, groups: number): H;
  linear(x: H, w: H, b: Opt<H>): H;
  batchNorm(x: H, w: Opt<H>, b: Opt<H>, rm: Opt<H>, rv: Opt<H>, training: boolean, momentum: number, eps: number, relu: boolean): H;
  layerNorm(x: H, shape: Ints, w: Opt<H>, b: Opt<H>, eps: number): H;
  groupNorm(x: H, groups: number, w: Opt<H>, b: Opt<H>, eps: number): H;
  relu(x: H): H;
  relu_(x: H): void;
  addRelu_(y: H, x: H): void;
  gelu(x: H): H;
  leakyRelu(x: H, slope: number): H;
  maxPool3d(x: H, k: Ints, s: Ints, p: Ints, d: Ints, ceil: boolean): H;
  maxPool2d(x: H, k: Ints, s: Ints, p: Ints, d: Ints, ceil: boolean): H;
  avgPool3d(x: H, k: Ints, s: Ints, p: Ints, ceil: boolean, countIncludePad: boolean): H;
  avgPool2d(x: H, k: Ints, s: Ints, p: Ints, ceil: boolean, countIncludePad: boolean): H;
  adaptiveAvgPool3d(x: H, out: Ints): H;
  adaptiveAvgPool2d(x: H, out: Ints): H;
  dropout(x: H, p: number, train: boolean): H;
  softmax(x: H, dim: number): H;
  logSoftmax(x: H, dim: number): H;
  interpolate(x: H, size: Ints, mode: string, alignCorners: boolean): H;
  gridSample(x: H, grid: H, mode: string, padding: string, alignCorners: boolean): H;
  /** Aligned frame differences of float32 CPU clips that need no gradient (shifts: float [pairs * 2]). */
  shiftedDifferences(x: H, shifts: H): H;
  /** The shift search's costs [pairs, (2r + 1)^2] on CPU clips, pooled by `pool`. */
  shiftCosts(x: H, pool: number, radius: number): H;
  /** Pseudo-motion's sampling grid [frames, h, w, 2] from float64 affines [frames, 6], boxes [clips, 4] and the still affine [6]. */
  pseudoMotionGrid(affines: H, boxes: H, still: H, h: number, w: number): H;
  roiAlign(x: H, boxes: H, outputSize: Ints, spatialScale: number, samplingRatio: number, aligned: boolean): H;
  crossEntropy(x: H, t: H, w: Opt<H>, reduction: string, ignoreIndex: number, labelSmoothing: number): H;
  nllLoss(x: H, t: H, w: Opt<H>, reduction: string, ignoreIndex: number): H;
  mseLoss(x: H, t: H, reduction: string): H;
  smoothL1Loss(x: H, t: H, reduction: string, beta: number): H;
  bceWithLogits(x: H, t: H, w: Opt<H>, posWeight: Opt<H>, reduction: string): H;
  // autograd
  requiresGrad(a: H): boolean;
  setRequiresGrad(a: H, v: boolean): void;
  isLeaf(a: H): boolean;
  backward(a: H, grad?: Opt<H>, retainGraph?: boolean): void;
  grad(a: H): H | null;
  setGrad(a: H, g: Opt<H>): void;
  retainGrad(a: H): void;
  setGradEnabled(v: boolean): boolean;
  isGradEnabled(): boolean;
  setAutocast(enabled: boolean, dtype?: string): boolean;
  /** Opens (true) or closes (false) an autocast region; returns how many stay open. */
  autocastNesting(enter: boolean): number;
  // optimisers: a group's updates in one call (native/optim_steps.cc)
  sgdStep(params: H[], grads: H[], momentumBuffers: H[], lr: number, momentum: number, dampening: number, weightDecay: number, nesterov: boolean): void;
  larsStep(params: H[], grads: H[], momentumBuffers: H[], adapt: number[], lr: number, momentum: number, weightDecay: number, trustCoefficient: number, eps: number, nesterov: boolean): void;
  // runtime
  info(): NativeInfo;
  dispose(a: H): void;
  item(a: H): number | boolean;
  liveTensors(): number;
  heldHostBytes(): number;
  /** What V8 has been told of heldHostBytes (native/tensor_wrap.cc: rises at once, falls past a slack). */
  externalBytesTold(): number;
  /** Convolutions run as stride-1 ones over 2x2 pixel blocks (native/conv_space_to_depth.cc) so far. */
  foldedConvolutions(): number;
  /** Float32 products run through oneDNN's matmul (native/onednn_matmul.cc) so far. */
  oneDnnMatmuls(): number;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  manualSeed(seed: number): void;
  getRngState(): H;
  setRngState(s: H): void;
  shape(a: H): number[];
  dtype(a: H): string;
  device(a: H): string;
  isContiguous(a: H): boolean;
  dataPtrEqual(a: H, b: H): boolean;
}

/** The addon the package's install script built (or copied, see scripts/build-native.mjs). */
function findAddon(): string {
  const file = join(packageRoot(), 'build', 'Release', 'cvrl_native.node');
  if (existsSync(file)) return file;
  throw new Error(`cvrl native addon not found (${file}). It is built when cvrl installs: install the Debian packages `
    + 'libtorch-dev libavformat-dev libavcodec-dev libswscale-dev libavutil-dev pkg-config g++ make python3, then run '
    + '`npm rebuild cvrl` (in a checkout of cvrl: `npm run build:native`)');
}

// Debian's libtorch calls OpenBLAS (pthreads build) for float matrix products, whose worker threads
// spin on sched_yield for about 2^28 cycles after every call: on a few cores they took CPU from the
// training step's own threads and the loader all step long. 2^4 cycles puts them to sleep at once
// (read when the library loads, so set before the addon is; a value the user set is kept).
process.env.OPENBLAS_THREAD_TIMEOUT ??= '4';

/** The loaded addon (one per process or worker thread). */
export const native: NativeAddon = createRequire(import.meta.url)(findAddon()) as NativeAddon;

// A CUDA libtorch's autograd device threads and cuDNN/cuBLAS handle pools can crash in static
// destructors at exit, after the CUDA driver has shut down (pytorch#35736, #36408): once JS is done,
// the main thread ends the process without them. CVRL_FULL_EXIT=1 keeps the normal exit;
// CVRL_QUICK_EXIT=1 asks for the quick one on any build.
if (isMainThread && (native.info().cudaCompiled || process.env.CVRL_QUICK_EXIT === '1') && !process.env.CVRL_FULL_EXIT) {
  process.on('exit', (code) => native.quickExit(code));
}
