/**
 * Clip transforms built from single frames, for learning motion rather than appearance: background
 * erasing (Wang et al., CVPR 2021: blend one still frame into every frame of a clip, so that what
 * is static stops identifying the clip) and static clips (one frame repeated: the same look with
 * no motion, a hard negative). Both act on batches of clips [B, C, T, H, W] and take their random
 * choices as arguments, so the caller's seeded generator decides them.
 */
import { Tensor } from '../torch/tensor.js';
import { stack, fromTypedArray } from '../torch/creation.js';
import { tidy } from '../torch/scope.js';
import { Rng } from './rng.js';

export interface StaticBlend {
  /** Per clip: the batch row the still frame comes from (itself for BE, another video to mix backgrounds). */
  source: number[];
  /** Per clip: the frame index of the still frame. */
  frame: number[];
  /** Per clip: the blend weight alpha in [0, 1); 0 leaves the clip unchanged. */
  alpha: number[];
}

function checkClips(x: Tensor): [number, number] {
  if (x.ndim !== 5) throw new RangeError(`expected clips [B, C, T, H, W], got [${x.shape.join(', ')}]`);
  return [x.size(0), x.size(2)];
}

/** The still frames [B, C, 1, H, W]: frame[b] of clip source[b]. */
function stills(x: Tensor, source: number[], frame: number[]): Tensor {
  const [b, t] = checkClips(x);
  if (source.length !== b || frame.length !== b) throw new RangeError(`need ${b} sources and frames, got ${source.length} and ${frame.length}`);
  return tidy(() => stack(source.map((s, i) => {
    if (!(Number.isInteger(s) && s >= 0 && s < b)) throw new RangeError(`source ${s} is not a batch row (0..${b - 1})`);
    if (!(Number.isInteger(frame[i]) && frame[i] >= 0 && frame[i] < t)) throw new RangeError(`frame ${frame[i]} is not in 0..${t - 1}`);
    return x.select(0, s).select(1, frame[i]);
  }), 0).unsqueeze(2));
}

/** Background erasing: x' = (1 - alpha) x + alpha * still, the same still in every frame of a clip. */
export function blendStaticFrame(x: Tensor, b: StaticBlend): Tensor {
  const [n] = checkClips(x);
  if (b.alpha.length !== n || b.alpha.some((a) => !(a >= 0 && a < 1))) throw new RangeError(`need ${n} blend weights in [0, 1)`);
  return tidy(() => {
    const a = fromTypedArray(Float32Array.from(b.alpha), [n, 1, 1, 1, 1], { device: x.device }).to(x.dtype);
    return x.mul(a.rsub(1)).add(stills(x, b.source, b.frame).mul(a));
  });
}

/** Static clips: frame[b] of clip b repeated over time, [B, C, T, H, W]. */
export function staticClips(x: Tensor, frame: number[]): Tensor {
  const [n, t] = checkClips(x);
  return tidy(() => stills(x, Array.from({ length: n }, (_, i) => i), frame).expand([-1, -1, t, -1, -1]).contiguous());
}

/**
 * Draws a blend for a batch: each clip is erased with probability `prob`, with alpha ~ U(0, maxAlpha)
 * and a uniformly chosen frame; `mix` takes the still from another video of the batch instead of
 * the clip's own (a random background).
 */
export function drawStaticBlend(batch: number, frames: number, o: { prob: number; maxAlpha: number; mix: boolean }, rng: Rng): StaticBlend {
  const source: number[] = [], frame: number[] = [], alpha: number[] = [];
  for (let i = 0; i < batch; i++) {
    const on = rng.bernoulli(o.prob);
    alpha.push(on ? rng.uniform(0, o.maxAlpha) : 0);
    frame.push(rng.int(frames));
    source.push(o.mix && batch > 1 ? (i + 1 + rng.int(batch - 1)) % batch : i);
  }
  return { source, frame, alpha };
}
