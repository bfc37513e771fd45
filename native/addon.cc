// Module entry: creates per-environment state and registers every op family.
#include "common.h"

#include <cstdlib>

namespace cvrl {

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  data->lifetime = new EnvLifetime();
  env.SetInstanceData<AddonData>(data);
  // Runs before the finalizers of the tensors JS still holds (cleanup hooks run last-added first).
  // CVRL_FREE_AT_EXIT=1 frees them anyway (for leak checkers).
  napi_add_env_cleanup_hook(env, [](void* p) {
    if (!std::getenv("CVRL_FREE_AT_EXIT")) static_cast<EnvLifetime*>(p)->tearingDown = true;
  }, data->lifetime);
  Napi::Function ctor = TensorWrap::Define(env);
  data->tensorCtor = Napi::Persistent(ctor);
  exports.Set("NativeTensor", ctor);
  RegisterCreationOps(env, exports);
  RegisterMathOps(env, exports);
  RegisterShapeOps(env, exports);
  RegisterNnOps(env, exports);
  RegisterLossOps(env, exports);
  RegisterAutogradOps(env, exports);
  RegisterRuntime(env, exports);
  RegisterVideo(env, exports);
  RegisterDistributed(env, exports);
  return exports;
}

}  // namespace cvrl

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return cvrl::Init(env, exports); }

NODE_API_MODULE(cvrl_native, InitAddon)
