// 3-D convolution through oneDNN on channels-last activations (see onednn.h): forward, and in
// backward the gradients of input, weight and bias, each one primitive without layout reorders of
// the activations. Weights stay PyTorch's [O, I, kT, kH, kW]; they are small, so they are reordered
// to the kernel's layout on every call.
#include <ATen/autocast_mode.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "onednn.h"

#if CVRL_WITH_ONEDNN
namespace cvrl {

namespace {

using dnnl::memory;
using Tag = memory::format_tag;

struct ConvPrimitives {
  dnnl::convolution_forward::primitive_desc fwd;
  dnnl::convolution_backward_data::primitive_desc bwdData;
  dnnl::convolution_backward_weights::primitive_desc bwdWeights;
  dnnl::convolution_forward fwdPrim;
  dnnl::convolution_backward_data bwdDataPrim;
  dnnl::convolution_backward_weights bwdWeightsPrim;
  // The dtype bwdWeights reads its input and output gradient in (float32 under StemGradF32).
  at::ScalarType weightGradInput;
  // Zero frames bwdWeights takes on each side of the input's time axis, padded explicitly (TimePadded).
  int64_t weightGradTimePad;
};

struct ConvShape {
  std::vector<int64_t> x, w, y, stride, padding, dilation;
  at::ScalarType dtype;
  bool bias;
};

// The descriptors of one convolution in dtype t (activations channels-last, weights in the kernel's layout).
struct ConvDescs {
  dnnl::convolution_forward::primitive_desc fwd;
  dnnl::convolution_backward_data::primitive_desc bwdData;
  dnnl::convolution_backward_weights::primitive_desc bwdWeights;
};

ConvDescs Describe(const ConvShape& s, at::ScalarType t) {
  const auto dt = onednn::DataType(t);
  const memory::desc x = onednn::ChannelsLastDesc(s.x, t), y = onednn::ChannelsLastDesc(s.y, t);
  const memory::desc w({onednn::Dims(s.w), dt, Tag::any});
  const memory::desc gw({onednn::Dims(s.w), memory::data_type::f32, Tag::any});
  const memory::desc b({s.w[0]}, dt, Tag::x), gb({s.w[0]}, memory::data_type::f32, Tag::x);
  memory::dims dil;
  for (int64_t d : s.dilation) dil.push_back(d - 1);  // oneDNN counts the gaps
  const memory::dims st(s.stride.begin(), s.stride.end()), pad(s.padding.begin(), s.padding.end());
  const auto algo = dnnl::algorithm::convolution_direct;
  auto fwdDesc = s.bias ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, algo, x, w, b, y, st, dil, pad, pad)
                        : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, algo, x, w, y, st, dil, pad, pad);
  const auto attr = onednn::UserScratchpad();
  auto& eng = onednn::Engine();
  dnnl::convolution_forward::primitive_desc fwd(fwdDesc, attr, eng);
  auto bwdWDesc = s.bias ? dnnl::convolution_backward_weights::desc(algo, x, gw, gb, y, st, dil, pad, pad)
                         : dnnl::convolution_backward_weights::desc(algo, x, gw, y, st, dil, pad, pad);
  return {fwd, dnnl::convolution_backward_data::primitive_desc(dnnl::convolution_backward_data::desc(algo, x, w, y, st, dil, pad, pad), attr, eng, fwd),
          dnnl::convolution_backward_weights::primitive_desc(bwdWDesc, attr, eng, fwd)};
}

// CVRL_ONEDNN_STEM_GRAD_F32=1: a bfloat16 convolution with fewer than 16 input channels (an RGB stem)
// computes its weight gradient in float32, both operands converted. oneDNN's AMX kernel pads 3
// channels to its block: on one AMX machine that made float32 faster for a 16-channel stem and slower
// for a 64-channel one (README "Benchmarks"). Opt-in: choosing by timing at the first step picked
// differently from run to run while the loader shared the cores, and so changed results.
bool StemGradF32() {
  const char* v = std::getenv("CVRL_ONEDNN_STEM_GRAD_F32");
  return v && std::strcmp(v, "1") == 0;
}

bool IsGemm(const char* impl) { return std::strstr(impl, "gemm") != nullptr; }

// oneDNN's float32 weight gradient falls back to its GEMM implementation when the time axis is
// padded and short against the kernel (the late layers' 1-2 frames under a 3-tap kernel, the stem),
// slower there than its direct kernel. Given the input with those zero frames added and no padding
// on that axis, the direct kernel takes it: the same products, summed in its own order. Only for
// kernels that are also spatial: on AVX2 the direct kernel lost to GEMM on time-only (kx1x1) ones.
// Returns it, or none.
c10::optional<dnnl::convolution_backward_weights::primitive_desc> TimePadded(const ConvShape& s) {
  if (s.padding[0] == 0 || (s.w[3] == 1 && s.w[4] == 1)) return c10::nullopt;
  ConvShape padded = s;
  padded.x[2] += 2 * s.padding[0];
  padded.padding[0] = 0;
  auto d = Describe(padded, s.dtype).bwdWeights;
  if (!onednn::IsOptimized(d.impl_info_str()) || IsGemm(d.impl_info_str())) return c10::nullopt;
  return d;
}

