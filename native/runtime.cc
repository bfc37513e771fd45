// Runtime facts and controls (version, threads, seeds, RNG state) and tensor metadata.
#include "common.h"
#include "onednn.h"

#include <cstdio>
#include <cstdlib>

#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/cuda.h>
#include <torch/version.h>

namespace cvrl {

static Napi::Value Info(Args& a) {
  Napi::Env env = a.env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("libtorchVersion", TORCH_VERSION);
  o.Set("threads", static_cast<double>(at::get_num_threads()));
  o.Set("interopThreads", static_cast<double>(at::get_num_interop_threads()));
  o.Set("cudaAvailable", torch::cuda::is_available());
  o.Set("cudaDeviceCount", static_cast<double>(torch::cuda::device_count()));
  o.Set("cudaCompiled", CVRL_WITH_CUDA == 1);
  o.Set("mkldnn", at::hasMKLDNN());
  o.Set("oneDnnLayers", OneDnnEnabled());
  o.Set("bf16Convolutions", Bf16Convolutions());
  o.Set("openmp", at::hasOpenMP());
#ifdef _OPENMP
  o.Set("addonOpenmp", true);  // the addon's own at::parallel_for loops run on the intra-op threads
#else
  o.Set("addonOpenmp", false);
#endif
  o.Set("mkl", at::hasMKL());
  o.Set("cxx11Abi", _GLIBCXX_USE_CXX11_ABI == 1);
  o.Set("buildConfig", at::show_config());
  o.Set("parallelInfo", at::get_parallel_info());
  return o;
}

static Napi::Value Dispose(Args& a) {
  Napi::Value v = a.raw(0);
  auto* data = a.env().GetInstanceData<AddonData>();
  if (v.IsObject() && v.As<Napi::Object>().InstanceOf(data->tensorCtor.Value())) {
    TensorWrap::Unwrap(v.As<Napi::Object>())->Release(a.env());
  }
  return a.env().Undefined();
}

static Napi::Value Item(Args& a) {
  const at::Tensor& t = a.t(0);
  if (t.numel() != 1) throw std::invalid_argument("item() needs a one-element tensor, got " + std::to_string(t.numel()) + " elements");
  at::Scalar s = t.item();
  if (s.isBoolean()) return Napi::Boolean::New(a.env(), s.toBool());
  return Napi::Number::New(a.env(), s.toDouble());
}

static at::Tensor GetRngState() {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get_state();
}

static void SetRngState(const at::Tensor& state) {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(state);
}

void RegisterRuntime(Napi::Env env, Napi::Object exports) {
  exports.Set("info", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
    return Guard(info, [](Args& a) { return Info(a); });
  }, "info"));
  exports.Set("dispose", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
    return Guard(info, [](Args& a) { return Dispose(a); });
  }, "dispose"));
  // Ends the process now, without static destructors (src/native/addon.ts says why).
  exports.Set("quickExit", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    std::fflush(nullptr);
    std::_Exit(info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 0);
  }, "quickExit"));
  exports.Set("item", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
    return Guard(info, [](Args& a) { return Item(a); });
  }, "item"));
  CVRL_OP("liveTensors", a.env().GetInstanceData<AddonData>()->liveTensors);
  CVRL_OP("heldHostBytes", a.env().GetInstanceData<AddonData>()->heldBytes);
  CVRL_OP("foldedConvolutions", FoldedConvolutions());
  CVRL_OP("oneDnnMatmuls", OneDnnMatmuls());
  CVRL_OP("externalBytesTold", a.env().GetInstanceData<AddonData>()->toldBytes);
  // Waits for every queued kernel of the current GPU (for timing); throws on a build without CUDA.
  CVRL_VOID("cudaSynchronize", torch::cuda::synchronize());
  CVRL_VOID("setNumThreads", at::set_num_threads(static_cast<int>(a.i(0))));
  CVRL_OP("getNumThreads", static_cast<int64_t>(at::get_num_threads()));
  CVRL_VOID("manualSeed", at::manual_seed(static_cast<uint64_t>(a.i(0))));
  CVRL_OP("getRngState", GetRngState());
  CVRL_VOID("setRngState", SetRngState(a.t(0)));
  CVRL_OP("shape", a.t(0).sizes().vec());
  CVRL_OP("dtype", DtypeName(a.t(0).scalar_type()));
  CVRL_OP("device", a.t(0).device().str());
  CVRL_OP("isContiguous", a.t(0).is_contiguous());
  CVRL_OP("dataPtrEqual", a.t(0).data_ptr() == a.t(1).data_ptr());
}

}  // namespace cvrl
