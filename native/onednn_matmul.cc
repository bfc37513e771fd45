// Float32 matrix products (linear layers, mm, 2-D matmul) through oneDNN's matmul, on ATen's
// OpenMP threads. Debian's ATen hands them to OpenBLAS, whose worker thread sleeps between calls:
// each product woke it, and it then waited for a core while the OpenMP threads still spun after
// the convolutions, so a projection head's small products took many times their arithmetic.
// Operands keep their strides (a transposed view is read as it is); anything else goes to ATen.
#include <ATen/autocast_mode.h>
#include <torch/csrc/autograd/custom_function.h>

#include <atomic>

#include "onednn.h"

#if CVRL_WITH_ONEDNN
namespace cvrl {

namespace {

using dnnl::memory;

std::atomic<int64_t> products{0};

struct MatmulPrimitive {
  dnnl::matmul::primitive_desc pd;
  dnnl::matmul prim;
};

memory::desc Strided(const at::Tensor& t) {
  return {{t.size(0), t.size(1)}, memory::data_type::f32, memory::dims{t.stride(0), t.stride(1)}};
}

// A 2-D float32 operand oneDNN reads in place: positive strides (an expanded tensor's 0 is copied).
at::Tensor Readable(const at::Tensor& t) { return t.stride(0) > 0 && t.stride(1) > 0 ? t : t.contiguous(); }

// a [M, K] @ b [K, N] -> [M, N] contiguous.
at::Tensor Product(const at::Tensor& aIn, const at::Tensor& bIn) {
  const at::Tensor a = Readable(aIn), b = Readable(bIn);
  const auto key = onednn::Key("matmul", at::kFloat, {}, {a.sizes(), a.strides(), b.sizes(), b.strides()});
  auto p = std::static_pointer_cast<MatmulPrimitive>(onednn::Cached(key, [&]() -> std::shared_ptr<void> {
    const memory::desc y({a.size(0), b.size(1)}, memory::data_type::f32, memory::format_tag::ab);
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(Strided(a), Strided(b), y), onednn::UserScratchpad(), onednn::Engine());
    if (!onednn::IsOptimized(pd.impl_info_str())) return nullptr;
    return std::make_shared<MatmulPrimitive>(MatmulPrimitive{pd, dnnl::matmul(pd)});
  }));
  if (!p) return at::mm(a, b);
  at::Tensor y = at::empty({a.size(0), b.size(1)}, a.options());
  auto& eng = onednn::Engine();
  onednn::Execute(p->prim, p->pd, {{DNNL_ARG_SRC, memory(p->pd.src_desc(), eng, a.data_ptr())}, {DNNL_ARG_WEIGHTS, memory(p->pd.weights_desc(), eng, b.data_ptr())},
                                   {DNNL_ARG_DST, memory(p->pd.dst_desc(), eng, y.data_ptr())}});
  products++;
  return y;
}

struct MatmulFn : public torch::autograd::Function<MatmulFn> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& a, const at::Tensor& b) {
    ctx->save_for_backward({a, b});
    return Product(a, b);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor& g = grads[0];
    // Through apply, so that a graph built with create_graph can differentiate them again.
    return {ctx->needs_input_grad(0) ? MatmulFn::apply(g, saved[1].t()) : at::Tensor(), ctx->needs_input_grad(1) ? MatmulFn::apply(saved[0].t(), g) : at::Tensor()};
  }
};

bool Takes(const at::Tensor& t) {
  return OneDnnEnabled() && t.is_cpu() && t.layout() == at::kStrided && t.scalar_type() == at::kFloat && t.numel() > 0 && !at::autocast::is_cpu_enabled();
}

}  // namespace

int64_t OneDnnMatmuls() { return products.load(); }

at::Tensor Mm(const at::Tensor& a, const at::Tensor& b) {
  if (!Takes(a) || !Takes(b) || a.dim() != 2 || b.dim() != 2 || a.size(1) != b.size(0)) return at::mm(a, b);
  return MatmulFn::apply(a, b);
}

at::Tensor Matmul(const at::Tensor& a, const at::Tensor& b) {
  return a.dim() == 2 && b.dim() == 2 ? Mm(a, b) : at::matmul(a, b);
}

at::Tensor Linear(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b) {
  const bool bias = b.has_value() && b->defined();
  if (!Takes(x) || !Takes(w) || (bias && !Takes(*b)) || x.dim() < 1 || w.dim() != 2 || x.size(-1) != w.size(1)) return at::linear(x, w, b);
  std::vector<int64_t> shape = x.sizes().vec();
  shape.back() = w.size(0);
  at::Tensor y = MatmulFn::apply(x.dim() == 2 ? x : x.reshape({-1, x.size(-1)}), w.t());
  if (bias) y = y + *b;
  return x.dim() == 2 ? y : y.view(shape);
}

}  // namespace cvrl
#endif
