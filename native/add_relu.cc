// y = relu(y + x) in place: a residual block's `out += identity; out = relu(out)` in one pass over
// the activations instead of two. Bit for bit what add_ then relu_ give: the sum is rounded to y's
// dtype first (bfloat16: round to nearest even, as ATen), and like ATen's clamp_min the ReLU keeps
// -0.0 and NaN. Backward is ReLU's (threshold_backward on the output), handed to both inputs as
// add_'s backward does. Other dtypes, devices and layouts take add_ and relu_.
#pragma GCC optimize("O3", "no-trapping-math")
#include <torch/csrc/autograd/custom_function.h>
#include <torch/csrc/autograd/variable.h>
#include <ATen/Parallel.h>

#include <cstring>

#include "common.h"
#include "simd_clones.h"

namespace cvrl {

namespace {

inline float Relu(float v) { return v < 0.0f ? 0.0f : v; }

CVRL_WIDE void AddReluFloat(float* y, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = Relu(y[i] + x[i]);
}

inline float FromBf16(uint16_t h) {
  const uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// ReLU of a bfloat16 as bits: negative numbers (sign set, not NaN) become +0; -0.0 has no other bit set.
inline uint16_t ReluBf16(uint16_t h) { return (h & 0x8000) && (h & 0x7fff) != 0 && (h & 0x7fff) <= 0x7f80 ? 0 : h; }

CVRL_WIDE void AddReluBf16(uint16_t* y, const uint16_t* x, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    const float s = FromBf16(y[i]) + FromBf16(x[i]);
    uint32_t u;
    std::memcpy(&u, &s, 4);
    // NaN becomes 0xffff, as in ATen's vectorised float -> bfloat16 conversion.
    const uint16_t r = s != s ? 0xffff : static_cast<uint16_t>((u + 0x7fff + ((u >> 16) & 1)) >> 16);
    y[i] = ReluBf16(r);
  }
}

bool Fusable(const at::Tensor& y, const at::Tensor& x) {
  const auto t = y.scalar_type();
  return y.is_cpu() && x.is_cpu() && (t == at::kFloat || t == at::kBFloat16) && x.scalar_type() == t && y.sizes() == x.sizes() &&
         y.strides() == x.strides() && y.is_non_overlapping_and_dense() && !y.is_view();
}

// Both tensors dense with the same strides: element i of one storage span matches element i of the other.
void AddReluKernel(at::Tensor& y, const at::Tensor& x) {
  const int64_t n = y.numel();
  const bool bf16 = y.scalar_type() == at::kBFloat16;
  char* py = static_cast<char*>(y.data_ptr());
  const char* px = static_cast<const char*>(x.data_ptr());
  at::parallel_for(0, n, 32768, [&](int64_t begin, int64_t end) {
    if (bf16) {
      AddReluBf16(reinterpret_cast<uint16_t*>(py) + begin, reinterpret_cast<const uint16_t*>(px) + begin, end - begin);
    } else {
      AddReluFloat(reinterpret_cast<float*>(py) + begin, reinterpret_cast<const float*>(px) + begin, end - begin);
    }
  });
}

struct AddReluFn : public torch::autograd::Function<AddReluFn> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, at::Tensor y, const at::Tensor& x) {
    AddReluKernel(y, x);
    ctx->mark_dirty({y});
    ctx->save_for_backward({y});
    return y;
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    const at::Tensor g = at::threshold_backward(grads[0], ctx->get_saved_variables()[0], 0);
    return {g, g};
  }
};

}  // namespace

at::Tensor AddRelu_(at::Tensor y, const at::Tensor& x) {
  if (!Fusable(y, x)) return y.add_(x).relu_();
  if (!at::GradMode::is_enabled() || (!y.requires_grad() && !x.requires_grad())) {
    AddReluKernel(y, x);
    torch::autograd::impl::bump_version(y);  // as any in-place op: a stale saved tensor is detected
    return y;
  }
  return AddReluFn::apply(y, x);
}

}  // namespace cvrl
