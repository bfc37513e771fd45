// Functional neural-network ops for video CNNs: convolutions, normalisation, pooling, resampling.
#include "common.h"
#include "onednn.h"

#include <algorithm>
#include <cmath>

namespace cvrl {

at::Tensor AddRelu_(at::Tensor y, const at::Tensor& x);  // add_relu.cc

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

// roiAlign as torchvision.ops.roi_align, composed from grid_sampler so that ATen's autograd gives
// the backward. torchvision zeroes samples outside [-1, size] and clamps the rest to the border;
// clamping here then zero padding matches it, and a far-off sentinel gives the zeros. Boxes get no
// gradient (as in torchvision). One grid_sampler call per RoI, since adaptive sampling
// (samplingRatio <= 0: ceil(roi size / output size) per RoI) gives each RoI its own grid size.
static at::Tensor RoiAlign(const at::Tensor& input, const at::Tensor& boxes, const std::vector<int64_t>& outSize,
                           double scale, int64_t samplingRatio, bool aligned) {
  if (input.dim() != 4) throw std::invalid_argument("roiAlign: input must be [N, C, H, W], got " + std::to_string(input.dim()) + " dims");
  if (boxes.dim() != 2 || boxes.size(1) != 5) throw std::invalid_argument("roiAlign: boxes must be [K, 5] (batch index, x1, y1, x2, y2)");
  if (outSize.size() != 2 || outSize[0] <= 0 || outSize[1] <= 0) throw std::invalid_argument("roiAlign: outputSize must be two positive ints");
  const int64_t N = input.size(0), C = input.size(1), H = input.size(2), W = input.size(3);
  const int64_t ph = outSize[0], pw = outSize[1];
  const at::Tensor b = boxes.detach().to(at::kCPU, at::kDouble).contiguous();
  const auto acc = b.accessor<double, 2>();
  const double off = aligned ? 0.5 : 0.0;
  std::vector<at::Tensor> outs;
  for (int64_t k = 0; k < b.size(0); k++) {
    const double bi = acc[k][0];
    if (!(bi >= 0 && bi < N) || bi != std::floor(bi)) {
      throw std::invalid_argument("roiAlign: boxes[" + std::to_string(k) + "] has batch index " + std::to_string(bi) + " outside [0, " + std::to_string(N) + ")");
    }
    const double x1 = acc[k][1] * scale - off, y1 = acc[k][2] * scale - off;
    double rw = acc[k][3] * scale - off - x1, rh = acc[k][4] * scale - off - y1;
    if (!aligned) rw = std::max(rw, 1.0), rh = std::max(rh, 1.0);
    const int64_t gh = samplingRatio > 0 ? samplingRatio : static_cast<int64_t>(std::ceil(rh / ph));
    const int64_t gw = samplingRatio > 0 ? samplingRatio : static_cast<int64_t>(std::ceil(rw / pw));
    if (gh <= 0 || gw <= 0) {  // empty RoI: torchvision averages zero samples to 0
      outs.push_back(at::zeros({C, ph, pw}, input.options()));
      continue;
    }
    const int64_t sh = ph * gh, sw = pw * gw;
    std::vector<double> grid(static_cast<size_t>(sh * sw * 2));
    for (int64_t i = 0; i < sh; i++) {
      const double y = y1 + (i / gh) * rh / ph + ((i % gh) + 0.5) * rh / ph / gh;
      for (int64_t j = 0; j < sw; j++) {
        const double x = x1 + (j / gw) * rw / pw + ((j % gw) + 0.5) * rw / pw / gw;
        double* g = &grid[static_cast<size_t>((i * sw + j) * 2)];
        if (y < -1.0 || y > H || x < -1.0 || x > W) {
          g[0] = g[1] = -10.0;  // far outside: zero padding samples 0 with no gradient
        } else {  // clamp to the border, then normalise for align_corners=false
          g[0] = (2 * std::min(std::max(x, 0.0), W - 1.0) + 1) / W - 1;
          g[1] = (2 * std::min(std::max(y, 0.0), H - 1.0) + 1) / H - 1;
        }
      }
    }
    const at::Tensor gt = at::from_blob(grid.data(), {1, sh, sw, 2}, at::kDouble)
                              .to(input.device(), input.scalar_type(), false, /*copy=*/true);
    const at::Tensor s = at::grid_sampler(input.narrow(0, static_cast<int64_t>(bi), 1), gt, 0, 0, false);
    outs.push_back(s.view({C, ph, gh, pw, gw}).mean({2, 4}));
  }
  if (outs.empty()) return at::zeros({0, C, ph, pw}, input.options());
  return at::stack(outs);
}

void RegisterNnOps(Napi::Env env, Napi::Object exports) {
  CVRL_OP("conv3d", (CheckBf16Convolution(a.t(0)), Conv3d(a.t(0), a.t(1), a.optT(2), a.ints(3), a.ints(4), a.ints(5), a.i(6))));
  CVRL_OP("conv2d", at::conv2d(a.t(0), a.t(1), a.optT(2), a.ints(3), a.ints(4), a.ints(5), a.i(6)));
  CVRL_OP("conv1d", at::conv1d(a.t(0), a.t(1), a.optT(2), a.ints(3), a.ints(4), a.ints(5), a.i(6)));
  CVRL_OP("linear", Linear(a.t(0), a.t(1), a.optT(2)));
  CVRL_OP("batchNorm", BatchNorm(a.t(0), a.optT(1), a.optT(2), a.optT(3), a.optT(4), a.b(5), a.d(6), a.d(7), a.b(8)));
  CVRL_OP("layerNorm", at::layer_norm(a.t(0), a.ints(1), a.optT(2), a.optT(3), a.d(4)));
  CVRL_OP("groupNorm", at::group_norm(a.t(0), a.i(1), a.optT(2), a.optT(3), a.d(4)));
  CVRL_OP("relu", at::relu(a.t(0)));
  CVRL_VOID("relu_", at::relu_(a.t(0)));
  CVRL_VOID("addRelu_", AddRelu_(a.t(0), a.t(1)));
  CVRL_OP("gelu", at::gelu(a.t(0)));
  CVRL_OP("leakyRelu", at::leaky_relu(a.t(0), a.scalar(1)));
  CVRL_OP("maxPool3d", MaxPool3d(a.t(0), a.ints(1), a.ints(2), a.ints(3), a.ints(4), a.b(5)));
  CVRL_OP("maxPool2d", at::max_pool2d(a.t(0), a.ints(1), a.ints(2), a.ints(3), a.ints(4), a.b(5)));
  CVRL_OP("avgPool3d", at::avg_pool3d(a.t(0), a.ints(1), a.ints(2), a.ints(3), a.b(4), a.b(5)));
  CVRL_OP("avgPool2d", at::avg_pool2d(a.t(0), a.ints(1), a.ints(2), a.ints(3), a.b(4), a.b(5)));
  CVRL_OP("adaptiveAvgPool3d", at::adaptive_avg_pool3d(a.t(0), a.ints(1)));
  CVRL_OP("adaptiveAvgPool2d", at::adaptive_avg_pool2d(a.t(0), a.ints(1)));
  CVRL_OP("dropout", at::dropout(a.t(0), a.d(1), a.b(2)));
  CVRL_OP("softmax", at::softmax(a.t(0), a.i(1)));
  CVRL_OP("logSoftmax", at::log_softmax(a.t(0), a.i(1)));
  CVRL_OP("interpolate", Interpolate(a.t(0), a.ints(1), a.s(2), a.b(3)));
  // roiAlign(input, boxes [K, 5], outputSize [ph, pw], spatialScale, samplingRatio, aligned)
  CVRL_OP("roiAlign", RoiAlign(a.t(0), a.t(1), a.ints(2), a.d(3), a.i(4), a.b(5)));
  CVRL_OP("gridSample", at::grid_sampler(a.t(0), a.t(1), GridMode(a.s(2)), GridPadding(a.s(3)), a.b(4)));
}

}  // namespace cvrl
