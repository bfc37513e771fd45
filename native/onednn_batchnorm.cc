// Training-mode batch normalisation of channels-last 5-D activations through oneDNN (see
// onednn.h): batch statistics and normalisation in one primitive, and one for the gradients of
// input, scale and shift. ATen 1.13 has no channels-last 3-D kernel for it: its generic path was
// several times slower than on NCDHW tensors. Running statistics update as ATen's do (the variance
// unbiased). Evaluation mode runs through oneDNN too when nothing needs a gradient; other inputs
// take at::batch_norm. With `relu`, the ReLU that follows runs inside the same primitives
// (fuse_norm_relu): the output is not read and written again, and backward masks the gradient
// from a bit per element instead of a pass of threshold_backward.
#include <torch/csrc/autograd/custom_function.h>

#include "onednn.h"

#if CVRL_WITH_ONEDNN
namespace cvrl {

namespace {

using dnnl::memory;

using BnPrimitives = onednn::ForwardBackward<dnnl::batch_normalization_forward, dnnl::batch_normalization_backward>;

dnnl::normalization_flags Flags(bool affine, bool relu) {
  auto flags = dnnl::normalization_flags::none;
  if (affine) flags |= dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift;
  if (relu) flags |= dnnl::normalization_flags::fuse_norm_relu;
  return flags;
}

std::shared_ptr<BnPrimitives> Primitives(const at::Tensor& x, bool affine, float eps, bool relu) {
  const auto key = onednn::Key("bn", x.scalar_type(), {static_cast<double>(affine), eps, static_cast<double>(relu)}, {x.sizes()});
  return std::static_pointer_cast<BnPrimitives>(onednn::Cached(key, [&]() -> std::shared_ptr<void> {
    const memory::desc d = onednn::ChannelsLastDesc(x.sizes(), x.scalar_type());
    const auto flags = Flags(affine, relu);
    auto& eng = onednn::Engine();
    const auto attr = onednn::UserScratchpad();
    dnnl::batch_normalization_forward::primitive_desc fwd({dnnl::prop_kind::forward_training, d, eps, flags}, attr, eng);
    dnnl::batch_normalization_backward::primitive_desc bwd(
        {affine ? dnnl::prop_kind::backward : dnnl::prop_kind::backward_data, d, d, eps, flags}, attr, eng, fwd);
    return BnPrimitives::Make(fwd, bwd);
  }));
}

struct BnInference {
  dnnl::batch_normalization_forward::primitive_desc pd;
  dnnl::batch_normalization_forward prim;
};

std::shared_ptr<BnInference> InferencePrimitive(const at::Tensor& x, bool affine, float eps, bool relu) {
  const auto key = onednn::Key("bn-eval", x.scalar_type(), {static_cast<double>(affine), eps, static_cast<double>(relu)}, {x.sizes()});
  return std::static_pointer_cast<BnInference>(onednn::Cached(key, [&]() -> std::shared_ptr<void> {
    const memory::desc d = onednn::ChannelsLastDesc(x.sizes(), x.scalar_type());
    const auto flags = Flags(affine, relu) | dnnl::normalization_flags::use_global_stats;
    dnnl::batch_normalization_forward::primitive_desc pd({dnnl::prop_kind::forward_inference, d, eps, flags}, onednn::UserScratchpad(), onednn::Engine());
    if (!onednn::IsOptimized(pd.impl_info_str())) return nullptr;
    return std::make_shared<BnInference>(BnInference{pd, dnnl::batch_normalization_forward(pd)});
  }));
}

memory Vector(const at::Tensor& t) {
  return memory({{t.numel()}, memory::data_type::f32, memory::format_tag::x}, onednn::Engine(), t.data_ptr());
}

struct BatchNormFn : public torch::autograd::Function<BatchNormFn> {
  // Returns y, and the batch mean and biased variance (not differentiable) for the running statistics.
  static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, const at::Tensor& w,
                                                const at::Tensor& b, double eps, bool relu) {
    const bool affine = w.numel() > 0;
    auto p = Primitives(x, affine, static_cast<float>(eps), relu);
    at::Tensor y = at::empty_like(x, at::MemoryFormat::ChannelsLast3d);
    const auto f32 = x.options().dtype(at::kFloat);
    at::Tensor mean = at::empty({x.size(1)}, f32), var = at::empty({x.size(1)}, f32);
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, onednn::ChannelsLast(x)}, {DNNL_ARG_DST, onednn::ChannelsLast(y)},
                                         {DNNL_ARG_MEAN, Vector(mean)}, {DNNL_ARG_VARIANCE, Vector(var)}};
    if (affine) {
      args.emplace(DNNL_ARG_SCALE, Vector(w));
      args.emplace(DNNL_ARG_SHIFT, Vector(b));
    }
    // The ReLU's mask, a bit per element, in oneDNN's layout; empty without relu.
    at::Tensor mask = at::empty({relu ? static_cast<int64_t>(p->fwd.workspace_desc().get_size()) : 0}, x.options().dtype(at::kByte));
    if (relu) args.emplace(DNNL_ARG_WORKSPACE, memory(p->fwd.workspace_desc(), onednn::Engine(), mask.data_ptr()));
    onednn::Execute(p->fwdPrim, p->fwd, args);
    ctx->save_for_backward({x, w, b, mean, var, mask});
    ctx->saved_data["eps"] = eps;
    ctx->mark_non_differentiable({mean, var});
    return {y, mean, var};
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor &x = saved[0], &w = saved[1], &b = saved[2], &mean = saved[3], &var = saved[4], &mask = saved[5];
    const bool affine = w.numel() > 0, relu = mask.numel() > 0;
    auto p = Primitives(x, affine, static_cast<float>(ctx->saved_data["eps"].toDouble()), relu);
    const at::Tensor gy = onednn::ChannelsLastGrad(grads[0], x.scalar_type());
    at::Tensor gx = at::empty_like(x, at::MemoryFormat::ChannelsLast3d), gw, gb;
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, onednn::ChannelsLast(x)}, {DNNL_ARG_DIFF_DST, onednn::ChannelsLast(gy)},
                                         {DNNL_ARG_MEAN, Vector(mean)}, {DNNL_ARG_VARIANCE, Vector(var)},
                                         {DNNL_ARG_DIFF_SRC, onednn::ChannelsLast(gx)}};
    if (relu) args.emplace(DNNL_ARG_WORKSPACE, memory(p->bwd.workspace_desc(), onednn::Engine(), mask.data_ptr()));
    if (affine) {
      gw = at::empty_like(w);
      gb = at::empty_like(w);
      args.emplace(DNNL_ARG_SCALE, Vector(w));
      args.emplace(DNNL_ARG_SHIFT, Vector(b));  // some kernels read it in backward
      args.emplace(DNNL_ARG_DIFF_SCALE, Vector(gw));
      args.emplace(DNNL_ARG_DIFF_SHIFT, Vector(gb));
    }
    onednn::Execute(p->bwdPrim, p->bwd, args);
    return {gx, gw, gb, at::Tensor(), at::Tensor()};
  }
};

