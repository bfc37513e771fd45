/**
 * Applies spatial augmentation parameters to decoded clips with batched libtorch ops (no per-pixel
 * JS). Input: uint8 frames [T, H, W, 3]; output: the model's float clip [3, T, S, S], normalised.
 */
import { native } from '../native/addon.js';
import { Tensor, wrap } from '../torch/tensor.js';
import { tidy } from '../torch/scope.js';
import { cat, tensor } from '../torch/creation.js';
import * as F from '../torch/functional.js';
import { type AugmentConfig, type ClipParams } from './augment-params.js';
import { adjustBrightness, adjustContrast, adjustSaturation, adjustHue, grayscale, gaussianBlur, solarize } from './color.js';

export interface Normalization {
  mean: [number, number, number];
  std: [number, number, number];
}

/** PyTorchVideo's Kinetics statistics (the common choice for video SSL in PyTorch). */
export const KINETICS_NORM: Normalization = { mean: [0.45, 0.45, 0.45], std: [0.225, 0.225, 0.225] };

/**
 * Runs one step in its own scope and frees the previous value at once: holding every intermediate
 * until the end would make each op write to fresh pages, which costs several times the op itself.
 */
function step(x: Tensor, f: (x: Tensor) => Tensor): Tensor {
  const y = tidy(() => f(x));
  x.dispose();
  return y;
}

/** Applies one parameter set to frames [N, H, W, 3] uint8 -> float [N, 3, S, S] in [0, 1]. */
function applyParams(frames: Tensor, p: ClipParams, c: AugmentConfig): Tensor {
  const { top, left, height, width } = p.crop;
  let x = tidy(() => {
    const crop = frames.narrow(1, top, height).narrow(2, left, width).permute([0, 3, 1, 2]).float();
    return F.interpolate(crop, [c.size, c.size], 'bilinear').div_(255).clamp_(0, 1);
  });
  if (p.flip) x = step(x, (v) => v.flip(3));
  if (p.jitter) {
    const j = p.jitter;
    for (const op of j.order) {
      if (op === 0) x = step(x, (v) => adjustBrightness(v, j.brightness));
      else if (op === 1) x = step(x, (v) => adjustContrast(v, j.contrast));
      else if (op === 2) x = step(x, (v) => adjustSaturation(v, j.saturation));
      else x = step(x, (v) => adjustHue(v, j.hue));
    }
  }
  if (p.grayscale) x = step(x, grayscale);
  if (p.blur !== null) x = step(x, (v) => gaussianBlur(v, p.blur!, Math.floor(c.size * c.blurKernelFraction)));
  if (p.solarize) x = step(x, solarize);
  return x;
}

/** [T, 3, S, S] in [0, 1] -> normalised [3, T, S, S]. */
export function normalizeClip(x: Tensor, n: Normalization = KINETICS_NORM): Tensor {
  const mean = tensor(n.mean).reshape([1, 3, 1, 1]);
  const std = tensor(n.std).reshape([1, 3, 1, 1]);
  return x.sub(mean).div(std).permute([1, 0, 2, 3]).contiguous();
}

/**
 * Augments one clip (uint8 [T, H, W, 3]) with per-frame parameters (all identical when the config
 * is temporally consistent, which is applied to the whole clip at once) -> float [3, T, S, S].
 */
export function augmentClip(frames: Tensor, params: ClipParams[], c: AugmentConfig, n: Normalization = KINETICS_NORM): Tensor {
  const T = frames.size(0);
  if (params.length !== T) throw new RangeError(`augmentClip: ${params.length} parameter sets for ${T} frames`);
  const shared = params.every((p) => p === params[0]);
  const x = shared ? applyParams(frames, params[0], c) : tidy(() => cat(params.map((p, t) => applyParams(frames.narrow(0, t, 1), p, c)), 0));
  return step(x, (v) => normalizeClip(v, n));
}

/**
 * The same augmentation run natively on a worker thread (fused per frame in C++, native/augment.cc,
 * about 3x faster): the JS thread stays free and several clips are augmented in parallel. Equal to
 * augmentClip within float rounding (tested to 1e-4).
 */
export async function augmentClipAsync(frames: Tensor, params: ClipParams[], c: AugmentConfig, n: Normalization = KINETICS_NORM): Promise<Tensor> {
  const T = frames.size(0);
  if (params.length !== T) throw new RangeError(`augmentClip: ${params.length} parameter sets for ${T} frames`);
  const shared = params.every((p) => p === params[0]);
  const h = await native.augmentClip(frames.handle, shared ? [params[0]] : params, {
    size: c.size, blurKernel: Math.floor(c.size * c.blurKernelFraction), mean: n.mean, std: n.std,
  });
  return wrap(h);
}

/**
 * Evaluation views of one clip (uint8 [T, H, W, 3], already resized so that the short side is at
 * least S): 1 centre crop or 3 crops along the longer side -> float [crops, 3, T, S, S].
 */
export function evalCrops(frames: Tensor, size: number, crops: 1 | 3, n: Normalization = KINETICS_NORM): Tensor {
  const [, h, w] = frames.shape;
  if (h < size || w < size) throw new RangeError(`evalCrops: frames ${h}x${w} are smaller than the crop ${size}`);
  return tidy(() => {
    const alongWidth = w >= h;
    const span = (alongWidth ? w : h) - size;
    const offsets = crops === 1 ? [Math.floor(span / 2)] : [0, Math.floor(span / 2), span];
    const other = Math.floor(((alongWidth ? h : w) - size) / 2);
    const views = offsets.map((o) => {
      const [top, left] = alongWidth ? [other, o] : [o, other];
      const x = frames.narrow(1, top, size).narrow(2, left, size).permute([0, 3, 1, 2]).float().div(255);
      return normalizeClip(x, n).unsqueeze(0);
    });
    return cat(views, 0);
  });
}
