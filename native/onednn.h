// Convolution and batch normalisation of 5-D activations through oneDNN directly, in the
// channels-last layout (NDHWC) that its CPU kernels compute in. libtorch 1.13 calls the same
// library for its convolutions, but from NCDHW tensors: every call reorders its input, output and
// gradients between layouts (for bfloat16 twice), and its batch norm has no channels-last 3-D
// kernel. Activations that stay channels-last avoid both; every other ATen op reads them as
// ordinary strided tensors. Built when libtorch links the system's oneDNN (CVRL_WITH_ONEDNN);
// anything these kernels do not cover (other dtypes, devices, groups, a CPU without a JIT kernel
// for the layout: oneDNN's reference loops) goes to ATen.
#pragma once
#include <ATen/ATen.h>

#include <string>

namespace cvrl {

at::Tensor Conv3d(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b,
                  at::IntArrayRef stride, at::IntArrayRef padding, at::IntArrayRef dilation, int64_t groups);

at::Tensor BatchNorm(const at::Tensor& x, const c10::optional<at::Tensor>& w, const c10::optional<at::Tensor>& b,
                     const c10::optional<at::Tensor>& runningMean, const c10::optional<at::Tensor>& runningVar,
                     bool training, double momentum, double eps, bool relu);

at::Tensor MaxPool3d(const at::Tensor& x, at::IntArrayRef kernel, at::IntArrayRef stride, at::IntArrayRef padding,
                     at::IntArrayRef dilation, bool ceilMode);

// Whether the oneDNN kernels are in use (built in and not turned off with CVRL_ONEDNN=0).
bool OneDnnEnabled();

// Float32 products through oneDNN's matmul (onednn_matmul.cc); other dtypes, autocast and N-D
// matmul go to ATen.
at::Tensor Mm(const at::Tensor& a, const at::Tensor& b);
at::Tensor Matmul(const at::Tensor& a, const at::Tensor& b);
at::Tensor Linear(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b);
// How many products ran through oneDNN's matmul in this process.
int64_t OneDnnMatmuls();

// How many convolutions ran folded into 2x2 pixel blocks (conv_space_to_depth.cc) in this process.
int64_t FoldedConvolutions();

// Whether this CPU has bfloat16 convolutions: oneDNN has them from AVX-512 on (emulated where
// AVX512_BF16 is missing) and none for AVX2, and libtorch 1.13 has no others.
bool Bf16Convolutions();
// A bfloat16 convolution (a bfloat16 input, or bfloat16 autocast) on a CPU without them is an
// error that says so, rather than a failure inside a library.
void CheckBf16Convolution(const at::Tensor& x);

}  // namespace cvrl

#if CVRL_WITH_ONEDNN
#include <oneapi/dnnl/dnnl.hpp>

#include <functional>
#include <initializer_list>
#include <memory>
#include <vector>
#include <unordered_map>

namespace cvrl::onednn {

dnnl::engine& Engine();
dnnl::stream& Stream();
// Primitives are built with this attribute and run through Execute, which gives each call its own
// scratchpad: oneDNN's shared one would make calls from two threads at once unsafe.
dnnl::primitive_attr UserScratchpad();
void Execute(const dnnl::primitive& p, const dnnl::primitive_desc_base& pd, std::unordered_map<int, dnnl::memory> args);
dnnl::memory::data_type DataType(at::ScalarType t);
dnnl::memory::dims Dims(at::IntArrayRef sizes);
// The layout the kernels compute in (ndhwc), and a channels-last 5-D tensor's memory in it.
dnnl::memory::desc ChannelsLastDesc(at::IntArrayRef sizes, at::ScalarType t);
dnnl::memory ChannelsLast(const at::Tensor& t);
// A gradient as the backward kernels read it: x's dtype, channels-last.
at::Tensor ChannelsLastGrad(const at::Tensor& grad, at::ScalarType t);
// A primitive cache key: the op, dtype, scalar settings and shapes.
std::string Key(const char* op, at::ScalarType t, std::initializer_list<double> settings, std::initializer_list<at::IntArrayRef> shapes);
// A 3-D op's kernel, stride, padding or dilation: one value for all three axes, or `empty` when none.
std::vector<int64_t> Triple(at::IntArrayRef v, at::IntArrayRef empty);
// The tensor's data in `desc`'s layout: the tensor itself when that is its layout, else a reorder.
dnnl::memory AsLayout(const at::Tensor& t, dnnl::memory::format_tag tag, const dnnl::memory::desc& desc);
// Whether a primitive descriptor's implementation is an optimised one (JIT or GEMM; not the reference
// loops, which are what oneDNN offers where no kernel of this CPU handles the layout).
bool IsOptimized(const char* implInfo);
// Primitives by key, built once by `make` (nullptr: not supported here); thread-safe.
std::shared_ptr<void> Cached(const std::string& key, const std::function<std::shared_ptr<void>()>& make);
// A convolution rewritten as an equivalent one (conv_space_to_depth.cc): input, weight, stride and
// padding for Conv3d to run instead.
struct FoldedConv {
  at::Tensor x, w;
  std::vector<int64_t> stride, padding;
};
// A bfloat16 stride-2 convolution over fewer than 16 input channels as a stride-1 one over 2x2
// pixel blocks, where that is faster (AMX); nullopt where it does not apply.
c10::optional<FoldedConv> FoldStride2(const at::Tensor& x, const at::Tensor& w, const std::vector<int64_t>& stride,
                                      const std::vector<int64_t>& padding, const std::vector<int64_t>& dilation);
// Whether x can take these kernels: a CPU float32 or bfloat16 5-D tensor.
bool Eligible(const at::Tensor& x);
// Eligible and channels-last (not also NCDHW-contiguous): what onednn_conv.cc leaves, and what the
// batch norm and pooling kernels take; NCDHW inputs stay ATen's.
bool TakesChannelsLast(const at::Tensor& x);

// A forward primitive and its backward, with their descriptors (batch norm, pooling).
template <class Fwd, class Bwd>
struct ForwardBackward {
  typename Fwd::primitive_desc fwd;
  typename Bwd::primitive_desc bwd;
  Fwd fwdPrim;
  Bwd bwdPrim;
  // Both primitives for Cached, or nullptr where either has only oneDNN's reference loops.
  static std::shared_ptr<void> Make(const typename Fwd::primitive_desc& f, const typename Bwd::primitive_desc& b) {
    if (!IsOptimized(f.impl_info_str()) || !IsOptimized(b.impl_info_str())) return nullptr;
    return std::make_shared<ForwardBackward>(ForwardBackward{f, b, Fwd(f), Bwd(b)});
  }
};

}  // namespace cvrl::onednn
#endif
