// Temporally consistent spatial augmentation of decoded clips, fused per frame, run on worker threads.
// Computes what src/video/augment.ts computes op by op (tests check one against the other).
#pragma once
#include <ATen/ATen.h>

#include <array>
#include <vector>

namespace cvrl::video {

struct AugParams {
  int64_t top = 0, left = 0, height = 0, width = 0;
  bool flip = false;
  bool jitter = false;
  std::vector<int> order{0, 1, 2, 3};  // the jitter ops to run, in order: 0 brightness, 1 contrast, 2 saturation, 3 hue
  double brightness = 1, contrast = 1, saturation = 1, hue = 0;
  bool grayscale = false;
  double blurSigma = 0;  // <= 0: no blur
  bool solarize = false;
};

struct AugSpec {
  int64_t size = 112;
  int64_t blurKernel = 11;
  std::array<double, 3> mean{0.45, 0.45, 0.45};
  std::array<double, 3> std{0.225, 0.225, 0.225};
};

// frames: uint8 [T, H, W, 3]; params: one set (consistent) or one per frame. Returns float [3, T, S, S],
// written into `out` when it is defined (contiguous, that shape: checked by the caller).
at::Tensor AugmentClip(const at::Tensor& frames, const std::vector<AugParams>& params, const AugSpec& spec, at::Tensor out = {});

}  // namespace cvrl::video
