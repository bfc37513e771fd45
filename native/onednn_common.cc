// oneDNN's engine, stream and primitive cache for the onednn_*.cc kernels, and the
// ATen paths used when oneDNN is not built in.
#include "onednn.h"

#include <ATen/autocast_mode.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <sstream>
#include <unordered_map>

namespace cvrl {

bool OneDnnEnabled() {
#if CVRL_WITH_ONEDNN
  static const bool on = [] {
    const char* v = std::getenv("CVRL_ONEDNN");
    return !(v && std::strcmp(v, "0") == 0);
  }();
  return on;
#else
  return false;
#endif
}

bool Bf16Convolutions() {
#if CVRL_WITH_ONEDNN
  static const bool yes = dnnl::get_effective_cpu_isa() >= dnnl::cpu_isa::avx512_core;
#else
  static const bool yes = __builtin_cpu_supports("avx512bw");
#endif
  return yes;
}

void CheckBf16Convolution(const at::Tensor& x) {
  if (!x.is_cpu() || Bf16Convolutions()) return;
  const bool bf16 = x.scalar_type() == at::kBFloat16 ||
                    (at::autocast::is_cpu_enabled() && at::autocast::get_autocast_cpu_dtype() == at::kBFloat16);
  TORCH_CHECK(!bf16, "bfloat16 convolutions need a CPU with AVX-512 (oneDNN has none for this one); "
                     "use float32: precision 'fp32' or 'auto', or no bf16 autocast");
}

#if !CVRL_WITH_ONEDNN
int64_t FoldedConvolutions() { return 0; }
int64_t OneDnnMatmuls() { return 0; }
at::Tensor Mm(const at::Tensor& a, const at::Tensor& b) { return at::mm(a, b); }
at::Tensor Matmul(const at::Tensor& a, const at::Tensor& b) { return at::matmul(a, b); }
at::Tensor Linear(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b) { return at::linear(x, w, b); }

at::Tensor Conv3d(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b,
                  at::IntArrayRef stride, at::IntArrayRef padding, at::IntArrayRef dilation, int64_t groups) {
  return at::conv3d(x, w, b, stride, padding, dilation, groups);
}

at::Tensor BatchNorm(const at::Tensor& x, const c10::optional<at::Tensor>& w, const c10::optional<at::Tensor>& b,
                     const c10::optional<at::Tensor>& runningMean, const c10::optional<at::Tensor>& runningVar,
                     bool training, double momentum, double eps, bool relu) {
  at::Tensor y = at::batch_norm(x, w, b, runningMean, runningVar, training, momentum, eps, true);
  return relu ? y.relu_() : y;
}

at::Tensor MaxPool3d(const at::Tensor& x, at::IntArrayRef kernel, at::IntArrayRef stride, at::IntArrayRef padding,
                     at::IntArrayRef dilation, bool ceilMode) {
  return at::max_pool3d(x, kernel, stride, padding, dilation, ceilMode);
}
#else
namespace onednn {

dnnl::engine& Engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& Stream() {
  thread_local dnnl::stream stream(Engine());
  return stream;
}

dnnl::primitive_attr UserScratchpad() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

void Execute(const dnnl::primitive& p, const dnnl::primitive_desc_base& pd, std::unordered_map<int, dnnl::memory> args) {
  const dnnl::memory::desc scratch = pd.scratchpad_desc();
  at::Tensor buffer;
  if (scratch.get_size() > 0) {
    buffer = at::empty({static_cast<int64_t>(scratch.get_size())}, at::kByte);
    args.emplace(DNNL_ARG_SCRATCHPAD, dnnl::memory(scratch, Engine(), buffer.data_ptr()));
  }
  p.execute(Stream(), args);
}

dnnl::memory::data_type DataType(at::ScalarType t) {
  return t == at::kBFloat16 ? dnnl::memory::data_type::bf16 : dnnl::memory::data_type::f32;
}

dnnl::memory::dims Dims(at::IntArrayRef sizes) { return dnnl::memory::dims(sizes.begin(), sizes.end()); }

dnnl::memory::desc ChannelsLastDesc(at::IntArrayRef sizes, at::ScalarType t) {
  return {Dims(sizes), DataType(t), dnnl::memory::format_tag::ndhwc};
}

dnnl::memory ChannelsLast(const at::Tensor& t) { return dnnl::memory(ChannelsLastDesc(t.sizes(), t.scalar_type()), Engine(), t.data_ptr()); }

at::Tensor ChannelsLastGrad(const at::Tensor& grad, at::ScalarType t) {
  return grad.to(t).contiguous(at::MemoryFormat::ChannelsLast3d);
}

std::string Key(const char* op, at::ScalarType t, std::initializer_list<double> settings, std::initializer_list<at::IntArrayRef> shapes) {
  std::ostringstream k;
  k << op << ';' << static_cast<int>(t) << ';';
  for (double v : settings) k << v << ',';
  for (const auto& s : shapes) {
    k << ';';
    for (int64_t e : s) k << e << ',';
  }
  return k.str();
}

std::vector<int64_t> Triple(at::IntArrayRef v, at::IntArrayRef empty) {
  return v.empty() ? empty.vec() : v.size() == 1 ? std::vector<int64_t>(3, v[0]) : v.vec();
}

dnnl::memory AsLayout(const at::Tensor& t, dnnl::memory::format_tag tag, const dnnl::memory::desc& desc) {
  dnnl::memory user({Dims(t.sizes()), DataType(t.scalar_type()), tag}, Engine(), t.data_ptr());
  if (user.get_desc() == desc) return user;
  dnnl::memory out(desc, Engine());
  dnnl::reorder(user, out).execute(Stream(), user, out);
  return out;
}

bool IsOptimized(const char* implInfo) {
  return std::strncmp(implInfo, "ref", 3) != 0;
}

std::shared_ptr<void> Cached(const std::string& key, const std::function<std::shared_ptr<void>()>& make) {
  static std::mutex mu;
  static std::unordered_map<std::string, std::shared_ptr<void>> cache;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
  }
  std::shared_ptr<void> made;
  try {
    made = make();
  } catch (const dnnl::error&) {
    made = nullptr;  // no implementation for this configuration: ATen's path
  }
  std::lock_guard<std::mutex> lock(mu);
  if (cache.size() >= 512) cache.clear();  // shapes seen once (odd last batches) must not pile up
  return cache.emplace(key, made).first->second;
}

bool Eligible(const at::Tensor& x) {
  return OneDnnEnabled() && x.is_cpu() && x.layout() == at::kStrided && x.dim() == 5 &&
         (x.scalar_type() == at::kFloat || x.scalar_type() == at::kBFloat16) && x.numel() > 0;
}

bool TakesChannelsLast(const at::Tensor& x) {
  return Eligible(x) && x.is_contiguous(at::MemoryFormat::ChannelsLast3d) && !x.is_contiguous();
}

}  // namespace onednn
#endif

}  // namespace cvrl