bool VectorOk(const c10::optional<at::Tensor>& t, int64_t c) {
  return t.has_value() && t->defined() && t->is_cpu() && t->scalar_type() == at::kFloat && t->dim() == 1 && t->size(0) == c && t->is_contiguous();
}

bool NeedsGrad(const c10::optional<at::Tensor>& t) { return t.has_value() && t->defined() && t->requires_grad(); }

// Evaluation mode without gradients (embedding, probes, validation): running statistics, one pass.
at::Tensor Normalize(const at::Tensor& x, const BnInference& p, const c10::optional<at::Tensor>& w, const c10::optional<at::Tensor>& b,
                     const at::Tensor& mean, const at::Tensor& var) {
  at::Tensor y = at::empty_like(x, at::MemoryFormat::ChannelsLast3d);
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, onednn::ChannelsLast(x)}, {DNNL_ARG_DST, onednn::ChannelsLast(y)},
                                       {DNNL_ARG_MEAN, Vector(mean)}, {DNNL_ARG_VARIANCE, Vector(var)}};
  if (w.has_value() && w->defined()) {
    args.emplace(DNNL_ARG_SCALE, Vector(*w));
    args.emplace(DNNL_ARG_SHIFT, Vector(*b));
  }
  onednn::Execute(p.prim, p.pd, args);
  return y;
}

}  // namespace

at::Tensor BatchNorm(const at::Tensor& x, const c10::optional<at::Tensor>& w, const c10::optional<at::Tensor>& b,
                     const c10::optional<at::Tensor>& runningMean, const c10::optional<at::Tensor>& runningVar,
                     bool training, double momentum, double eps, bool relu) {
  auto aten = [&](const at::Tensor& in) {
    at::Tensor y = at::batch_norm(in, w, b, runningMean, runningVar, training, momentum, eps, true);
    return relu ? y.relu_() : y;
  };
  const bool hasW = w.has_value() && w->defined(), hasB = b.has_value() && b->defined();
  if (!onednn::TakesChannelsLast(x)) return aten(x);
  // ATen has no fast kernel for channels-last 3-D tensors: where oneDNN cannot take x, it gets NCDHW.
  auto dense = [&] { return aten(x.contiguous()); };
  if (hasW != hasB || (hasW && (!VectorOk(w, x.size(1)) || !VectorOk(b, x.size(1))))) return dense();
  if (!training) {
    const bool grad = at::GradMode::is_enabled() && (x.requires_grad() || NeedsGrad(w) || NeedsGrad(b));
    if (grad || !VectorOk(runningMean, x.size(1)) || !VectorOk(runningVar, x.size(1))) return dense();
    auto p = InferencePrimitive(x, hasW, static_cast<float>(eps), relu);
    return p ? Normalize(x, *p, w, b, *runningMean, *runningVar) : dense();
  }
  const int64_t n = x.numel() / x.size(1);
  if (n < 2 || !Primitives(x, hasW, static_cast<float>(eps), relu)) return dense();  // n = 1: ATen's error
  // libtorch 1.13's custom functions take no undefined inputs: empty tensors stand for no affine.
  const at::Tensor none = at::empty({0}, x.options().dtype(at::kFloat));
  auto out = BatchNormFn::apply(x, hasW ? *w : none, hasB ? *b : none, eps, relu);
  at::NoGradGuard noGrad;
  if (runningMean.has_value() && runningMean->defined()) runningMean->mul_(1 - momentum).add_(out[1], momentum);
  if (runningVar.has_value() && runningVar->defined()) {
    runningVar->mul_(1 - momentum).add_(out[2], momentum * static_cast<double>(n) / static_cast<double>(n - 1));
  }
  return out[0];
}

}  // namespace cvrl
#endif
