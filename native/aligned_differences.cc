// The CPU kernels of aligned frame differences (src/models/aligned-differences.ts), each one pass
// over the clip instead of the tensor version's many small ops and copies:
// - ShiftCosts: the shift search's mean squared differences on pooled grayscale frames;
// - ShiftedDifferences (no autograd): frame t+1 minus frame t read at p + (dx, dy), bilinear with
//   coordinates clamped to the frame, as grid_sample's border padding with align_corners false.
// O3 vectorises the interior loop of a shifted row (see DifferenceRow); the pragma precedes the
// includes for the reason given in augment.cc.
#pragma GCC optimize("O3")
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "common.h"
#include "simd_clones.h"

namespace cvrl {

namespace {

// Source taps of one axis: for output index i, read (1 - w) * src[lo] + w * src[hi].
struct Taps {
  std::vector<int64_t> lo, hi;
  std::vector<float> w;
};

Taps AxisTaps(int64_t size, double shift) {
  Taps t{std::vector<int64_t>(size), std::vector<int64_t>(size), std::vector<float>(size)};
  for (int64_t i = 0; i < size; i++) {
    const double at = std::min(static_cast<double>(size - 1), std::max(0.0, static_cast<double>(i) + shift));
    const int64_t lo = static_cast<int64_t>(std::floor(at));
    t.lo[i] = lo;
    t.hi[i] = std::min(lo + 1, size - 1);
    t.w[i] = static_cast<float>(at - static_cast<double>(lo));
  }
  return t;
}

// Columns [begin, end) where the taps read x + k and x + k + 1 (the shifted row's interior), for
// DifferenceRow's plain loop; outside it, or if a column inside breaks the pattern, the taps' own.
struct Interior {
  int64_t k = 0, begin = 0, end = 0;
};

Interior InteriorOf(const Taps& t) {
  const int64_t n = static_cast<int64_t>(t.lo.size());
  auto plain = [&](int64_t i, int64_t k) { return t.lo[i] == i + k && t.hi[i] == i + k + 1; };
  Interior in;
  in.k = t.lo[n / 2] - n / 2;
  while (in.begin < n && !plain(in.begin, in.k)) in.begin++;
  in.end = n;
  while (in.end > in.begin && !plain(in.end - 1, in.k)) in.end--;
  for (int64_t i = in.begin; i < in.end; i++) {
    if (!plain(i, in.k)) return Interior{};
  }
  return in;
}

// One output row: next - bilinear(prev at the shifted positions), rows `top` and `bottom` of prev.
CVRL_WIDE void DifferenceRow(const float* top, const float* bottom, float wy, const float* next, const Taps& tx, const Interior& in, float* o) {
  const int64_t W = static_cast<int64_t>(tx.w.size());
  auto at = [&](int64_t xx, int64_t lo, int64_t hi) {
    const float wx = tx.w[xx];
    const float upper = (1 - wx) * top[lo] + wx * top[hi];
    const float lower = (1 - wx) * bottom[lo] + wx * bottom[hi];
    o[xx] = next[xx] - ((1 - wy) * upper + wy * lower);
  };
  for (int64_t xx = 0; xx < in.begin; xx++) at(xx, tx.lo[xx], tx.hi[xx]);
  const float* w = tx.w.data();
  const float *t0 = top + in.k, *t1 = top + in.k + 1, *b0 = bottom + in.k, *b1 = bottom + in.k + 1;
  for (int64_t xx = in.begin; xx < in.end; xx++) {
    const float wx = w[xx];
    const float upper = (1 - wx) * t0[xx] + wx * t1[xx];
    const float lower = (1 - wx) * b0[xx] + wx * b1[xx];
    o[xx] = next[xx] - ((1 - wy) * upper + wy * lower);
  }
  for (int64_t xx = std::max(in.begin, in.end); xx < W; xx++) at(xx, tx.lo[xx], tx.hi[xx]);
}

at::Tensor ShiftedDifferences(const at::Tensor& input, const at::Tensor& shiftsIn) {
  TORCH_CHECK(input.dim() == 5, "shiftedDifferences: expected clips [B, C, T, H, W], got ", input.sizes());
  TORCH_CHECK(input.scalar_type() == at::kFloat && input.device().is_cpu(), "shiftedDifferences: expected float32 clips on the CPU");
  TORCH_CHECK(!input.requires_grad(), "shiftedDifferences: clips that need a gradient go through the differentiable version");
  const at::Tensor x = input.contiguous();
  const at::Tensor shifts = shiftsIn.to(at::kFloat).contiguous();
  const int64_t B = x.size(0), C = x.size(1), T = x.size(2), H = x.size(3), W = x.size(4);
  TORCH_CHECK(T >= 2, "shiftedDifferences: clips need at least 2 frames");
  TORCH_CHECK(shifts.numel() == B * (T - 1) * 2, "shiftedDifferences: need ", B * (T - 1), " shifts (x, y), got ", shifts.numel() / 2);
  at::Tensor out = at::empty_like(x);
  const float* src = x.data_ptr<float>();
  const float* shift = shifts.data_ptr<float>();
  float* dst = out.data_ptr<float>();
  const int64_t frame = H * W;
  at::parallel_for(0, B * (T - 1), 1, [&](int64_t begin, int64_t end) {
    for (int64_t pair = begin; pair < end; pair++) {
      const int64_t b = pair / (T - 1), t = pair % (T - 1);
      const Taps tx = AxisTaps(W, shift[pair * 2]), ty = AxisTaps(H, shift[pair * 2 + 1]);
      const Interior in = InteriorOf(tx);
      for (int64_t c = 0; c < C; c++) {
        const float* prev = src + ((b * C + c) * T + t) * frame;
        const float* next = prev + frame;
        float* o = dst + ((b * C + c) * T + t) * frame;
        for (int64_t y = 0; y < H; y++) DifferenceRow(prev + ty.lo[y] * W, prev + ty.hi[y] * W, ty.w[y], next + y * W, tx, in, o + y * W);
      }
    }
  });
  for (int64_t bc = 0; bc < B * C; bc++) std::fill_n(dst + (bc * T + T - 1) * frame, frame, 0.0f);  // the last frame has no successor
  return out;
}

// x [B, C, T, H, W] -> [B * (T - 1), (2r + 1)^2]: for each pair of consecutive frames, averaged over
// channels and pooled by `pool` (floor sizes), the mean over the interior (r pixels in from each
// edge) of (next(p) - prev(p + (dx, dy)))^2, shifts in the order (dy + r) * (2r + 1) + (dx + r).
at::Tensor ShiftCosts(const at::Tensor& input, int64_t pool, int64_t r) {
  TORCH_CHECK(input.dim() == 5 && input.device().is_cpu(), "shiftCosts: expected CPU clips [B, C, T, H, W], got ", input.sizes());
  const at::Tensor x = input.detach().to(at::kFloat).contiguous();
  const int64_t B = x.size(0), C = x.size(1), T = x.size(2), H = x.size(3), W = x.size(4);
  TORCH_CHECK(pool >= 1 && T >= 2, "shiftCosts: need pool >= 1 and at least 2 frames");
  const int64_t h = H / pool, w = W / pool, side = 2 * r + 1;
  TORCH_CHECK(r >= 1 && h > 2 * r && w > 2 * r, "shiftCosts: radius ", r, " does not fit ", h, "x", w, " pooled frames");
  // Pooled grayscale frames [B, T, h, w]: channel mean first, then the pool's mean, as the tensor version.
  at::Tensor gray = at::empty({B, T, h, w}, at::kFloat);
  const float* src = x.data_ptr<float>();
  float* g = gray.data_ptr<float>();
  const int64_t frame = H * W;
  at::parallel_for(0, B * T, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> mono(static_cast<size_t>(frame));
    for (int64_t bt = begin; bt < end; bt++) {
      const int64_t b = bt / T, t = bt % T;
      std::fill(mono.begin(), mono.end(), 0.0f);
      for (int64_t c = 0; c < C; c++) {
        const float* f = src + ((b * C + c) * T + t) * frame;
        for (int64_t i = 0; i < frame; i++) mono[i] += f[i];
      }
      for (int64_t i = 0; i < frame; i++) mono[i] /= static_cast<float>(C);
      float* o = g + bt * h * w;
      for (int64_t y = 0; y < h; y++) {
        for (int64_t xx = 0; xx < w; xx++) {
          float sum = 0;
          for (int64_t i = 0; i < pool; i++) {
            for (int64_t j = 0; j < pool; j++) sum += mono[(y * pool + i) * W + xx * pool + j];
          }
          o[y * w + xx] = sum / static_cast<float>(pool * pool);
        }
      }
    }
  });
  at::Tensor costs = at::empty({B * (T - 1), side * side}, at::kFloat);
  float* cost = costs.data_ptr<float>();
  const int64_t ih = h - 2 * r, iw = w - 2 * r;
  // Every shift's sum runs in the same (y, x) order as one loop per shift would, so the costs are
  // the same to the bit; keeping all shifts' sums in flight at once hides the addition latency.
  at::parallel_for(0, B * (T - 1), 1, [&](int64_t begin, int64_t end) {
    std::vector<double> sums(static_cast<size_t>(side * side));
    for (int64_t pair = begin; pair < end; pair++) {
      const int64_t b = pair / (T - 1), t = pair % (T - 1);
      const float* prev = g + (b * T + t) * h * w;
      const float* next = prev + h * w;
      std::fill(sums.begin(), sums.end(), 0.0);
      for (int64_t y = r; y < h - r; y++) {
        for (int64_t xx = r; xx < w - r; xx++) {
          const float n = next[y * w + xx];
          const float* window = prev + (y - r) * w + (xx - r);  // prev at shift (-r, -r)
          double* s = sums.data();
          for (int64_t dy = 0; dy < side; dy++) {
            for (int64_t dx = 0; dx < side; dx++) {
              const float d = n - window[dy * w + dx];
              *s++ += static_cast<double>(d) * d;
            }
          }
        }
      }
      for (int64_t k = 0; k < side * side; k++) cost[pair * side * side + k] = static_cast<float>(sums[k] / static_cast<double>(ih * iw));
    }
  });
  return costs;
}

}  // namespace

void RegisterAlignOps(Napi::Env env, Napi::Object exports) {
  CVRL_OP("shiftedDifferences", ShiftedDifferences(a.t(0), a.t(1)));
  CVRL_OP("shiftCosts", ShiftCosts(a.t(0), a.i(1), a.i(2)));
}

}  // namespace cvrl
