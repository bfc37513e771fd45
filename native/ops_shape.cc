// Views, joins, indexing and conversions.
#include "common.h"

#include <cstring>

namespace cvrl {

// Stacks CPU tensors of one shape along a new first dimension with plain copies on the calling
// thread. A data loader joins its clips this way: at::stack's parallel copy waits for OpenMP
// threads that the decode threads keep off the cores, and the JS thread stalls with it.
static at::Tensor StackSerial(const std::vector<at::Tensor>& ts) {
  TORCH_CHECK(!ts.empty(), "stackSerial: no tensors");
  const at::Tensor& first = ts[0];
  std::vector<int64_t> shape{static_cast<int64_t>(ts.size())};
  for (int64_t s : first.sizes()) shape.push_back(s);
  at::Tensor out = at::empty(shape, first.options());
  const size_t bytes = static_cast<size_t>(first.numel()) * first.element_size();
  auto* dst = static_cast<uint8_t*>(out.data_ptr());
  for (size_t i = 0; i < ts.size(); i++) {
    TORCH_CHECK(ts[i].device().is_cpu(), "stackSerial: tensor ", i, " is on ", ts[i].device().str(), ", not the CPU");
    TORCH_CHECK(ts[i].sizes() == first.sizes() && ts[i].scalar_type() == first.scalar_type(), "stackSerial: tensor ", i, " is ",
                ts[i].toString(), " ", ts[i].sizes(), ", tensor 0 ", first.toString(), " ", first.sizes());
    at::Tensor c = ts[i].contiguous();
    if (bytes) std::memcpy(dst + i * bytes, c.data_ptr(), bytes);
  }
  return out;
}

void RegisterShapeOps(Napi::Env env, Napi::Object exports) {
  CVRL_OP("reshape", at::reshape(a.t(0), a.ints(1)));
  CVRL_OP("view", a.t(0).view(a.ints(1)));
  CVRL_OP("permute", a.t(0).permute(a.ints(1)));
  CVRL_OP("transpose", at::transpose(a.t(0), a.i(1), a.i(2)));
  CVRL_OP("narrow", at::narrow(a.t(0), a.i(1), a.i(2), a.i(3)));
  CVRL_OP("slice", at::slice(a.t(0), a.i(1), a.i(2), a.i(3), a.has(4) ? a.i(4) : 1));
  CVRL_OP("select", at::select(a.t(0), a.i(1), a.i(2)));
  CVRL_OP("diagonal", at::diagonal(a.t(0), a.i(1), a.i(2), a.i(3)));
  CVRL_OP("indexSelect", at::index_select(a.t(0), a.i(1), a.t(2)));
  CVRL_OP("gather", at::gather(a.t(0), a.i(1), a.t(2)));
  CVRL_OP("scatter", at::scatter(a.t(0), a.i(1), a.t(2), a.t(3)));
  CVRL_OP("maskedFill", at::masked_fill(a.t(0), a.t(1), a.scalar(2)));
  CVRL_OP("maskedSelect", at::masked_select(a.t(0), a.t(1)));
  CVRL_OP("cat", at::cat(a.tensors(0), a.i(1)));
  CVRL_OP("stackSerial", StackSerial(a.tensors(0)));
  CVRL_OP("stack", at::stack(a.tensors(0), a.i(1)));
  CVRL_OP("split", at::split(a.t(0), a.i(1), a.i(2)));
  CVRL_OP("chunk", at::chunk(a.t(0), a.i(1), a.i(2)));
  CVRL_OP("flip", at::flip(a.t(0), a.ints(1)));
  CVRL_OP("roll", at::roll(a.t(0), a.ints(1), a.ints(2)));
  CVRL_OP("expand", a.t(0).expand(a.ints(1)));
  CVRL_OP("repeat", a.t(0).repeat(a.ints(1)));
  CVRL_OP("squeeze", a.has(1) ? at::squeeze(a.t(0), a.i(1)) : at::squeeze(a.t(0)));
  CVRL_OP("unsqueeze", at::unsqueeze(a.t(0), a.i(1)));
  CVRL_OP("flatten", at::flatten(a.t(0), a.i(1), a.i(2)));
  CVRL_OP("pad", at::constant_pad_nd(a.t(0), a.ints(1), a.has(2) ? a.scalar(2) : at::Scalar(0)));
  CVRL_OP("tril", at::tril(a.t(0), a.has(1) ? a.i(1) : 0));
  CVRL_OP("triu", at::triu(a.t(0), a.has(1) ? a.i(1) : 0));
  CVRL_OP("oneHot", at::one_hot(a.t(0), a.i(1)));
  CVRL_OP("contiguous", a.t(0).contiguous());
  CVRL_OP("clone", a.t(0).clone());
  CVRL_OP("detach", a.t(0).detach());
  CVRL_OP("toDtype", a.t(0).to(ParseDtype(a.s(1))));
  CVRL_OP("toDevice", a.t(0).to(c10::Device(a.s(1)), /*non_blocking=*/a.b(2)));
  CVRL_OP("pinMemory", a.t(0).pin_memory());
}

}  // namespace cvrl
