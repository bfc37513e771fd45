/**
 * Colour ops on float RGB tensors [N, 3, H, W] in [0, 1] (torchvision's formulas), batched in libtorch:
 * the reference that the native augmentation (native/augment.cc) is checked against.
 */
import { Tensor } from '../../src/torch/tensor.js';
import { stack, einsum, arange, where, cat, tensor } from '../../src/torch/creation.js';
import * as F from '../../src/torch/functional.js';

/** ITU-R 601-2 luma with torchvision's coefficients, [N, 1, H, W]. */
export function luma(x: Tensor): Tensor {
  const [r, g, b] = x.chunk(3, 1);
  return r.mul(0.2989).add(g.mul(0.587)).add(b.mul(0.114));
}

export function adjustBrightness(x: Tensor, f: number): Tensor {
  return x.mul(f).clamp(0, 1);
}

/** Blends with the mean grey level of each image. */
export function adjustContrast(x: Tensor, f: number): Tensor {
  const m = luma(x).mean([1, 2, 3], true);
  return x.sub(m).mul(f).add(m).clamp(0, 1);
}

export function adjustSaturation(x: Tensor, f: number): Tensor {
  const g = luma(x);
  return x.sub(g).mul(f).add(g).clamp(0, 1);
}

export function grayscale(x: Tensor): Tensor {
  return luma(x).expand(x.shape).contiguous();
}

function rgbToHsv(x: Tensor): [Tensor, Tensor, Tensor] {
  const [r, g, b] = x.chunk(3, 1);
  const maxc = x.amax(1, true), minc = x.amin(1, true);
  const eq = maxc.eq(minc);
  const cr = maxc.sub(minc);
  const one = maxc.mul(0).add(1);
  const s = cr.div(where(eq, one, maxc));
  const crd = where(eq, one, cr);
  const rc = maxc.sub(r).div(crd), gc = maxc.sub(g).div(crd), bc = maxc.sub(b).div(crd);
  const isR = maxc.eq(r), isG = maxc.eq(g).logicalAnd(isR.logicalNot()), isB = isR.logicalOr(maxc.eq(g)).logicalNot();
  const h = isR.float().mul(bc.sub(gc)).add(isG.float().mul(rc.sub(bc).add(2))).add(isB.float().mul(gc.sub(rc).add(4)));
  return [h.div(6).add(1).remainder(1), s, maxc];
}

function hsvToRgb(h: Tensor, s: Tensor, v: Tensor): Tensor {
  const h6 = h.mul(6);
  const i = h6.floor();
  const f = h6.sub(i);
  const ii = i.remainder(6).long();
  const p = v.mul(s.rsub(1)).clamp(0, 1);
  const q = v.mul(s.mul(f).rsub(1)).clamp(0, 1);
  const t = v.mul(s.mul(f.rsub(1)).rsub(1)).clamp(0, 1);
  // mask [N, 6, H, W]: which of the six sectors each pixel is in.
  const mask = ii.eq(arange(6).reshape([1, 6, 1, 1])).float();
  const r = stack([v, q, p, p, t, v], 1).squeeze(2);
  const g = stack([t, v, v, q, p, p], 1).squeeze(2);
  const b = stack([p, p, t, v, v, q], 1).squeeze(2);
  return cat([r, g, b].map((c) => einsum('nkhw,nkhw->nhw', mask, c).unsqueeze(1)), 1);
}

/** Rotates hue by `delta` (a fraction of the full circle, in [-0.5, 0.5]). */
export function adjustHue(x: Tensor, delta: number): Tensor {
  const [h, s, v] = rgbToHsv(x);
  return hsvToRgb(h.add(delta).remainder(1), s, v);
}

/** Separable Gaussian blur with zero padding (as SimCLR's depthwise convolution); kernel side 2*floor(k/2)+1. */
export function gaussianBlur(x: Tensor, sigma: number, kernelSize: number): Tensor {
  const r = Math.floor(kernelSize / 2);
  if (r < 1) return x.clone();
  const w = Array.from({ length: 2 * r + 1 }, (_, k) => Math.exp(-((k - r) ** 2) / (2 * sigma * sigma)));
  const sum = w.reduce((a, b) => a + b, 0);
  const k1 = tensor(w.map((v) => v / sum), { dtype: x.dtype });
  const kh = k1.reshape([1, 1, 1, 2 * r + 1]).expand([3, 1, 1, 2 * r + 1]).contiguous();
  const kv = k1.reshape([1, 1, 2 * r + 1, 1]).expand([3, 1, 2 * r + 1, 1]).contiguous();
  return F.conv2d(F.conv2d(x, kh, null, { padding: [0, r], groups: 3 }), kv, null, { padding: [r, 0], groups: 3 });
}

export function solarize(x: Tensor, threshold = 0.5): Tensor {
  return where(x.lt(threshold), x, x.rsub(1));
}
