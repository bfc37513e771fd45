// Fused augmentation: every op of one frame runs on three float planes that stay in cache, instead
// of one pass over the whole clip's tensor per op. Formulas: torchvision's colour ops,
// at::upsample_bilinear2d's taps, SimCLR's zero-padded separable blur; src/video/augment.ts is the
// op-by-op reference that tests compare against.
// Vectorise the per-plane loops: the addon builds at -O2, whose cost model leaves them scalar, and
// without no-trapping-math a select guarding a division stays a branch. The pragma precedes the
// includes because GCC will not inline std::min and friends compiled under other options.
#pragma GCC optimize("O3", "no-trapping-math")
#include "augment.h"
#include "simd_clones.h"

#include <algorithm>
#include <cfloat>
#include <cmath>

namespace cvrl::video {

namespace {

constexpr float kR = 0.2989f, kG = 0.587f, kB = 0.114f;  // torchvision's luma weights

struct Planes {
  float *r, *g, *b;
  int64_t n;
};

inline float Clamp01(float v) { return std::min(1.0f, std::max(0.0f, v)); }

// Source taps of at::upsample_bilinear2d (align_corners=false) for one axis.
struct Taps {
  std::vector<int64_t> i0, i1;
  std::vector<float> w0, w1;
};

// Computed in double: the exact source coordinate, which ATen's float arithmetic approximates.
Taps BilinearTaps(int64_t in, int64_t out) {
  Taps t;
  const double scale = static_cast<double>(in) / static_cast<double>(out);
  for (int64_t o = 0; o < out; o++) {
    const double src = std::max(0.0, scale * (static_cast<double>(o) + 0.5) - 0.5);
    const int64_t i0 = static_cast<int64_t>(src);
    const double l1 = src - static_cast<double>(i0);
    t.i0.push_back(i0);
    t.i1.push_back(i0 + (i0 < in - 1 ? 1 : 0));
    t.w0.push_back(static_cast<float>(1.0 - l1));
    t.w1.push_back(static_cast<float>(l1));
  }
  return t;
}

// Horizontal taps of one source row of the crop: S interleaved RGB floats (mirrored if p.flip).
CVRL_WIDE void ResizeRow(const uint8_t* row, const AugParams& p, const Taps& tx, int64_t S, float* dst) {
  for (int64_t x = 0; x < S; x++) {
    const int64_t sx = p.flip ? S - 1 - x : x;
    const int64_t a = tx.i0[sx] * 3, b = tx.i1[sx] * 3;
    const float wx0 = tx.w0[sx], wx1 = tx.w1[sx];
    for (int c = 0; c < 3; c++) dst[x * 3 + c] = wx0 * row[a + c] + wx1 * row[b + c];
  }
}

// Crop of an HWC uint8 frame, resized to S x S, optionally mirrored, scaled to [0, 1]. Separable: each
// source row is resampled horizontally once (rows[k] holds source row rowOf[k]; consecutive output
// rows share theirs), then pairs of rows are blended vertically, in the same order of operations as
// wy0 * (wx0 * a + wx1 * b) + wy1 * (wx0 * c + wx1 * d). rows: 3 buffers of 3 * S floats.
CVRL_WIDE void ResizeCrop(const uint8_t* frame, int64_t W, const AugParams& p, const Taps& ty, const Taps& tx, int64_t S, Planes o, float* rows) {
  float* slot[2] = {rows, rows + 3 * S};
  float* blend = rows + 6 * S;
  int64_t rowOf[2] = {-1, -1};
  auto source = [&](int64_t r, int64_t keep) -> const float* {
    for (int k = 0; k < 2; k++) {
      if (rowOf[k] == r) return slot[k];
    }
    const int k = rowOf[0] == keep ? 1 : 0;  // never overwrite the other row this output row needs
    ResizeRow(frame + ((p.top + r) * W + p.left) * 3, p, tx, S, slot[k]);
    rowOf[k] = r;
    return slot[k];
  };
  float* out[3] = {o.r, o.g, o.b};
  for (int64_t y = 0; y < S; y++) {
    const float* h0 = source(ty.i0[y], -1);
    const float* h1 = source(ty.i1[y], ty.i0[y]);
    const float wy0 = ty.w0[y], wy1 = ty.w1[y];
    for (int64_t k = 0; k < 3 * S; k++) blend[k] = wy0 * h0[k] + wy1 * h1[k];
    for (int64_t x = 0; x < S; x++) {
      for (int c = 0; c < 3; c++) out[c][y * S + x] = Clamp01(blend[x * 3 + c] / 255.0f);
    }
  }
}

CVRL_WIDE void Brightness(Planes x, float f) {
  for (float* c : {x.r, x.g, x.b}) {
    for (int64_t k = 0; k < x.n; k++) c[k] = Clamp01(c[k] * f);
  }
}

CVRL_WIDE void Contrast(Planes x, float f) {
  double sum = 0;
  for (int64_t k = 0; k < x.n; k++) sum += x.r[k] * kR + x.g[k] * kG + x.b[k] * kB;
  const float m = static_cast<float>(sum / static_cast<double>(x.n));
  for (float* c : {x.r, x.g, x.b}) {
    for (int64_t k = 0; k < x.n; k++) c[k] = Clamp01((c[k] - m) * f + m);
  }
}

CVRL_WIDE void Saturation(Planes x, float f) {
  for (int64_t k = 0; k < x.n; k++) {
    const float g = x.r[k] * kR + x.g[k] * kG + x.b[k] * kB;
    x.r[k] = Clamp01((x.r[k] - g) * f + g);
    x.g[k] = Clamp01((x.g[k] - g) * f + g);
    x.b[k] = Clamp01((x.b[k] - g) * f + g);
  }
}

CVRL_WIDE void Grayscale(Planes x) {
  for (int64_t k = 0; k < x.n; k++) x.r[k] = x.g[k] = x.b[k] = x.r[k] * kR + x.g[k] * kG + x.b[k] * kB;
}

// floor() for |v| < 2^31, written so that the loops below vectorise (std::floor needs SSE4.1 to).
inline float Floor(float v) {
  const float t = static_cast<float>(static_cast<int32_t>(v));
  return t > v ? t - 1.0f : t;
}

// Hue rotation per pixel: torchvision's RGB -> HSV -> RGB arithmetic in float, branch-free.
CVRL_WIDE void Hue(Planes x, float delta) {
  float *R = x.r, *G = x.g, *B = x.b;
  for (int64_t k = 0; k < x.n; k++) {
    const float r = R[k], g = G[k], b = B[k];
    const float maxc = std::max(r, std::max(g, b)), minc = std::min(r, std::min(g, b));
    const bool eq = maxc == minc;
    const float cr = maxc - minc;
    const float s = cr / (eq ? 1.0f : maxc);
    const float crd = eq ? 1.0f : cr;
    const float rc = (maxc - r) / crd, gc = (maxc - g) / crd, bc = (maxc - b) / crd;
    float h = 4.0f + gc - rc;
    h = maxc == g ? 2.0f + rc - bc : h;
    h = maxc == r ? bc - gc : h;
    h = h / 6.0f + 1.0f;
    h -= Floor(h);  // torch.remainder(h, 1)
    h += delta;
    h -= Floor(h);
    // hsv -> rgb as v - v*s*clamp(min(k, 4 - k), 0, 1) with k = (n + 6h) mod 6 and n = 5, 3, 1 for
    // r, g, b: torchvision's six-sector table without branches.
    const float h6 = h * 6.0f, vs = maxc * s;
    float kr = 5.0f + h6, kg = 3.0f + h6, kb = 1.0f + h6;
    kr = kr >= 6.0f ? kr - 6.0f : kr;
    kg = kg >= 6.0f ? kg - 6.0f : kg;
    kb = kb >= 6.0f ? kb - 6.0f : kb;
    R[k] = Clamp01(maxc - vs * Clamp01(std::min(kr, 4.0f - kr)));
    G[k] = Clamp01(maxc - vs * Clamp01(std::min(kg, 4.0f - kg)));
    B[k] = Clamp01(maxc - vs * Clamp01(std::min(kb, 4.0f - kb)));
  }
}

std::vector<float> GaussianTaps(double sigma, int64_t r) {
  std::vector<float> w(2 * r + 1);
  double sum = 0;
  for (int64_t k = 0; k <= 2 * r; k++) sum += std::exp(-static_cast<double>((k - r) * (k - r)) / (2 * sigma * sigma));
  for (int64_t k = 0; k <= 2 * r; k++) {
    const float v = static_cast<float>(std::exp(-static_cast<double>((k - r) * (k - r)) / (2 * sigma * sigma)) / sum);
    w[k] = v < FLT_MIN ? 0.0f : v;  // denormal weights contribute nothing and make every multiply ~100x slower
  }
  return w;
}

// Separable blur of one S x S plane with zero padding; tmp holds S * S floats.
CVRL_WIDE void BlurPlane(float* p, float* tmp, int64_t S, const std::vector<float>& w) {
  const int64_t r = static_cast<int64_t>(w.size()) / 2;
  std::fill(tmp, tmp + S * S, 0.0f);
  for (int64_t y = 0; y < S; y++) {
    const float* in = p + y * S;
    float* out = tmp + y * S;
    for (int64_t k = -r; k <= r; k++) {
      const float wk = w[k + r];
      const int64_t lo = std::max<int64_t>(0, -k), hi = std::min<int64_t>(S, S - k);
      for (int64_t x = lo; x < hi; x++) out[x] += wk * in[x + k];
    }
  }
  std::fill(p, p + S * S, 0.0f);
  for (int64_t y = 0; y < S; y++) {
    float* out = p + y * S;
    for (int64_t k = std::max<int64_t>(-r, -y); k <= std::min<int64_t>(r, S - 1 - y); k++) {
      const float wk = w[k + r];
      const float* in = tmp + (y + k) * S;
      for (int64_t x = 0; x < S; x++) out[x] += wk * in[x];
    }
  }
}

CVRL_WIDE void Normalize(const float* in, float mean, float sd, int64_t n, float* out) {
  for (int64_t k = 0; k < n; k++) out[k] = (in[k] - mean) / sd;
}

CVRL_WIDE void Solarize(Planes x) {
  for (float* c : {x.r, x.g, x.b}) {
    for (int64_t k = 0; k < x.n; k++) c[k] = c[k] < 0.5f ? c[k] : 1.0f - c[k];
  }
}

}  // namespace

at::Tensor AugmentClip(const at::Tensor& input, const std::vector<AugParams>& params, const AugSpec& spec, at::Tensor out) {
  // Frames need only be contiguous one by one: a clip cut from a cached video at a stride is a view.
  const int64_t W = input.size(2);
  const bool framesDense = input.stride(3) == 1 && input.stride(2) == 3 && input.stride(1) == W * 3;
  const at::Tensor frames = framesDense ? input : input.contiguous();
  const int64_t T = frames.size(0), S = spec.size, n = S * S, frameStep = frames.stride(0);
  if (!out.defined()) out = at::empty({3, T, S, S}, at::kFloat);
  float* dst = out.data_ptr<float>();
  const uint8_t* src = frames.data_ptr<uint8_t>();
  std::vector<float> buf(4 * n), rows(9 * S);
  Planes x{buf.data(), buf.data() + n, buf.data() + 2 * n, n};
  float* tmp = buf.data() + 3 * n;
  const AugParams* last = nullptr;
  Taps ty, tx;
  std::vector<float> blur;
  for (int64_t t = 0; t < T; t++) {
    const AugParams& p = params.size() == 1 ? params[0] : params[t];
    if (&p != last) {
      ty = BilinearTaps(p.height, S);
      tx = BilinearTaps(p.width, S);
      blur = p.blurSigma > 0 && spec.blurKernel / 2 >= 1 ? GaussianTaps(p.blurSigma, spec.blurKernel / 2) : std::vector<float>();
      last = &p;
    }
    ResizeCrop(src + t * frameStep, W, p, ty, tx, S, x, rows.data());
    if (p.jitter) {
      for (int op : p.order) {
        if (op == 0) Brightness(x, static_cast<float>(p.brightness));
        else if (op == 1) Contrast(x, static_cast<float>(p.contrast));
        else if (op == 2) Saturation(x, static_cast<float>(p.saturation));
        else Hue(x, static_cast<float>(p.hue));
      }
    }
    if (p.grayscale) Grayscale(x);
    if (!blur.empty()) {
      for (float* c : {x.r, x.g, x.b}) BlurPlane(c, tmp, S, blur);
    }
    if (p.solarize) Solarize(x);
    const float* planes[3] = {x.r, x.g, x.b};
    for (int c = 0; c < 3; c++) Normalize(planes[c], static_cast<float>(spec.mean[c]), static_cast<float>(spec.std[c]), n, dst + (c * T + t) * n);
  }
  return out;
}

}  // namespace cvrl::video
