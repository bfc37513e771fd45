// Elementwise math, reductions, matrix products and the in-place updates optimisers need.
#include "common.h"
#include "onednn.h"

namespace cvrl {

static at::IntArrayRef NoDims() { return at::IntArrayRef(); }

void RegisterMathOps(Napi::Env env, Napi::Object exports) {
#define BINARY(js, fn) CVRL_OP(js, a.isNumber(1) ? fn(a.t(0), a.scalar(1)) : fn(a.t(0), a.t(1)))
  CVRL_OP("add", a.isNumber(1) ? at::add(a.t(0), a.scalar(1), a.has(2) ? a.scalar(2) : at::Scalar(1))
                               : at::add(a.t(0), a.t(1), a.has(2) ? a.scalar(2) : at::Scalar(1)));
  CVRL_OP("sub", a.isNumber(1) ? at::sub(a.t(0), a.scalar(1), a.has(2) ? a.scalar(2) : at::Scalar(1))
                               : at::sub(a.t(0), a.t(1), a.has(2) ? a.scalar(2) : at::Scalar(1)));
  CVRL_OP("rsub", at::rsub(a.t(0), a.scalar(1)));
  BINARY("mul", at::mul);
  BINARY("div", at::div);
  BINARY("pow", at::pow);
  BINARY("remainder", at::remainder);
  BINARY("eq", at::eq);
  BINARY("ne", at::ne);
  BINARY("lt", at::lt);
  BINARY("le", at::le);
  BINARY("gt", at::gt);
  BINARY("ge", at::ge);
#undef BINARY
  CVRL_OP("maximum", at::maximum(a.t(0), a.t(1)));
  CVRL_OP("minimum", at::minimum(a.t(0), a.t(1)));
  CVRL_OP("where", at::where(a.t(0), a.t(1), a.t(2)));
  CVRL_OP("logicalAnd", at::logical_and(a.t(0), a.t(1)));
  CVRL_OP("logicalOr", at::logical_or(a.t(0), a.t(1)));
  CVRL_OP("logicalNot", at::logical_not(a.t(0)));
  CVRL_OP("clamp", at::clamp(a.t(0), a.optScalar(1), a.optScalar(2)));

#define UNARY(js, fn) CVRL_OP(js, fn(a.t(0)))
  UNARY("neg", at::neg);
  UNARY("exp", at::exp);
  UNARY("log", at::log);
  UNARY("log1p", at::log1p);
  UNARY("sqrt", at::sqrt);
  UNARY("rsqrt", at::rsqrt);
  UNARY("abs", at::abs);
  UNARY("sigmoid", at::sigmoid);
  UNARY("tanh", at::tanh);
  UNARY("sin", at::sin);
  UNARY("cos", at::cos);
  UNARY("floor", at::floor);
  UNARY("ceil", at::ceil);
  UNARY("round", at::round);
  UNARY("sign", at::sign);
  UNARY("reciprocal", at::reciprocal);
  UNARY("square", at::square);
  UNARY("erf", at::erf);
  UNARY("isfinite", at::isfinite);
  UNARY("isnan", at::isnan);
#undef UNARY

  // Reductions: dims null means all dimensions.
  CVRL_OP("sum", a.has(1) ? at::sum(a.t(0), a.ints(1), a.b(2)) : at::sum(a.t(0)));
  CVRL_OP("mean", a.has(1) ? at::mean(a.t(0), a.ints(1), a.b(2)) : at::mean(a.t(0)));
  CVRL_OP("prod", at::prod(a.t(0)));
  CVRL_OP("amax", at::amax(a.t(0), a.has(1) ? at::IntArrayRef(a.ints(1)) : NoDims(), a.b(2)));
  CVRL_OP("amin", at::amin(a.t(0), a.has(1) ? at::IntArrayRef(a.ints(1)) : NoDims(), a.b(2)));
  CVRL_OP("maxDim", at::max(a.t(0), a.i(1), a.b(2)));
  CVRL_OP("minDim", at::min(a.t(0), a.i(1), a.b(2)));
  CVRL_OP("argmax", a.has(1) ? at::argmax(a.t(0), a.i(1), a.b(2)) : at::argmax(a.t(0)));
  CVRL_OP("argmin", a.has(1) ? at::argmin(a.t(0), a.i(1), a.b(2)) : at::argmin(a.t(0)));
  CVRL_OP("var", a.has(1) ? at::var(a.t(0), at::IntArrayRef(a.ints(1)), a.b(2), a.b(3)) : at::var(a.t(0), a.b(2)));
  CVRL_OP("std", a.has(1) ? at::std(a.t(0), at::IntArrayRef(a.ints(1)), a.b(2), a.b(3)) : at::std(a.t(0), a.b(2)));
  CVRL_OP("norm", a.has(2) ? at::norm(a.t(0), a.scalar(1), at::IntArrayRef(a.ints(2)), a.b(3)) : at::norm(a.t(0), a.scalar(1)));
  CVRL_OP("logsumexp", at::logsumexp(a.t(0), a.ints(1), a.b(2)));
  CVRL_OP("cumsum", at::cumsum(a.t(0), a.i(1)));
  CVRL_OP("topk", at::topk(a.t(0), a.i(1), a.i(2), a.b(3), true));
  CVRL_OP("sort", at::sort(a.t(0), a.i(1), a.b(2)));
  CVRL_OP("any", at::any(a.t(0)));
  CVRL_OP("all", at::all(a.t(0)));

  CVRL_OP("matmul", Matmul(a.t(0), a.t(1)));
  CVRL_OP("mm", Mm(a.t(0), a.t(1)));
  CVRL_OP("bmm", at::bmm(a.t(0), a.t(1)));
  CVRL_OP("einsum", at::einsum(a.s(0), a.tensors(1)));

  // In-place updates return undefined: the JS side keeps its handle.
  CVRL_VOID("add_", a.isNumber(1) ? (void)a.t(0).add_(a.scalar(1)) : (void)a.t(0).add_(a.t(1), a.has(2) ? a.scalar(2) : at::Scalar(1)));
  CVRL_VOID("sub_", a.isNumber(1) ? (void)a.t(0).sub_(a.scalar(1)) : (void)a.t(0).sub_(a.t(1), a.has(2) ? a.scalar(2) : at::Scalar(1)));
  CVRL_VOID("mul_", a.isNumber(1) ? (void)a.t(0).mul_(a.scalar(1)) : (void)a.t(0).mul_(a.t(1)));
  CVRL_VOID("div_", a.isNumber(1) ? (void)a.t(0).div_(a.scalar(1)) : (void)a.t(0).div_(a.t(1)));
  CVRL_VOID("addcmul_", a.t(0).addcmul_(a.t(1), a.t(2), a.scalar(3)));
  CVRL_VOID("addcdiv_", a.t(0).addcdiv_(a.t(1), a.t(2), a.scalar(3)));
  CVRL_VOID("lerp_", a.t(0).lerp_(a.t(1), a.scalar(2)));
  CVRL_VOID("copy_", a.t(0).copy_(a.t(1)));
  CVRL_VOID("zero_", a.t(0).zero_());
  CVRL_VOID("fill_", a.t(0).fill_(a.scalar(1)));
  CVRL_VOID("clamp_", a.t(0).clamp_(a.optScalar(1), a.optScalar(2)));
  CVRL_VOID("uniform_", a.t(0).uniform_(a.d(1), a.d(2)));
  CVRL_VOID("normal_", a.t(0).normal_(a.d(1), a.d(2)));
  CVRL_VOID("sqrt_", a.t(0).sqrt_());
}

}  // namespace cvrl
