// Fused augmentation: every op of one frame runs on three float planes that stay in cache, instead
// of one pass over the whole clip's tensor per op. Formulas: torchvision's colour ops,
// at::upsample_bilinear2d's taps (augment_resize.cc), SimCLR's zero-padded separable blur;
// src/video/augment.ts is the op-by-op reference that tests compare against.
// Vectorise the per-plane loops: the addon builds at -O2, whose cost model leaves them scalar, and
// without no-trapping-math a select guarding a division stays a branch. The pragma precedes the
// includes because GCC will not inline std::min and friends compiled under other options.
#pragma GCC optimize("O3", "no-trapping-math")
#include "augment.h"
#include "augment_resize.h"
#include "simd_clones.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

namespace cvrl::video {

namespace {

constexpr float kR = 0.2989f, kG = 0.587f, kB = 0.114f;  // torchvision's luma weights

CVRL_WIDE void Brightness(Planes x, float f) {
  for (float* c : {x.r, x.g, x.b}) {
    for (int64_t k = 0; k < x.n; k++) c[k] = Clamp01(c[k] * f);
  }
}

// The mean luma, summed in double over 8 lanes so that the loop vectorises (one running sum is a
// chain of dependent additions).
CVRL_WIDE float MeanLuma(Planes x) {
  double lane[8] = {};
  int64_t k = 0;
  for (; k + 8 <= x.n; k += 8) {
    for (int j = 0; j < 8; j++) lane[j] += x.r[k + j] * kR + x.g[k + j] * kG + x.b[k + j] * kB;
  }
  double sum = ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
  for (; k < x.n; k++) sum += x.r[k] * kR + x.g[k] * kG + x.b[k] * kB;
  return static_cast<float>(sum / static_cast<double>(x.n));
}

CVRL_WIDE void Contrast(Planes x, float f) {
  const float m = MeanLuma(x);
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

// Hue rotation per pixel: torchvision's RGB -> HSV -> RGB arithmetic in float, branch-free, with
// one division where torchvision has five (each quotient a product with one reciprocal, and v * s
// as the chroma it stands for): within an ulp or two of torchvision, and the same on every CPU.
CVRL_WIDE void Hue(Planes x, float delta) {
  float *R = x.r, *G = x.g, *B = x.b;
  for (int64_t k = 0; k < x.n; k++) {
    const float r = R[k], g = G[k], b = B[k];
    const float maxc = std::max(r, std::max(g, b)), minc = std::min(r, std::min(g, b));
    const float cr = maxc - minc;
    const float inv = 1.0f / (maxc == minc ? 1.0f : cr);
    const float rc = (maxc - r) * inv, gc = (maxc - g) * inv, bc = (maxc - b) * inv;
    float h = 4.0f + gc - rc;
    h = maxc == g ? 2.0f + rc - bc : h;
    h = maxc == r ? bc - gc : h;
    h = h * (1.0f / 6.0f) + 1.0f;
    h -= Floor(h);  // torch.remainder(h, 1)
    h += delta;
    h -= Floor(h);
    // hsv -> rgb as v - v*s*clamp(min(k, 4 - k), 0, 1) with k = (n + 6h) mod 6 and n = 5, 3, 1 for
    // r, g, b: torchvision's six-sector table without branches.
    const float h6 = h * 6.0f, vs = cr;
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

// out[x] = sum over k < taps of w[k] * in[x + k * step], for x < n rounded up to kGroup: the taps
// added in order, as the tap-by-tap passes over the plane did, in four independent accumulators of
// 16 pixels (one accumulator would wait on its previous sum at every tap). in and out must allow
// reads and writes kGroup floats past n.
constexpr int64_t kGroup = 64;
typedef float Float16 __attribute__((vector_size(64)));
inline void AddTap(Float16& acc, float w, const float* p) {  // by reference: a 64-byte vector value would change the ABI
  Float16 v;
  std::memcpy(&v, p, sizeof v);
  acc += w * v;
}
CVRL_WIDE void TapRow(const float* in, int64_t step, const float* w, int64_t taps, int64_t n, float* out) {
  for (int64_t x0 = 0; x0 < n; x0 += kGroup) {
    Float16 a0 = {}, a1 = {}, a2 = {}, a3 = {};
    for (int64_t k = 0; k < taps; k++) {
      const float* p = in + x0 + k * step;
      AddTap(a0, w[k], p);
      AddTap(a1, w[k], p + 16);
      AddTap(a2, w[k], p + 32);
      AddTap(a3, w[k], p + 48);
    }
    std::memcpy(out + x0, &a0, sizeof a0);
    std::memcpy(out + x0 + 16, &a1, sizeof a1);
    std::memcpy(out + x0 + 32, &a2, sizeof a2);
    std::memcpy(out + x0 + 48, &a3, sizeof a3);
  }
}

// Separable blur of one S x S plane with zero padding; a tap that falls in the padding adds w * 0,
// which leaves the non-negative sums unchanged. scratch: BlurScratch(S, taps) floats.
inline int64_t BlurScratch(int64_t S, int64_t taps) { return S * S + kGroup + 2 * (S + taps + kGroup); }
CVRL_WIDE void BlurPlane(float* p, float* scratch, int64_t S, const std::vector<float>& w) {
  const int64_t taps = static_cast<int64_t>(w.size()), r = taps / 2;
  float* tmp = scratch;                      // the horizontal pass, then kGroup floats of slack
  float* padded = tmp + S * S + kGroup;      // one row with r zeros before it and zeros after
  float* row = padded + S + taps + kGroup;   // one output row and kGroup floats of slack
  std::fill(tmp + S * S, row, 0.0f);
  for (int64_t y = 0; y < S; y++) {
    std::copy(p + y * S, p + (y + 1) * S, padded + r);
    TapRow(padded, 1, w.data(), taps, S, row);
    std::copy(row, row + S, tmp + y * S);
  }
  for (int64_t y = 0; y < S; y++) {
    const int64_t k0 = std::max<int64_t>(0, r - y), k1 = std::min<int64_t>(taps, S + r - y);
    TapRow(tmp + (y + k0 - r) * S, S, w.data() + k0, k1 - k0, S, row);
    std::copy(row, row + S, p + y * S);
  }
}

// A product with the reciprocal: a division per value would cost more than the rest of the pass.
// invSd is 1 / std rounded from double, as src/video/augment.ts's normalizeClip has it.
CVRL_WIDE void Normalize(const float* in, float mean, float invSd, int64_t n, float* out) {
  for (int64_t k = 0; k < n; k++) out[k] = (in[k] - mean) * invSd;
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
  std::vector<float> buf(3 * n + BlurScratch(S, spec.blurKernel + 1)), rows(ResizeScratchFloats(S, W));
  Planes x{buf.data(), buf.data() + n, buf.data() + 2 * n, n};
  float* tmp = buf.data() + 3 * n;
  const AugParams* last = nullptr;
  Taps ty, tx;
  std::vector<float> blur;
  for (int64_t t = 0; t < T; t++) {
    const AugParams& p = params.size() == 1 ? params[0] : params[t];
    if (&p != last) {
      ty = BilinearTaps(p.height, S);
      tx = BilinearTaps(p.width, S, p.flip);
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
    for (int c = 0; c < 3; c++) Normalize(planes[c], static_cast<float>(spec.mean[c]), static_cast<float>(1.0 / spec.std[c]), n, dst + (c * T + t) * n);
  }
  return out;
}

}  // namespace cvrl::video
