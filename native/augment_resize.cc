// Crop and bilinear resize for the fused augmentation; see augment_resize.h.
// Built as augment.cc is: O3 so that the loops vectorise, every CVRL_WIDE loop also for AVX2 and
// AVX-512, no FMA contraction (the same bits on every CPU).
#pragma GCC optimize("O3", "no-trapping-math")
#include "augment_resize.h"
#include "simd_clones.h"

#include <cstring>

namespace cvrl::video {

namespace {

// Four floats, for one pixel's three channels at once (the fourth lane is scratch).
typedef float Float4 __attribute__((vector_size(16)));
inline Float4 Load4(const float* p) {
  Float4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Horizontal taps of one source row of the crop: S interleaved RGB floats (tx mirrored for a flip).
// The row's bytes become floats first (plain: 3 * width + 1 floats), so each output pixel is two
// 4-float loads, products and a sum: per channel wx0 * a + wx1 * b, as before. Each store writes
// one float past its pixel, which the next pixel overwrites: dst holds 3 * S + 1 floats.
CVRL_WIDE void ResizeRow(const uint8_t* row, int64_t width, const Taps& tx, int64_t S, float* __restrict plain, float* __restrict dst) {
  for (int64_t k = 0; k < 3 * width; k++) plain[k] = row[k];
  plain[3 * width] = 0.0f;
  for (int64_t x = 0; x < S; x++) {
    const Float4 v = tx.w0[x] * Load4(plain + tx.i0[x] * 3) + tx.w1[x] * Load4(plain + tx.i1[x] * 3);
    std::memcpy(dst + x * 3, &v, sizeof v);
  }
}

// n interleaved RGB floats to three planes, four pixels (three vectors) at a time.
CVRL_WIDE void SplitChannels(const float* rgb, int64_t n, float* __restrict r, float* __restrict g, float* __restrict b) {
  typedef int Int4 __attribute__((vector_size(16)));
  int64_t x = 0;
  for (; x + 4 <= n; x += 4) {
    // a = r0 g0 b0 r1, v = g1 b1 r2 g2, c = b2 r3 g3 b3
    const Float4 a = Load4(rgb + 3 * x), v = Load4(rgb + 3 * x + 4), c = Load4(rgb + 3 * x + 8);
    const Float4 R = __builtin_shuffle(__builtin_shuffle(a, v, Int4{0, 3, 6, 0}), c, Int4{0, 1, 2, 5});
    const Float4 G = __builtin_shuffle(__builtin_shuffle(a, v, Int4{1, 4, 7, 0}), c, Int4{0, 1, 2, 6});
    const Float4 B = __builtin_shuffle(__builtin_shuffle(a, v, Int4{2, 5, 0, 0}), c, Int4{0, 1, 4, 7});
    std::memcpy(r + x, &R, sizeof R);
    std::memcpy(g + x, &G, sizeof G);
    std::memcpy(b + x, &B, sizeof B);
  }
  for (; x < n; x++) {
    r[x] = rgb[3 * x];
    g[x] = rgb[3 * x + 1];
    b[x] = rgb[3 * x + 2];
  }
}

// One row of S interleaved RGB floats and the extra float ResizeRow stores. The scratch holds three
// (two resampled source rows, the blended output row), then a source row as floats (3 * W + 1).
int64_t SlotFloats(int64_t S) { return 3 * S + 4; }

}  // namespace

int64_t ResizeScratchFloats(int64_t S, int64_t W) { return 3 * SlotFloats(S) + 3 * W + 1; }

// Computed in double: the exact source coordinate, which ATen's float arithmetic approximates.
Taps BilinearTaps(int64_t in, int64_t out, bool mirrored) {
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
  if (mirrored) {
    for (auto* v : {&t.i0, &t.i1}) std::reverse(v->begin(), v->end());
    for (auto* v : {&t.w0, &t.w1}) std::reverse(v->begin(), v->end());
  }
  return t;
}

// Crop of an HWC uint8 frame, resized to S x S, scaled to [0, 1] (tx mirrored for a flip).
// Separable: each source row is resampled horizontally once (slot k holds source row rowOf[k];
// consecutive output rows share theirs), then pairs of rows are blended vertically, in the same
// order of operations as wy0 * (wx0 * a + wx1 * b) + wy1 * (wx0 * c + wx1 * d).
CVRL_WIDE void ResizeCrop(const uint8_t* frame, int64_t W, const AugParams& p, const Taps& ty, const Taps& tx, int64_t S, Planes o, float* scratch) {
  float* slot[2] = {scratch, scratch + SlotFloats(S)};
  float* blend = scratch + 2 * SlotFloats(S);  // one output row, interleaved
  float* plain = scratch + 3 * SlotFloats(S);
  int64_t rowOf[2] = {-1, -1};
  auto source = [&](int64_t r, int64_t keep) -> const float* {
    for (int k = 0; k < 2; k++) {
      if (rowOf[k] == r) return slot[k];
    }
    const int k = rowOf[0] == keep ? 1 : 0;  // never overwrite the other row this output row needs
    ResizeRow(frame + ((p.top + r) * W + p.left) * 3, p.width, tx, S, plain, slot[k]);
    rowOf[k] = r;
    return slot[k];
  };
  float* out[3] = {o.r, o.g, o.b};
  const float kInv255 = static_cast<float>(1.0 / 255.0);  // as src/video/augment.ts's framesToUnit
  for (int64_t y = 0; y < S; y++) {
    const float* h0 = source(ty.i0[y], -1);
    const float* h1 = source(ty.i1[y], ty.i0[y]);
    const float wy0 = ty.w0[y], wy1 = ty.w1[y];
    for (int64_t k = 0; k < 3 * S; k++) blend[k] = Clamp01((wy0 * h0[k] + wy1 * h1[k]) * kInv255);
    SplitChannels(blend, S, out[0] + y * S, out[1] + y * S, out[2] + y * S);
  }
}

}  // namespace cvrl::video
