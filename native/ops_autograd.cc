// Autograd: requires-grad flags, backward, gradients and the grad-mode switch.
#include "common.h"

#include <c10/core/GradMode.h>

namespace cvrl {

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
}

}  // namespace cvrl
