// Tensor creation and host-memory transfer.
#include "common.h"

#include <cstring>

namespace cvrl {

// Copies JS memory into a new torch-owned tensor (wrapping JS memory would break if it is detached).
static Napi::Value FromBuffer(Args& a) {
  Napi::Value v = a.raw(0);
  const uint8_t* src = nullptr;
  size_t bytes = 0;
  if (v.IsTypedArray()) {
    auto ta = v.As<Napi::TypedArray>();
    src = static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
    bytes = ta.ByteLength();
  } else if (v.IsArrayBuffer()) {
    auto ab = v.As<Napi::ArrayBuffer>();
    src = static_cast<const uint8_t*>(ab.Data());
    bytes = ab.ByteLength();
  } else {
    ArgError(a.env(), 0, "expected a TypedArray, Buffer or ArrayBuffer");
  }
  auto shape = a.ints(1);
  auto dtype = ParseDtype(a.s(2));
  for (int64_t s : shape)
    if (s < 0) ArgError(a.env(), 1, "negative dimension in shape");
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(dtype));
  size_t need = static_cast<size_t>(t.numel()) * t.element_size();
  if (need != bytes) {
    ArgError(a.env(), 0, "buffer has " + std::to_string(bytes) + " bytes but shape and dtype need " + std::to_string(need));
  }
  if (bytes) std::memcpy(t.data_ptr(), src, bytes);
  return WrapTensor(a.env(), t);
}

// Exposes a CPU tensor's memory to JS without copying when it is already contiguous;
// the ArrayBuffer keeps its own tensor reference, so it stays valid after dispose().
static Napi::Value ToBuffer(Args& a) {
  at::Tensor t = a.t(0);
  if (!t.device().is_cpu()) t = t.to(at::kCPU);
  t = t.contiguous();
  size_t bytes = static_cast<size_t>(t.numel()) * t.element_size();
  if (bytes == 0) return Napi::ArrayBuffer::New(a.env(), 0);
  auto* hold = new at::Tensor(t);
  return Napi::ArrayBuffer::New(a.env(), t.data_ptr(), bytes, [](Napi::Env, void*, at::Tensor* h) { delete h; }, hold);
}

void RegisterCreationOps(Napi::Env env, Napi::Object exports) {
  CVRL_OP("zeros", at::zeros(a.ints(0), a.options(1, 2)));
  CVRL_OP("ones", at::ones(a.ints(0), a.options(1, 2)));
  CVRL_OP("empty", at::empty(a.ints(0), a.options(1, 2)));
  CVRL_OP("full", at::full(a.ints(0), a.scalar(1), a.options(2, 3)));
  CVRL_OP("randn", at::randn(a.ints(0), a.options(1, 2)));
  CVRL_OP("rand", at::rand(a.ints(0), a.options(1, 2)));
  CVRL_OP("randint", at::randint(a.i(0), a.i(1), a.ints(2), a.options(3, 4)));
  CVRL_OP("randperm", at::randperm(a.i(0), a.options(1, 2)));
  CVRL_OP("arange", at::arange(a.scalar(0), a.scalar(1), a.scalar(2), a.options(3, 4)));
  CVRL_OP("linspace", at::linspace(a.scalar(0), a.scalar(1), a.i(2), a.options(3, 4)));
  CVRL_OP("eye", at::eye(a.i(0), a.options(1, 2)));
  CVRL_OP("zerosLike", at::zeros_like(a.t(0)));
  CVRL_OP("onesLike", at::ones_like(a.t(0)));
  CVRL_OP("randnLike", at::randn_like(a.t(0)));
  CVRL_OP("randLike", at::rand_like(a.t(0)));
  CVRL_OP("fullLike", at::full_like(a.t(0), a.scalar(1)));
  CVRL_OP("scalarTensor", at::scalar_tensor(a.scalar(0), a.options(1, 2)));
  exports.Set("fromBuffer", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
    return Guard(info, [](Args& a) { return FromBuffer(a); });
  }, "fromBuffer"));
  exports.Set("toBuffer", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
    return Guard(info, [](Args& a) { return ToBuffer(a); });
  }, "toBuffer"));
}

}  // namespace cvrl
