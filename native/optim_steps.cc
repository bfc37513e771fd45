// The optimisers' per-parameter updates for a whole parameter group in one call: the same ATen ops,
// in the same order and with the same scalars, as src/optim/sgd.ts and lars.ts issue one N-API call
// at a time, so the same bits, without a round trip through JS for each op of each tensor.
#include "common.h"

namespace cvrl {

namespace {

void CheckLengths(const std::vector<at::Tensor>& ps, const std::vector<at::Tensor>& gs, const std::vector<at::Tensor>& bufs, bool needBufs) {
  if (gs.size() != ps.size()) throw std::invalid_argument("optimizer step: " + std::to_string(ps.size()) + " parameters but " + std::to_string(gs.size()) + " gradients");
  if (needBufs && bufs.size() != ps.size()) throw std::invalid_argument("optimizer step: " + std::to_string(ps.size()) + " parameters but " + std::to_string(bufs.size()) + " momentum buffers");
}

// sgd.ts's update: d = g + wd p; buf = m buf + (1 - dampening) d; d = Nesterov ? d + m buf : buf; p -= lr d.
void SgdStep(const std::vector<at::Tensor>& ps, const std::vector<at::Tensor>& gs, const std::vector<at::Tensor>& bufs, double lr, double m, double damp, double wd,
             bool nesterov) {
  CheckLengths(ps, gs, bufs, m != 0);
  at::NoGradGuard noGrad;
  for (size_t i = 0; i < ps.size(); i++) {
    at::Tensor p = ps[i];
    at::Tensor d = wd != 0 ? at::add(gs[i], p, ScalarFromJs(wd)) : gs[i];
    if (m != 0) {
      at::Tensor buf = bufs[i];
      buf.mul_(ScalarFromJs(m)).add_(d, ScalarFromJs(1 - damp));
      d = nesterov ? at::add(d, buf, ScalarFromJs(m)) : buf;
    }
    p.sub_(d, ScalarFromJs(lr));
  }
}

// lars.ts's update; adapt[i]: parameter i gets weight decay and the trust ratio.
void LarsStep(const std::vector<at::Tensor>& ps, const std::vector<at::Tensor>& gs, const std::vector<at::Tensor>& bufs, const std::vector<int64_t>& adapt, double baseLr,
              double m, double wd, double eta, double eps, bool nesterov) {
  CheckLengths(ps, gs, bufs, true);
  if (adapt.size() != ps.size()) throw std::invalid_argument("larsStep: " + std::to_string(ps.size()) + " parameters but " + std::to_string(adapt.size()) + " adapt flags");
  at::NoGradGuard noGrad;
  for (size_t i = 0; i < ps.size(); i++) {
    at::Tensor p = ps[i], v = bufs[i];
    at::Tensor g = gs[i];
    double lr = baseLr;
    if (adapt[i]) {
      if (wd != 0) g = at::add(gs[i], p, ScalarFromJs(wd));
      const double wn = at::norm(p, ScalarFromJs(2)).item().toDouble();
      const double gn = at::norm(g, ScalarFromJs(2)).item().toDouble();
      const double trust = wn > 0 && gn > 0 ? (eta * wn) / (gn + eps) : 1;
      lr = baseLr * trust;
    }
    v.mul_(ScalarFromJs(m)).add_(g, ScalarFromJs(lr));
    if (nesterov) p.sub_(v, ScalarFromJs(m)).sub_(g, ScalarFromJs(lr));
    else p.sub_(v);
  }
}

}  // namespace

void RegisterOptimOps(Napi::Env env, Napi::Object exports) {
  CVRL_VOID("sgdStep", SgdStep(a.tensors(0), a.tensors(1), a.tensors(2), a.d(3), a.d(4), a.d(5), a.d(6), a.b(7)));
  CVRL_VOID("larsStep", LarsStep(a.tensors(0), a.tensors(1), a.tensors(2), a.ints(3), a.d(4), a.d(5), a.d(6), a.d(7), a.d(8), a.b(9)));
}

}  // namespace cvrl
