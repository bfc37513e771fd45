// ATen port of the augmentation ops (torchvision's colour formulas, SimCLR's zero-padded blur).
#include "augment.h"

#include <algorithm>
#include <cmath>

namespace cvrl::video {

namespace {

at::Tensor Luma(const at::Tensor& x) {
  auto c = x.chunk(3, 1);
  return c[0] * 0.2989 + c[1] * 0.587 + c[2] * 0.114;
}

// Hue rotation per pixel in one pass (torchvision's RGB -> HSV -> RGB arithmetic, in float), which
// is an order of magnitude faster than composing ~35 whole-tensor ops.
at::Tensor Hue(const at::Tensor& input, double delta) {
  at::Tensor x = input.contiguous();
  at::Tensor out = at::empty_like(x);
  const int64_t n = x.size(0), plane = x.size(2) * x.size(3);
  const float* src = x.data_ptr<float>();
  float* dst = out.data_ptr<float>();
  const float d = static_cast<float>(delta);
  for (int64_t i = 0; i < n; i++) {
    const float *R = src + i * 3 * plane, *G = R + plane, *B = G + plane;
    float *r2 = dst + i * 3 * plane, *g2 = r2 + plane, *b2 = g2 + plane;
    for (int64_t k = 0; k < plane; k++) {
      const float r = R[k], g = G[k], b = B[k];
      const float maxc = std::max(r, std::max(g, b)), minc = std::min(r, std::min(g, b));
      const bool eq = maxc == minc;
      const float cr = maxc - minc;
      const float s = cr / (eq ? 1.0f : maxc);
      const float crd = eq ? 1.0f : cr;
      const float rc = (maxc - r) / crd, gc = (maxc - g) / crd, bc = (maxc - b) / crd;
      float h;
      if (maxc == r) h = bc - gc;
      else if (maxc == g) h = 2.0f + rc - bc;
      else h = 4.0f + gc - rc;
      h = std::fmod(h / 6.0f + 1.0f, 1.0f);
      h = std::fmod(h + d, 1.0f);
      if (h < 0) h += 1.0f;
      const float h6 = h * 6.0f, fi = std::floor(h6), f = h6 - fi;
      const int sector = static_cast<int>(std::fmod(fi, 6.0f));
      const float v = maxc;
      const float p = std::min(1.0f, std::max(0.0f, v * (1 - s)));
      const float q = std::min(1.0f, std::max(0.0f, v * (1 - s * f)));
      const float t = std::min(1.0f, std::max(0.0f, v * (1 - s * (1 - f))));
      switch (sector) {
        case 0: r2[k] = v; g2[k] = t; b2[k] = p; break;
        case 1: r2[k] = q; g2[k] = v; b2[k] = p; break;
        case 2: r2[k] = p; g2[k] = v; b2[k] = t; break;
        case 3: r2[k] = p; g2[k] = q; b2[k] = v; break;
        case 4: r2[k] = t; g2[k] = p; b2[k] = v; break;
        default: r2[k] = v; g2[k] = p; b2[k] = q; break;
      }
    }
  }
  return out;
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
