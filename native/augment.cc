// ATen port of the augmentation ops (torchvision's colour formulas, SimCLR's zero-padded blur).
#include "augment.h"

#include <cmath>

namespace cvrl::video {

namespace {

at::Tensor Luma(const at::Tensor& x) {
  auto c = x.chunk(3, 1);
  return c[0] * 0.2989 + c[1] * 0.587 + c[2] * 0.114;
}

at::Tensor Hue(const at::Tensor& x, double delta) {
  auto c = x.chunk(3, 1);
  const at::Tensor &r = c[0], &g = c[1], &b = c[2];
  at::Tensor maxc = std::get<0>(x.max(1, true)), minc = std::get<0>(x.min(1, true));
  at::Tensor eq = maxc.eq(minc);
  at::Tensor cr = maxc - minc;
  at::Tensor one = at::ones_like(maxc);
  at::Tensor s = cr / at::where(eq, one, maxc);
  at::Tensor crd = at::where(eq, one, cr);
  at::Tensor rc = (maxc - r) / crd, gc = (maxc - g) / crd, bc = (maxc - b) / crd;
  at::Tensor isR = maxc.eq(r), isG = maxc.eq(g).logical_and(isR.logical_not());
  at::Tensor isB = isR.logical_or(maxc.eq(g)).logical_not();
  at::Tensor h = isR.to(x.scalar_type()) * (bc - gc) + isG.to(x.scalar_type()) * (rc - bc + 2) + isB.to(x.scalar_type()) * (gc - rc + 4);
  h = (h / 6 + 1).remainder(1);
  h = (h + delta).remainder(1);
  // HSV -> RGB as torchvision: pick (v, q, p, p, t, v) ... by the sector index.
  at::Tensor h6 = h * 6;
  at::Tensor i = h6.floor();
  at::Tensor f = h6 - i;
  at::Tensor ii = i.remainder(6);
  const at::Tensor& v = maxc;
  at::Tensor p = (v * (1 - s)).clamp(0, 1);
  at::Tensor q = (v * (1 - s * f)).clamp(0, 1);
  at::Tensor t = (v * (1 - s * (1 - f))).clamp(0, 1);
  auto pick = [&](const std::array<const at::Tensor*, 6>& choice) {
    at::Tensor out = at::zeros_like(v);
    for (int k = 0; k < 6; k++) out = at::where(ii.eq(k), *choice[k], out);
    return out;
  };
  return at::cat({pick({&v, &q, &p, &p, &t, &v}), pick({&t, &v, &v, &q, &p, &p}), pick({&p, &p, &t, &v, &v, &q})}, 1);
}

at::Tensor Blur(const at::Tensor& x, double sigma, int64_t kernelSize) {
  const int64_t r = kernelSize / 2;
  if (r < 1) return x;
  std::vector<float> w(2 * r + 1);
  double sum = 0;
  for (int64_t k = 0; k <= 2 * r; k++) sum += (w[k] = static_cast<float>(std::exp(-static_cast<double>((k - r) * (k - r)) / (2 * sigma * sigma))));
  for (auto& v : w) v = static_cast<float>(v / sum);
  at::Tensor k1 = at::from_blob(w.data(), {2 * r + 1}, at::kFloat).clone().to(x.scalar_type());
  at::Tensor kh = k1.reshape({1, 1, 1, 2 * r + 1}).expand({3, 1, 1, 2 * r + 1}).contiguous();
  at::Tensor kv = k1.reshape({1, 1, 2 * r + 1, 1}).expand({3, 1, 2 * r + 1, 1}).contiguous();
  at::Tensor y = at::conv2d(x, kh, {}, 1, at::IntArrayRef{0, r}, 1, 3);
  return at::conv2d(y, kv, {}, 1, at::IntArrayRef{r, 0}, 1, 3);
}

// [N, H, W, 3] uint8 -> [N, 3, S, S] float in [0, 1].
at::Tensor Apply(const at::Tensor& frames, const AugParams& p, const AugSpec& spec) {
  at::Tensor x = frames.narrow(1, p.top, p.height).narrow(2, p.left, p.width).permute({0, 3, 1, 2}).to(at::kFloat);
  x = at::upsample_bilinear2d(x, {spec.size, spec.size}, false, c10::nullopt, c10::nullopt).div_(255).clamp_(0, 1);
  if (p.flip) x = x.flip({3});
  if (p.jitter) {
    for (int op : p.order) {
      if (op == 0) x = (x * p.brightness).clamp_(0, 1);
      else if (op == 1) {
        at::Tensor m = Luma(x).mean({1, 2, 3}, true);
        x = ((x - m) * p.contrast + m).clamp_(0, 1);
      } else if (op == 2) {
        at::Tensor g = Luma(x);
        x = ((x - g) * p.saturation + g).clamp_(0, 1);
      } else {
        x = Hue(x, p.hue);
      }
    }
  }
  if (p.grayscale) x = Luma(x).expand(x.sizes()).contiguous();
  if (p.blurSigma > 0) x = Blur(x, p.blurSigma, spec.blurKernel);
  if (p.solarize) x = at::where(x.lt(0.5), x, 1 - x);
  return x;
}

}  // namespace

at::Tensor AugmentClip(const at::Tensor& frames, const std::vector<AugParams>& params, const AugSpec& spec) {
  const int64_t T = frames.size(0);
  at::Tensor x;
  if (params.size() == 1) {
    x = Apply(frames, params[0], spec);
  } else {
    std::vector<at::Tensor> per;
    per.reserve(T);
    for (int64_t t = 0; t < T; t++) per.push_back(Apply(frames.narrow(0, t, 1), params[t], spec));
    x = at::cat(per, 0);
  }
  at::Tensor mean = at::tensor({spec.mean[0], spec.mean[1], spec.mean[2]}, at::kFloat).reshape({1, 3, 1, 1});
  at::Tensor std = at::tensor({spec.std[0], spec.std[1], spec.std[2]}, at::kFloat).reshape({1, 3, 1, 1});
  return ((x - mean) / std).permute({1, 0, 2, 3}).contiguous();
}

}  // namespace cvrl::video
