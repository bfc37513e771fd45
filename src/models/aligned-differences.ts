/**
 * Frame differences with the dominant motion removed: each pair of consecutive frames is aligned by
 * the global translation that best explains it (least squares over the whole frame) before
 * differencing. The dominant motion is usually the camera's (compensated as in Wang & Schmid's
 * improved dense trajectories): with plain differences a shaking or panning camera lights up every
 * background edge. Where a moving object dominates a frame without texture, it is the object's
 * translation that is removed, and its change of shape, size or visibility that remains.
 *
 * The shift is searched on grayscale frames average-pooled to about SEARCH_SIDE pixels, over
 * integers within SEARCH_RADIUS pooled pixels (mean squared difference over the frame's interior),
 * refined to sub-pixel precision by a parabola through the best shift's neighbours, and applied at
 * full resolution by bilinear sampling with edge pixels repeated. Only translation is compensated:
 * a camera's rotation or zoom stays in the differences.
 */
import { Tensor, wrap } from '../torch/tensor.js';
import { native } from '../native/addon.js';
import { fromTypedArray, stack, zerosLike } from '../torch/creation.js';
import * as F from '../torch/functional.js';
import { noGrad } from '../torch/autograd.js';
import { tidy } from '../torch/scope.js';

/** The shift search's frame side after pooling, and its radius there (the ONNX export builds the same search). */
export const SEARCH_SIDE = 24;
export const SEARCH_RADIUS = 2;

/**
 * x [B, C, T, H, W] -> [B, C, T, H, W]: frame t+1 minus frame t shifted onto it, the last frame
 * zero (as frameDifferences). Shifts are estimated without gradient; the difference is
 * differentiable in x.
 */
export function alignedFrameDifferences(x: Tensor): Tensor {
  if (x.ndim !== 5) throw new RangeError(`expected clips [B, C, T, H, W], got [${x.shape.join(', ')}]`);
  if (x.size(2) < 2) return zerosLike(x);
  return shiftedDifferences(x, noGrad(() => estimateShifts(x)));
}

/** Frame t+1 minus frame t read at p + shift (bilinear, edges repeated); shifts as estimateShifts gives them. */
export function shiftedDifferences(x: Tensor, shifts: Float32Array): Tensor {
  const [b, c, t, h, w] = x.shape;
  const pairs = b * (t - 1);
  if (shifts.length !== pairs * 2) throw new RangeError(`need ${pairs} shifts (x, y), got ${shifts.length / 2}`);
  if (!x.requiresGrad && x.device === 'cpu' && x.dtype === 'float32') {
    // Training clips need no gradient: one native pass instead of the copies and grid below.
    return tidy(() => wrap(native.shiftedDifferences(x.handle, fromTypedArray(shifts).handle)));
  }
  return tidy(() => {
    const frames = (start: number) => x.narrow(2, start, t - 1).permute([0, 2, 1, 3, 4]).reshape([pairs, c, h, w]);
    const grid = shiftGrid(shifts, pairs, h, w, x.device).to(x.dtype);
    const moved = F.gridSample(frames(0), grid, { paddingMode: 'border' });
    const diff = frames(1).sub(moved).reshape([b, t - 1, c, h, w]).permute([0, 2, 1, 3, 4]);
    return F.pad(diff, [0, 0, 0, 0, 0, 1]);
  });
}

/**
 * Per pair of consecutive frames of x [B, C, T, H, W] the shift (dx, dy) in pixels such that frame
 * t+1 at p matches frame t at p + (dx, dy): [pairs * 2], pairs in (clip, time) order.
 */