std::shared_ptr<ConvPrimitives> Primitives(const ConvShape& s) {
  const auto key = onednn::Key("conv3d", s.dtype, {static_cast<double>(s.bias), static_cast<double>(StemGradF32())}, {s.x, s.w, s.stride, s.padding, s.dilation});
  return std::static_pointer_cast<ConvPrimitives>(onednn::Cached(key, [&]() -> std::shared_ptr<void> {
    const ConvDescs d = Describe(s, s.dtype);
    for (const char* impl : {d.fwd.impl_info_str(), d.bwdData.impl_info_str(), d.bwdWeights.impl_info_str()}) {
      if (!onednn::IsOptimized(impl)) return nullptr;
    }
    auto bwdWeights = d.bwdWeights;
    at::ScalarType gradInput = s.dtype;
    if (s.dtype == at::kBFloat16 && s.w[1] < 16 && StemGradF32()) {
      const auto f32 = Describe(s, at::kFloat).bwdWeights;
      if (onednn::IsOptimized(f32.impl_info_str())) {
        bwdWeights = f32;
        gradInput = at::kFloat;
      }
    }
    int64_t timePad = 0;
    if (gradInput == s.dtype && IsGemm(bwdWeights.impl_info_str())) {
      if (auto padded = TimePadded(s)) {
        bwdWeights = *padded;
        timePad = s.padding[0];
      }
    }
    return std::make_shared<ConvPrimitives>(ConvPrimitives{d.fwd, d.bwdData, bwdWeights, dnnl::convolution_forward(d.fwd),
                                                           dnnl::convolution_backward_data(d.bwdData),
                                                           dnnl::convolution_backward_weights(bwdWeights), gradInput, timePad});
  }));
}

std::vector<int64_t> OutputSize(const ConvShape& s) {
  std::vector<int64_t> y{s.x[0], s.w[0]};
  for (size_t i = 0; i < 3; i++) {
    y.push_back((s.x[i + 2] + 2 * s.padding[i] - s.dilation[i] * (s.w[i + 2] - 1) - 1) / s.stride[i] + 1);
  }
  return y;
}

ConvShape ShapeOf(const at::Tensor& x, const at::Tensor& w, bool bias, std::vector<int64_t> stride, std::vector<int64_t> padding,
                  std::vector<int64_t> dilation) {
  ConvShape s{x.sizes().vec(), w.sizes().vec(), {}, std::move(stride), std::move(padding), std::move(dilation), x.scalar_type(), bias};
  s.y = OutputSize(s);
  return s;
}

at::Tensor EmptyChannelsLast(at::IntArrayRef sizes, const at::TensorOptions& o) {
  return at::empty(sizes, o.memory_format(at::MemoryFormat::ChannelsLast3d));
}

