/**
 * Applies spatial augmentation parameters to decoded clips, natively on a worker thread (fused per
 * frame in C++, native/augment.cc). Input: uint8 frames [T, H, W, 3]; output: the model's float
 * clip [3, T, S, S], normalised.
 */
import { native } from '../native/addon.js';
import { Tensor, wrap } from '../torch/tensor.js';
import { tidy } from '../torch/scope.js';
import { cat, tensor } from '../torch/creation.js';
import { type AugmentConfig, type ClipParams, cropFlipConfig } from './augment-params.js';
import { settleAll } from '../util/settle-all.js';

export interface Normalization {
  mean: [number, number, number];
  std: [number, number, number];
}

/** PyTorchVideo's Kinetics statistics (the common choice for video SSL in PyTorch). */
export const KINETICS_NORM: Normalization = { mean: [0.45, 0.45, 0.45], std: [0.225, 0.225, 0.225] };

/**
 * uint8 [T, H, W, 3] -> float [T, 3, H, W] in [0, 1]. A product with 1/255 and, in normalizeClip,
 * with 1/std: what the native augmentation computes (a division per value costs more there), so
 * that these and the loader's views are the same bits.
 */
export function framesToUnit(frames: Tensor): Tensor {
  return frames.permute([0, 3, 1, 2]).float().mul(1 / 255);
}

/** [T, 3, S, S] in [0, 1] -> normalised [3, T, S, S]. */
export function normalizeClip(x: Tensor, n: Normalization = KINETICS_NORM): Tensor {
  const mean = tensor(n.mean).reshape([1, 3, 1, 1]);
  const invStd = tensor(n.std.map((s) => 1 / s)).reshape([1, 3, 1, 1]);
  return x.sub(mean).mul(invStd).permute([1, 0, 2, 3]).contiguous();
}

/** The native augmentation's arguments: one parameter set when all frames share it. */
function nativeArgs(frames: Tensor, params: ClipParams[], c: AugmentConfig, n: Normalization) {
  const T = frames.size(0);
  if (params.length !== T) throw new RangeError(`augment: ${params.length} parameter sets for ${T} frames`);
  const shared = params.every((p) => p === params[0]);
  return [shared ? [params[0]] : params, { size: c.size, blurKernel: Math.floor(c.size * c.blurKernelFraction), mean: n.mean, std: n.std }] as const;
}

/**
 * Augments one clip with per-frame parameters (all identical when the config is temporally
 * consistent) -> float [3, T, S, S]. The JS thread stays free and several clips are augmented in
 * parallel. Checked against a libtorch reference in the tests (test/helpers/augment-reference.ts).
 * `out` (float [3, T, S, S], contiguous, e.g. a row of a batch) receives the clip and is returned.
 */
export async function augmentClipAsync(frames: Tensor, params: ClipParams[], c: AugmentConfig, n: Normalization = KINETICS_NORM, out?: Tensor): Promise<Tensor> {
  return wrap(await native.augmentClip(frames.handle, ...nativeArgs(frames, params, c, n), out?.handle));
}

/** A clip's augmentation prepared ahead and run later with others (augmentClipsNow). */
export interface AugmentJob {
  frames: Tensor;
  params: ClipParams[];
  config: AugmentConfig;
  /** float [3, T, S, S], contiguous: where the clip goes. */
  out: Tensor;
}

/**
 * Runs the jobs now, on this thread and libtorch's intra-op threads (one clip per task), each into
 * its `out`: the same native code, so the same bits, as augmentClipAsync.
 */
export function augmentClipsNow(jobs: readonly AugmentJob[], n: Normalization = KINETICS_NORM): void {
  native.augmentClips(jobs.map((j) => [j.frames.handle, ...nativeArgs(j.frames, j.params, j.config, n), j.out.handle]));
}

/** Top-left corners of the evaluation crops of an h x w frame: the centre, or 3 along the longer side. */
function evalCropCorners(h: number, w: number, size: number, crops: 1 | 3): [number, number][] {
  if (h < size || w < size) throw new RangeError(`evalCrops: frames ${h}x${w} are smaller than the crop ${size}`);
  const alongWidth = w >= h;
  const span = (alongWidth ? w : h) - size;
  const offsets = crops === 1 ? [Math.floor(span / 2)] : [0, Math.floor(span / 2), span];
  const other = Math.floor(((alongWidth ? h : w) - size) / 2);
  return offsets.map((o) => (alongWidth ? [other, o] : [o, other]));
}

/**
 * Evaluation views of one clip (uint8 [T, H, W, 3], already resized so that the short side is at
 * least S): 1 centre crop or 3 crops along the longer side -> float [crops, 3, T, S, S].
 */
export function evalCrops(frames: Tensor, size: number, crops: 1 | 3, n: Normalization = KINETICS_NORM): Tensor {
  const [, h, w] = frames.shape;
  return tidy(() => {
    const views = evalCropCorners(h, w, size, crops).map(([top, left]) => {
      const x = framesToUnit(frames.narrow(1, top, size).narrow(2, left, size));
      return normalizeClip(x, n).unsqueeze(0);
    });
    return cat(views, 0);
  });
}

/**
 * evalCrops on worker threads, written into `out` (float [crops, 3, T, S, S], contiguous): the
 * native augmentation with an S x S crop and nothing else resamples nothing, so the values are the
 * same bits.
 */
export async function evalCropsAsync(frames: Tensor, size: number, crops: 1 | 3, n: Normalization, out: Tensor): Promise<void> {
  const [T, h, w] = frames.shape;
  const config = cropFlipConfig(size, { flipProb: 0 });
  const jobs = evalCropCorners(h, w, size, crops).map(([top, left], c) => {
    const p: ClipParams = { crop: { top, left, height: size, width: size }, flip: false, jitter: null, grayscale: false, blur: null, solarize: false };
    const dst = out.select(0, c);
    return augmentClipAsync(frames, Array.from({ length: T }, () => p), config, n, dst).finally(() => dst.dispose());
  });
  (await settleAll(jobs, (t) => t.dispose())).forEach((t) => t.dispose());
}
