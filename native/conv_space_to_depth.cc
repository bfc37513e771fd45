// A bfloat16 convolution over few input channels with spatial stride 2 (an RGB stem) as a stride-1
// convolution over 2x2 blocks of pixels: input channel c at block offset (bh, bw) becomes channel
// 4c + 2bh + bw, and the kernel's taps are regrouped to match (a tap outside the original kernel
// is zero). The products are the same; oneDNN's AMX kernels pad input channels to their block, so
// 3 channels used a fraction of each tile, 12 use most of it.
#include <ATen/Parallel.h>

#include "onednn.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>

#if CVRL_WITH_ONEDNN
namespace cvrl {

namespace {
std::atomic<int64_t> folded{0};
}  // namespace

int64_t FoldedConvolutions() { return folded.load(); }

namespace onednn {

namespace {

// CVRL_ONEDNN_STEM_S2D: 0 never, 1 always (tests), unset: where oneDNN runs AMX kernels (on CPUs
// without them the folded convolution was no faster).
bool FoldWanted() {
  const char* v = std::getenv("CVRL_ONEDNN_STEM_S2D");
  if (v && std::strcmp(v, "0") == 0) return false;
  if (v && std::strcmp(v, "1") == 0) return true;
  static const bool amx = dnnl::get_effective_cpu_isa() >= dnnl::cpu_isa::avx512_core_amx;
  return amx;
}

int64_t FloorDiv2(int64_t v) { return v >= 0 ? v / 2 : -((1 - v) / 2); }

// One spatial axis of size n, kernel k, padding p at stride 2: the folded kernel's taps run over
// block offsets first..last, and the folded input has `left` blocks of padding before the pixels'
// blocks and `right` after them (negative: that many of the last blocks are never read; dropped).
struct AxisFold {
  int64_t first, last, left, right;
};

AxisFold Fold(int64_t n, int64_t k, int64_t p) {
  const int64_t out = (n + 2 * p - k) / 2 + 1, first = FloorDiv2(-p), last = FloorDiv2(k - 1 - p);
  return {first, last, -first, out + last - (n + 1) / 2};
}

// x [N, C, T, H, W] (any strides) as bfloat16 2x2 blocks: [N, T, BH, BW, C, 2, 2] contiguous,
// which is the channels-last layout of [N, 4C, T, BH, BW]; pixel (y, x) of block (bh, bw) is
// (2 bh + y - 2 padH, 2 bw + x - 2 padW) of the input, zero outside it.
template <class T>
void Blocks(const at::Tensor& x, at::Tensor& out, int64_t padH, int64_t padW) {
  const int64_t N = x.size(0), C = x.size(1), Tn = x.size(2), H = x.size(3), W = x.size(4);
  const int64_t BH = out.size(2), BW = out.size(3);
  const auto s = x.strides();
  const T* src = x.data_ptr<T>();
  at::BFloat16* dst = out.data_ptr<at::BFloat16>();
  at::parallel_for(0, N * Tn * BH, 1, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; r++) {
      const int64_t n = r / (Tn * BH), t = r / BH % Tn, bh = r % BH;
      at::BFloat16* o = dst + r * BW * C * 4;
      for (int64_t c = 0; c < C; c++) {
        for (int64_t dy = 0; dy < 2; dy++) {
          at::BFloat16* oc = o + c * 4 + dy * 2;
          const int64_t yy = 2 * bh + dy - 2 * padH;
          const T* row = yy >= 0 && yy < H ? src + n * s[0] + c * s[1] + t * s[2] + yy * s[3] : nullptr;
          const auto pixel = [&](int64_t xx) { return row && xx >= 0 && xx < W ? at::BFloat16(static_cast<float>(row[xx * s[4]])) : at::BFloat16(0.f); };
          // Blocks with both pixels inside the row: no bounds checks.
          const int64_t lo = std::min(BW, padW), hi = row ? std::max(lo, std::min(BW, W / 2 + padW)) : lo;
          for (int64_t bw = 0; bw < lo; bw++) oc[bw * C * 4] = pixel(2 * bw - 2 * padW), oc[bw * C * 4 + 1] = pixel(2 * bw - 2 * padW + 1);
          for (int64_t bw = lo; bw < hi; bw++) {
            const T* p = row + (2 * bw - 2 * padW) * s[4];
            oc[bw * C * 4] = at::BFloat16(static_cast<float>(p[0]));
            oc[bw * C * 4 + 1] = at::BFloat16(static_cast<float>(p[s[4]]));
          }
          for (int64_t bw = hi; bw < BW; bw++) oc[bw * C * 4] = pixel(2 * bw - 2 * padW), oc[bw * C * 4 + 1] = pixel(2 * bw - 2 * padW + 1);
        }
      }
    }
  });
}

}  // namespace

c10::optional<FoldedConv> FoldStride2(const at::Tensor& x, const at::Tensor& w, const std::vector<int64_t>& stride,
                                      const std::vector<int64_t>& padding, const std::vector<int64_t>& dilation) {
  if (w.scalar_type() != at::kBFloat16 || w.size(1) >= 16 || stride[1] != 2 || stride[2] != 2) return c10::nullopt;
  if (x.scalar_type() != at::kBFloat16 && x.scalar_type() != at::kFloat) return c10::nullopt;
  if (dilation[0] != 1 || dilation[1] != 1 || dilation[2] != 1) return c10::nullopt;
  if (x.requires_grad() || !FoldWanted()) return c10::nullopt;  // the folded input has no gradient path back
  if (x.size(3) + 2 * padding[1] < w.size(3) || x.size(4) + 2 * padding[2] < w.size(4)) return c10::nullopt;  // ATen's shape error
  const AxisFold h = Fold(x.size(3), w.size(3), padding[1]), v = Fold(x.size(4), w.size(4), padding[2]);
  const int64_t n = x.size(0), c = x.size(1), t = x.size(2);
  const int64_t bh = (x.size(3) + 1) / 2 + h.left + h.right, bw = (x.size(4) + 1) / 2 + v.left + v.right;
  const int64_t kh = h.last - h.first + 1, kw = v.last - v.first + 1;
  if (bh < kh || bw < kw) return c10::nullopt;
  at::Tensor blocks = at::empty({n, t, bh, bw, c, 2, 2}, x.options().dtype(at::kBFloat16).memory_format(at::MemoryFormat::Contiguous));
  if (x.scalar_type() == at::kFloat) {
    Blocks<float>(x, blocks, h.left, v.left);
  } else {
    Blocks<at::BFloat16>(x, blocks, h.left, v.left);
  }
  const at::Tensor blocksAsInput = blocks.view({n, t, bh, bw, 4 * c}).permute({0, 4, 1, 2, 3});
  // Tap d of the original kernel sits at block offset (d - p) / 2: pad the kernel to whole blocks.
  const int64_t offH = 2 * h.left - padding[1], offW = 2 * v.left - padding[2];
  const at::Tensor wp = at::constant_pad_nd(w, {offW, 2 * kw - w.size(4) - offW, offH, 2 * kh - w.size(3) - offH});
  const at::Tensor wf = wp.reshape({w.size(0), c, w.size(2), kh, 2, kw, 2}).permute({0, 1, 4, 6, 2, 3, 5}).reshape({w.size(0), 4 * c, w.size(2), kh, kw});
  folded++;
  return FoldedConv{blocksAsInput, wf.contiguous(), {stride[0], 1, 1}, {padding[0], 0, 0}};
}

}  // namespace onednn
}  // namespace cvrl
#endif
