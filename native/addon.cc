// Module entry: creates per-environment state and registers every op family.
#include "common.h"

namespace cvrl {

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  env.SetInstanceData<AddonData>(data);
  Napi::Function ctor = TensorWrap::Define(env);
  data->tensorCtor = Napi::Persistent(ctor);
  exports.Set("NativeTensor", ctor);
  RegisterCreationOps(env, exports);
  RegisterMathOps(env, exports);
  RegisterShapeOps(env, exports);
  RegisterNnOps(env, exports);
  RegisterAlignOps(env, exports);
  RegisterPseudoMotionOps(env, exports);
  RegisterLossOps(env, exports);
  RegisterAutogradOps(env, exports);
  RegisterRuntime(env, exports);
  RegisterVideo(env, exports);
  RegisterDistributed(env, exports);
  RegisterOptimOps(env, exports);
  return exports;
}

}  // namespace cvrl

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return cvrl::Init(env, exports); }

NODE_API_MODULE(cvrl_native, InitAddon)
