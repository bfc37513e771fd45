// 3-D max pooling of channels-last activations through oneDNN (see onednn.h): ATen 1.13's
// max_pool3d on such tensors took about twice as long as on NCDHW ones, forward + backward. The
// forward saves oneDNN's workspace (where each maximum came from) for the backward.
#include <torch/csrc/autograd/custom_function.h>

#include "onednn.h"

#if CVRL_WITH_ONEDNN
namespace cvrl {

namespace {

using dnnl::memory;

using PoolPrimitives = onednn::ForwardBackward<dnnl::pooling_forward, dnnl::pooling_backward>;

std::shared_ptr<PoolPrimitives> Primitives(const at::Tensor& x, at::IntArrayRef y, const memory::dims& kernel, const memory::dims& stride,
                                           const memory::dims& padL, const memory::dims& padR) {
  const auto key = onednn::Key("maxpool3d", x.scalar_type(), {}, {x.sizes(), kernel, stride, padL, padR});
  return std::static_pointer_cast<PoolPrimitives>(onednn::Cached(key, [&]() -> std::shared_ptr<void> {
    const memory::desc src = onednn::ChannelsLastDesc(x.sizes(), x.scalar_type()), dst = onednn::ChannelsLastDesc(y, x.scalar_type());
    const auto attr = onednn::UserScratchpad();
    const auto algo = dnnl::algorithm::pooling_max;
    dnnl::pooling_forward::primitive_desc fwd({dnnl::prop_kind::forward_training, algo, src, dst, stride, kernel, padL, padR}, attr, onednn::Engine());
    dnnl::pooling_backward::primitive_desc bwd({algo, src, dst, stride, kernel, padL, padR}, attr, onednn::Engine(), fwd);
    return PoolPrimitives::Make(fwd, bwd);
  }));
}

struct MaxPoolFn : public torch::autograd::Function<MaxPoolFn> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, std::vector<int64_t> y, std::vector<int64_t> kernel,
                            std::vector<int64_t> stride, std::vector<int64_t> padL, std::vector<int64_t> padR) {
    auto p = Primitives(x, y, kernel, stride, padL, padR);
    at::Tensor out = at::empty(y, x.options().memory_format(at::MemoryFormat::ChannelsLast3d));
    at::Tensor ws = at::empty({static_cast<int64_t>(p->fwd.workspace_desc().get_size())}, x.options().dtype(at::kByte));
    onednn::Execute(p->fwdPrim, p->fwd, {{DNNL_ARG_SRC, onednn::ChannelsLast(x)}, {DNNL_ARG_DST, onednn::ChannelsLast(out)},
                                         {DNNL_ARG_WORKSPACE, memory(p->fwd.workspace_desc(), onednn::Engine(), ws.data_ptr())}});
    ctx->save_for_backward({x, ws});
    for (const auto& [name, v] : {std::pair<const char*, const std::vector<int64_t>*>{"y", &y}, {"kernel", &kernel}, {"stride", &stride}, {"padL", &padL}, {"padR", &padR}}) {
      ctx->saved_data[name] = *v;
    }
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor &x = saved[0], &ws = saved[1];
    const auto& d = ctx->saved_data;
    const auto y = d.at("y").toIntVector();
    auto p = Primitives(x, y, d.at("kernel").toIntVector(), d.at("stride").toIntVector(), d.at("padL").toIntVector(), d.at("padR").toIntVector());
    const at::Tensor gy = onednn::ChannelsLastGrad(grads[0], x.scalar_type());
    at::Tensor gx = at::empty_like(x, at::MemoryFormat::ChannelsLast3d);
    onednn::Execute(p->bwdPrim, p->bwd, {{DNNL_ARG_DIFF_DST, onednn::ChannelsLast(gy)}, {DNNL_ARG_DIFF_SRC, onednn::ChannelsLast(gx)},
                                         {DNNL_ARG_WORKSPACE, memory(p->bwd.workspace_desc(), onednn::Engine(), ws.data_ptr())}});
    return {gx, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

at::Tensor MaxPool3d(const at::Tensor& x, at::IntArrayRef kernelIn, at::IntArrayRef strideIn, at::IntArrayRef paddingIn,
                     at::IntArrayRef dilation, bool ceilMode) {
  auto aten = [&] { return at::max_pool3d(x, kernelIn, strideIn, paddingIn, dilation, ceilMode); };
  // Without dilation or ceil mode.
  if (!onednn::TakesChannelsLast(x) || ceilMode) return aten();
  const auto kernel = onednn::Triple(kernelIn, kernelIn), stride = onednn::Triple(strideIn, kernelIn);
  const auto pad = onednn::Triple(paddingIn, {0}), dil = onednn::Triple(dilation, {1});
  if (kernel.size() != 3 || stride.size() != 3 || pad.size() != 3 || dil != std::vector<int64_t>{1, 1, 1}) return aten();
  std::vector<int64_t> y{x.size(0), x.size(1)}, padR;
  for (size_t i = 0; i < 3; i++) {
    if (kernel[i] <= 0 || stride[i] <= 0 || pad[i] < 0 || 2 * pad[i] > kernel[i]) return aten();  // ATen's errors
    const int64_t out = (x.size(i + 2) + 2 * pad[i] - kernel[i]) / stride[i] + 1;
    if (out <= 0) return aten();
    y.push_back(out);
    padR.push_back((out - 1) * stride[i] + kernel[i] - x.size(i + 2) - pad[i]);  // the right padding the window actually reaches
  }
  for (int64_t& r : padR) r = std::max<int64_t>(r, 0);
  if (!Primitives(x, y, kernel, stride, pad, padR)) return aten();
  return MaxPoolFn::apply(x, y, kernel, stride, pad, padR);
}

}  // namespace cvrl
#endif