export function estimateShifts(x: Tensor): Float32Array {
  const [b, , t, fullH, fullW] = x.shape;
  const pairs = b * Math.max(0, t - 1);
  const out = new Float32Array(pairs * 2);
  const pool = Math.max(1, Math.floor(Math.min(fullH, fullW) / SEARCH_SIDE));
  const h = Math.floor(fullH / pool), w = Math.floor(fullW / pool);
  const r = Math.min(SEARCH_RADIUS, Math.floor((Math.min(h, w) - 1) / 4));
  if (r <= 0 || t < 2) return out;
  const side = 2 * r + 1;
  const costs = x.device === 'cpu' ? wrap(native.shiftCosts(x.handle, pool, r)) : shiftCostsByOps(x, pool, r);
  const cost = costs.toTypedArray() as Float32Array;
  costs.dispose();
  for (let p = 0; p < pairs; p++) {
    const row = cost.subarray(p * side * side, (p + 1) * side * side);
    let best = 0;
    for (let s = 1; s < row.length; s++) if (row[s] < row[best]) best = s;
    const iy = Math.floor(best / side), ix = best % side;
    const at = (jx: number, jy: number) => row[jy * side + jx];
    out[p * 2] = pool * (ix - r + (ix > 0 && ix < side - 1 ? parabolaVertex(at(ix - 1, iy), at(ix, iy), at(ix + 1, iy)) : 0));
    out[p * 2 + 1] = pool * (iy - r + (iy > 0 && iy < side - 1 ? parabolaVertex(at(ix, iy - 1), at(ix, iy), at(ix, iy + 1)) : 0));
  }
  return out;
}

/** The shift search's costs [pairs, (2r + 1)^2] by tensor ops (any device; on CPU the native shiftCosts computes the same). */
export function shiftCostsByOps(x: Tensor, pool: number, r: number): Tensor {
  const [, , t, fullH, fullW] = x.shape;
  const h = Math.floor(fullH / pool), w = Math.floor(fullW / pool), side = 2 * r + 1, pairs = x.size(0) * (t - 1);
  return tidy(() => {
    const mono = x.float().mean(1); // [B, T, H, W]
    const gray = pool > 1 ? F.avgPool2d(mono, pool) : mono;
    const prev = gray.narrow(1, 0, t - 1), next = gray.narrow(1, 1, t - 1);
    const inner = next.narrow(2, r, h - 2 * r).narrow(3, r, w - 2 * r);
    const all: Tensor[] = [];
    for (let dy = -r; dy <= r; dy++) {
      const rows = prev.narrow(2, r + dy, h - 2 * r);
      for (let dx = -r; dx <= r; dx++) all.push(inner.sub(rows.narrow(3, r + dx, w - 2 * r)).square().mean([2, 3]));
    }
    return stack(all, 2).reshape([pairs, side * side]).contiguous(); // shift index (dy + r) * side + (dx + r)
  });
}

/** The offset in [-0.5, 0.5] of the minimum of the parabola through (-1, a), (0, b), (1, c). */
function parabolaVertex(a: number, b: number, c: number): number {
  const curvature = a - 2 * b + c;
  if (!(curvature > 0)) return 0;
  return Math.max(-0.5, Math.min(0.5, (a - c) / (2 * curvature)));
}

/** grid_sample's grid [pairs, H, W, 2] (align_corners false) reading each pixel at p + shift. */
function shiftGrid(shifts: Float32Array, pairs: number, h: number, w: number, device: string): Tensor {
  const base = new Float32Array(h * w * 2);
  for (let yy = 0; yy < h; yy++) {
    for (let xx = 0; xx < w; xx++) {
      base[(yy * w + xx) * 2] = ((xx + 0.5) / w) * 2 - 1;
      base[(yy * w + xx) * 2 + 1] = ((yy + 0.5) / h) * 2 - 1;
    }
  }
  const scale = Float32Array.from({ length: pairs * 2 }, (_, i) => (shifts[i] * 2) / (i % 2 === 0 ? w : h));
  return tidy(() => fromTypedArray(base, [1, h, w, 2], { device }).add(fromTypedArray(scale, [pairs, 1, 1, 2], { device })));
}
