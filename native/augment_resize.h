// The first step of the fused augmentation (augment.cc): a crop of a uint8 RGB frame, resized
// bilinearly to S x S float planes in [0, 1], optionally mirrored.
#pragma once
#include "augment.h"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace cvrl::video {

struct Planes {
  float *r, *g, *b;
  int64_t n;
};

inline float Clamp01(float v) { return std::min(1.0f, std::max(0.0f, v)); }

// Source taps of at::upsample_bilinear2d (align_corners=false) for one axis.
struct Taps {
  std::vector<int64_t> i0, i1;
  std::vector<float> w0, w1;
};

// mirrored: the taps in reverse order (a horizontal flip of the output).
Taps BilinearTaps(int64_t in, int64_t out, bool mirrored = false);

// Floats of scratch ResizeCrop needs for S x S output from frames W pixels wide.
int64_t ResizeScratchFloats(int64_t S, int64_t W);

// The crop p.top/left/height/width of an HWC frame W pixels wide into o (S * S floats per plane);
// tx mirrored for a flip.
void ResizeCrop(const uint8_t* frame, int64_t W, const AugParams& p, const Taps& ty, const Taps& tx, int64_t S, Planes o, float* scratch);

}  // namespace cvrl::video
