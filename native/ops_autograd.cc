// Autograd: requires-grad flags, backward, gradients and the grad-mode switch.
#include "common.h"

#include <ATen/autocast_mode.h>
#include <c10/core/GradMode.h>
#include <torch/version.h>

namespace cvrl {

// Autocast on CPU and CUDA together (bfloat16 matmuls and convolutions, reductions in float32);
// returns whether it was on. The API was renamed in libtorch 2.4.
static bool SetAutocast(bool enabled, at::ScalarType dtype) {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  bool prev = at::autocast::is_autocast_enabled(at::kCPU);
  for (auto device : {at::kCPU, at::kCUDA}) {
    at::autocast::set_autocast_dtype(device, dtype);
    at::autocast::set_autocast_enabled(device, enabled);
  }
#else
  bool prev = at::autocast::is_cpu_enabled();
  at::autocast::set_autocast_cpu_dtype(dtype);
  at::autocast::set_cpu_enabled(enabled);
  at::autocast::set_autocast_gpu_dtype(dtype);
  at::autocast::set_enabled(enabled);
#endif
  return prev;
}

// torch.autocast's count of open regions (enabled or not): the cache of weights cast to the lower
// precision lives until the outermost region ends, so that forwards in one region cast them once.
static int64_t AutocastNesting(bool enter) {
  if (enter) return at::autocast::increment_nesting();
  int open = at::autocast::decrement_nesting();
  if (open == 0) at::autocast::clear_cache();
  return open;
}

static at::Tensor SetGrad(at::Tensor& t, const c10::optional<at::Tensor>& g) {
  t.mutable_grad() = g.has_value() ? *g : at::Tensor();
  return at::Tensor();
}

void RegisterAutogradOps(Napi::Env env, Napi::Object exports) {
  CVRL_OP("requiresGrad", a.t(0).requires_grad());
  CVRL_VOID("setRequiresGrad", a.t(0).set_requires_grad(a.b(1)));
  CVRL_OP("isLeaf", a.t(0).is_leaf());
  CVRL_VOID("backward", a.t(0).backward(a.optT(1).value_or(at::Tensor()), /*retain_graph=*/a.b(2), /*create_graph=*/false));
  CVRL_OP("grad", a.t(0).grad());
  CVRL_VOID("setGrad", SetGrad(a.t(0), a.optT(1)));
  CVRL_VOID("retainGrad", a.t(0).retain_grad());
  CVRL_OP("setGradEnabled", [&] {
    bool prev = c10::GradMode::is_enabled();
    c10::GradMode::set_enabled(a.b(0));
    return prev;
  }());
  CVRL_OP("isGradEnabled", c10::GradMode::is_enabled());
  CVRL_OP("setAutocast", SetAutocast(a.b(0), ParseDtype(a.has(1) ? a.s(1) : std::string("bfloat16"))));
  CVRL_OP("autocastNesting", AutocastNesting(a.b(0)));
}

}  // namespace cvrl
