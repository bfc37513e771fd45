// The sampling grid of pseudo-motion clips (src/video/pseudo-motion.ts) in one native pass instead
// of a JS loop per pixel: output frame k of clip i reads its still frame at affine k of p inside clip
// i's box and at the still affine of p outside, p in grid_sample's normalised coordinates (pixel
// centres, align_corners false). Computed in double and rounded to float, as that loop did.
#include "common.h"

namespace cvrl {

namespace {

at::Tensor PseudoMotionGrid(const at::Tensor& affinesIn, const at::Tensor& boxesIn, const at::Tensor& stillIn, int64_t h, int64_t w) {
  const at::Tensor affines = affinesIn.to(at::kDouble).contiguous(), boxes = boxesIn.to(at::kDouble).contiguous(), still = stillIn.to(at::kDouble).contiguous();
  TORCH_CHECK(affines.dim() == 2 && affines.size(1) == 6, "pseudoMotionGrid: affines must be [frames, 6], got ", affines.sizes());
  TORCH_CHECK(boxes.dim() == 2 && boxes.size(1) == 4 && boxes.size(0) >= 1, "pseudoMotionGrid: boxes must be [clips, 4], got ", boxes.sizes());
  TORCH_CHECK(still.numel() == 6, "pseudoMotionGrid: the still affine needs 6 entries, got ", still.numel());
  TORCH_CHECK(h >= 1 && w >= 1, "pseudoMotionGrid: frame size must be positive, got ", h, "x", w);
  const int64_t clips = boxes.size(0), frames = affines.size(0);
  TORCH_CHECK(frames % clips == 0, "pseudoMotionGrid: ", frames, " affines do not split over ", clips, " clips");
  const int64_t t = frames / clips;
  at::Tensor grid = at::empty({frames, h, w, 2}, at::kFloat);
  const double *A = affines.data_ptr<double>(), *box = boxes.data_ptr<double>(), *S = still.data_ptr<double>();
  float* o = grid.data_ptr<float>();
  for (int64_t k = 0; k < frames; k++) {
    const double* m = A + k * 6;
    const double* b = box + (k / t) * 4;  // x0, y0, x1, y1 in [0, 1]
    for (int64_t yy = 0; yy < h; yy++) {
      const double py = (static_cast<double>(yy) + 0.5) / static_cast<double>(h), y = py * 2 - 1;
      const bool rowInBox = py >= b[1] && py <= b[3];
      for (int64_t xx = 0; xx < w; xx++, o += 2) {
        const double px = (static_cast<double>(xx) + 0.5) / static_cast<double>(w), xn = px * 2 - 1;
        const double* a = rowInBox && px >= b[0] && px <= b[2] ? m : S;
        o[0] = static_cast<float>(a[0] * xn + a[1] * y + a[2]);
        o[1] = static_cast<float>(a[3] * xn + a[4] * y + a[5]);
      }
    }
  }
  return grid;
}

}  // namespace

void RegisterPseudoMotionOps(Napi::Env env, Napi::Object exports) {
  CVRL_OP("pseudoMotionGrid", PseudoMotionGrid(a.t(0), a.t(1), a.t(2), a.i(3), a.i(4)));
}

}  // namespace cvrl