struct ConvFn : public torch::autograd::Function<ConvFn> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, const at::Tensor& w,
                            const at::Tensor& b, std::vector<int64_t> stride, std::vector<int64_t> padding, std::vector<int64_t> dilation) {
    const ConvShape s = ShapeOf(x, w, b.numel() > 0, stride, padding, dilation);
    auto p = Primitives(s);
    at::Tensor y = EmptyChannelsLast(s.y, x.options());
    const memory wm = onednn::AsLayout(w, Tag::oidhw, p->fwd.weights_desc());
    const at::Tensor xc = x.contiguous(at::MemoryFormat::ChannelsLast3d);
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, onednn::ChannelsLast(xc)}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_DST, onednn::ChannelsLast(y)}};
    if (s.bias) args.emplace(DNNL_ARG_BIAS, memory(p->fwd.bias_desc(), onednn::Engine(), b.data_ptr()));
    onednn::Execute(p->fwdPrim, p->fwd, args);
    ctx->save_for_backward({x, w});
    ctx->saved_data["stride"] = stride;
    ctx->saved_data["padding"] = padding;
    ctx->saved_data["dilation"] = dilation;
    ctx->saved_data["bias"] = s.bias;
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor& x = saved[0];
    const at::Tensor& w = saved[1];
    const auto& d = ctx->saved_data;
    const ConvShape s = ShapeOf(x, w, d.at("bias").toBool(), d.at("stride").toIntVector(), d.at("padding").toIntVector(), d.at("dilation").toIntVector());
    auto p = Primitives(s);
    const at::Tensor gy = onednn::ChannelsLastGrad(grads[0], x.scalar_type());
    const memory gym = onednn::ChannelsLast(gy);
    at::Tensor gx, gw, gb;
    if (ctx->needs_input_grad(0)) {
      gx = EmptyChannelsLast(s.x, x.options());
      const memory wm = onednn::AsLayout(w, Tag::oidhw, p->bwdData.weights_desc());
      onednn::Execute(p->bwdDataPrim, p->bwdData, {{DNNL_ARG_DIFF_DST, gym}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_DIFF_SRC, onednn::ChannelsLast(gx)}});
    }
    if (ctx->needs_input_grad(1) || (s.bias && ctx->needs_input_grad(2))) {
      memory gwm(p->bwdWeights.diff_weights_desc(), onednn::Engine());
      const auto cl = at::MemoryFormat::ChannelsLast3d;
      at::Tensor xc = x.to(p->weightGradInput).contiguous(cl);
      const int64_t tp = p->weightGradTimePad;
      if (tp > 0) xc = at::constant_pad_nd(xc, {0, 0, 0, 0, tp, tp}).contiguous(cl);
      const at::Tensor gyc = p->weightGradInput == gy.scalar_type() ? gy : gy.to(p->weightGradInput).contiguous(cl);
      std::unordered_map<int, memory> args{{DNNL_ARG_SRC, onednn::ChannelsLast(xc)}, {DNNL_ARG_DIFF_DST, onednn::ChannelsLast(gyc)}, {DNNL_ARG_DIFF_WEIGHTS, gwm}};
      at::Tensor gb32;
      if (s.bias) {
        gb32 = at::empty({s.w[0]}, x.options().dtype(at::kFloat));
        args.emplace(DNNL_ARG_DIFF_BIAS, memory(p->bwdWeights.diff_bias_desc(), onednn::Engine(), gb32.data_ptr()));
      }
      onednn::Execute(p->bwdWeightsPrim, p->bwdWeights, args);
      gw = at::empty(s.w, w.options());
      memory user({onednn::Dims(s.w), onednn::DataType(w.scalar_type()), Tag::oidhw}, onednn::Engine(), gw.data_ptr());
      dnnl::reorder(gwm, user).execute(onednn::Stream(), gwm, user);
      if (s.bias) gb = gb32.to(w.scalar_type());
    }
    return {gx, gw, gb, at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

at::Tensor Conv3d(const at::Tensor& xIn, const at::Tensor& wIn, const c10::optional<at::Tensor>& bIn,
                  at::IntArrayRef stride, at::IntArrayRef padding, at::IntArrayRef dilation, int64_t groups) {
  auto fallback = [&] { return at::conv3d(xIn, wIn, bIn, stride, padding, dilation, groups); };
  if (!onednn::Eligible(xIn) || groups != 1 || wIn.dim() != 5 || xIn.size(1) != wIn.size(1) || !wIn.is_cpu()) return fallback();
  at::Tensor x = xIn, w = wIn, b = bIn.value_or(at::Tensor());
  const bool cast = at::autocast::is_cpu_enabled();
  if (cast) {  // what autocast does for at::conv3d: all operands in its dtype
    const auto to = at::autocast::get_autocast_cpu_dtype();
    w = at::autocast::cached_cast(to, w, c10::DeviceType::CPU);
    if (b.defined()) b = at::autocast::cached_cast(to, b, c10::DeviceType::CPU);
  }
  const auto st = onednn::Triple(stride, stride), pad = onednn::Triple(padding, padding), dil = onednn::Triple(dilation, dilation);
  if (st.size() != 3 || pad.size() != 3 || dil.size() != 3) return fallback();
  const at::Tensor bias = b.defined() ? b.contiguous() : at::empty({0}, w.options());  // 1.13's custom functions take no undefined inputs
  // The fold reads x in float32 as well, converting as it copies: it replaces autocast's cast.
  if (cast || x.scalar_type() == w.scalar_type()) {
    if (auto f = onednn::FoldStride2(x, w, st, pad, dil)) {
      const ConvShape fs = ShapeOf(f->x, f->w, b.defined(), f->stride, f->padding, dil);
      if (std::all_of(fs.y.begin(), fs.y.end(), [](int64_t e) { return e > 0; }) && Primitives(fs)) {
        return ConvFn::apply(f->x, f->w, bias, f->stride, f->padding, dil);
      }
    }
  }
  if (cast) x = at::autocast::cached_cast(at::autocast::get_autocast_cpu_dtype(), x, c10::DeviceType::CPU);
  if (w.scalar_type() != x.scalar_type() || (b.defined() && b.scalar_type() != x.scalar_type()) || !onednn::Eligible(x)) return fallback();
  const ConvShape s = ShapeOf(x, w, b.defined(), st, pad, dil);
  for (int64_t e : s.y) {
    if (e <= 0) return fallback();  // ATen reports the shape error
  }
  if (!Primitives(s)) return fallback();
  // The function saves its input for the weight gradient: a caller's NCDHW input (a model's first
  // layer) is saved as it is and copied to channels-last again in backward, rather than keeping a
  // second copy alive; one made here by the autocast cast is converted at once.
  if (!x.is_same(xIn)) x = x.contiguous(at::MemoryFormat::ChannelsLast3d);
  return ConvFn::apply(x, w.contiguous(), bias, st, pad, dil);
}

}  // namespace cvrl
#endif
