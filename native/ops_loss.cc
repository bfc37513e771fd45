// Loss functions with PyTorch's reduction semantics.
#include "common.h"

#include <ATen/core/Reduction.h>

namespace cvrl {

static int64_t ParseReduction(const std::string& s) {
  if (s == "none") return at::Reduction::None;
  if (s == "mean") return at::Reduction::Mean;
  if (s == "sum") return at::Reduction::Sum;
  throw std::invalid_argument("unknown reduction '" + s + "' (expected none, mean or sum)");
}

void RegisterLossOps(Napi::Env env, Napi::Object exports) {
  // crossEntropy(logits, target (class indices or probabilities), weight?, reduction, ignoreIndex, labelSmoothing)
  CVRL_OP("crossEntropy", at::cross_entropy_loss(a.t(0), a.t(1), a.optT(2), ParseReduction(a.s(3)), a.i(4), a.d(5)));
  CVRL_OP("nllLoss", at::nll_loss(a.t(0), a.t(1), a.optT(2), ParseReduction(a.s(3)), a.i(4)));
  CVRL_OP("mseLoss", at::mse_loss(a.t(0), a.t(1), ParseReduction(a.s(2))));
  CVRL_OP("smoothL1Loss", at::smooth_l1_loss(a.t(0), a.t(1), ParseReduction(a.s(2)), a.d(3)));
  CVRL_OP("bceWithLogits", at::binary_cross_entropy_with_logits(a.t(0), a.t(1), a.optT(2), a.optT(3), ParseReduction(a.s(4))));
}

}  // namespace cvrl
