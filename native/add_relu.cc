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

#if defined(__x86_64__)
#include <immintrin.h>
#endif

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

// NaN becomes 0xffff, as in ATen's vectorised float -> bfloat16 conversion. ReLU of the rounded
// value: a negative sum gives +0, unless it rounded to -0.0 (kept, as clamp_min keeps -0.0).
inline uint16_t AddReluBf16(uint16_t a, uint16_t b) {
  const float s = FromBf16(a) + FromBf16(b);
  uint32_t u;
  std::memcpy(&u, &s, 4);
  const uint32_t r = s != s ? 0xffffu : (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
  return static_cast<uint16_t>(s < 0.0f && r != 0x8000u ? 0u : r);
}

#if defined(__x86_64__) && defined(__GNUC__)
// The same, 8 at a time (the compiler's own vectorisation of the scalar loop is several times slower).
__attribute__((target("avx2"))) void AddReluBf16Avx2(uint16_t* y, const uint16_t* x, int64_t n) {
  const __m256i bias = _mm256_set1_epi32(0x7fff), one = _mm256_set1_epi32(1), nan = _mm256_set1_epi32(0xffff),
                negZero = _mm256_set1_epi32(0x8000);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i a = _mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(y + i))), 16);
    const __m256i b = _mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i))), 16);
    const __m256 s = _mm256_add_ps(_mm256_castsi256_ps(a), _mm256_castsi256_ps(b));
    const __m256i u = _mm256_castps_si256(s);
    __m256i r = _mm256_srli_epi32(_mm256_add_epi32(u, _mm256_add_epi32(bias, _mm256_and_si256(_mm256_srli_epi32(u, 16), one))), 16);
    r = _mm256_blendv_epi8(r, nan, _mm256_castps_si256(_mm256_cmp_ps(s, s, _CMP_UNORD_Q)));
    const __m256i negative = _mm256_castps_si256(_mm256_cmp_ps(s, _mm256_setzero_ps(), _CMP_LT_OQ));
    r = _mm256_andnot_si256(_mm256_andnot_si256(_mm256_cmpeq_epi32(r, negZero), negative), r);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i), _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1)));
  }
  for (; i < n; i++) y[i] = AddReluBf16(y[i], x[i]);
}
#endif

void AddReluBf16(uint16_t* y, const uint16_t* x, int64_t n) {
#if defined(__x86_64__) && defined(__GNUC__)
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2) return AddReluBf16Avx2(y, x, n);
#endif
  for (int64_t i = 0; i < n; i++) y[i] = AddReluBf16(y[i], x[i]);
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
