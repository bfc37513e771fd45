/**
 * The spatial augmentation written with batched libtorch ops: the reference that the native,
 * fused augmentation (augmentClipAsync, native/augment.cc) is checked against.
 */
import { Tensor } from '../../src/torch/tensor.js';
import { tidy } from '../../src/torch/scope.js';
import { cat } from '../../src/torch/creation.js';
import * as F from '../../src/torch/functional.js';
import { type AugmentConfig, type ClipParams } from '../../src/video/augment-params.js';
import { normalizeClip, KINETICS_NORM, type Normalization } from '../../src/video/augment.js';
import { adjustBrightness, adjustContrast, adjustSaturation, adjustHue, grayscale, gaussianBlur, solarize } from './color.js';

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
