// Functional neural-network ops for video CNNs: convolutions, normalisation, pooling, resampling.
#include "common.h"

namespace cvrl {

// interpolate(x, size, mode, alignCorners) over 3-D, 4-D or 5-D inputs, as torch.nn.functional does.
static at::Tensor Interpolate(const at::Tensor& x, const std::vector<int64_t>& size, const std::string& mode, bool alignCorners) {
  const int64_t spatial = x.dim() - 2;
  if (spatial < 1 || spatial > 3) throw std::invalid_argument("interpolate expects a 3-D, 4-D or 5-D input");
  if (static_cast<int64_t>(size.size()) != spatial) {
    throw std::invalid_argument("interpolate: size has " + std::to_string(size.size()) + " entries for " + std::to_string(spatial) + " spatial dims");
  }
  const c10::optional<double> none = c10::nullopt;
  if (mode == "nearest") {
    if (spatial == 1) return at::upsample_nearest1d(x, size, none);
    if (spatial == 2) return at::upsample_nearest2d(x, size, none, none);
    return at::upsample_nearest3d(x, size, none, none, none);
  }
  if (mode == "linear" && spatial == 1) return at::upsample_linear1d(x, size, alignCorners, none);
  if (mode == "bilinear" && spatial == 2) return at::upsample_bilinear2d(x, size, alignCorners, none, none);
  if (mode == "bicubic" && spatial == 2) return at::upsample_bicubic2d(x, size, alignCorners, none, none);
  if (mode == "trilinear" && spatial == 3) return at::upsample_trilinear3d(x, size, alignCorners, none, none, none);
  if (mode == "area") {
    if (spatial == 1) return at::adaptive_avg_pool1d(x, size);
    if (spatial == 2) return at::adaptive_avg_pool2d(x, size);
    return at::adaptive_avg_pool3d(x, size);
  }
  throw std::invalid_argument("interpolate: mode '" + mode + "' does not apply to " + std::to_string(spatial) + " spatial dims");
}

static int64_t GridMode(const std::string& s) {
  if (s == "bilinear") return 0;
  if (s == "nearest") return 1;
  if (s == "bicubic") return 2;
  throw std::invalid_argument("gridSample: unknown mode '" + s + "'");
}

static int64_t GridPadding(const std::string& s) {
  if (s == "zeros") return 0;
  if (s == "border") return 1;
  if (s == "reflection") return 2;
  throw std::invalid_argument("gridSample: unknown padding mode '" + s + "'");
}

void RegisterNnOps(Napi::Env env, Napi::Object exports) {
  CVRL_OP("conv3d", at::conv3d(a.t(0), a.t(1), a.optT(2), a.ints(3), a.ints(4), a.ints(5), a.i(6)));
  CVRL_OP("conv2d", at::conv2d(a.t(0), a.t(1), a.optT(2), a.ints(3), a.ints(4), a.ints(5), a.i(6)));
  CVRL_OP("conv1d", at::conv1d(a.t(0), a.t(1), a.optT(2), a.ints(3), a.ints(4), a.ints(5), a.i(6)));
  CVRL_OP("linear", at::linear(a.t(0), a.t(1), a.optT(2)));
  CVRL_OP("batchNorm", at::batch_norm(a.t(0), a.optT(1), a.optT(2), a.optT(3), a.optT(4), a.b(5), a.d(6), a.d(7), true));
  CVRL_OP("layerNorm", at::layer_norm(a.t(0), a.ints(1), a.optT(2), a.optT(3), a.d(4)));
  CVRL_OP("groupNorm", at::group_norm(a.t(0), a.i(1), a.optT(2), a.optT(3), a.d(4)));
  CVRL_OP("relu", at::relu(a.t(0)));
  CVRL_VOID("relu_", at::relu_(a.t(0)));
  CVRL_OP("gelu", at::gelu(a.t(0)));
  CVRL_OP("leakyRelu", at::leaky_relu(a.t(0), a.scalar(1)));
  CVRL_OP("maxPool3d", at::max_pool3d(a.t(0), a.ints(1), a.ints(2), a.ints(3), a.ints(4), a.b(5)));
  CVRL_OP("maxPool2d", at::max_pool2d(a.t(0), a.ints(1), a.ints(2), a.ints(3), a.ints(4), a.b(5)));
  CVRL_OP("avgPool3d", at::avg_pool3d(a.t(0), a.ints(1), a.ints(2), a.ints(3), a.b(4), a.b(5)));
  CVRL_OP("avgPool2d", at::avg_pool2d(a.t(0), a.ints(1), a.ints(2), a.ints(3), a.b(4), a.b(5)));
  CVRL_OP("adaptiveAvgPool3d", at::adaptive_avg_pool3d(a.t(0), a.ints(1)));
  CVRL_OP("adaptiveAvgPool2d", at::adaptive_avg_pool2d(a.t(0), a.ints(1)));
  CVRL_OP("dropout", at::dropout(a.t(0), a.d(1), a.b(2)));
  CVRL_OP("softmax", at::softmax(a.t(0), a.i(1)));
  CVRL_OP("logSoftmax", at::log_softmax(a.t(0), a.i(1)));
  CVRL_OP("interpolate", Interpolate(a.t(0), a.ints(1), a.s(2), a.b(3)));
  CVRL_OP("gridSample", at::grid_sampler(a.t(0), a.t(1), GridMode(a.s(2)), GridPadding(a.s(3)), a.b(4)));
}

}  // namespace cvrl
