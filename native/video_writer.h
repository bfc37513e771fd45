// Encodes uint8 RGB frames to a video file (container from the file name) with FFmpeg.
#pragma once
#include <ATen/core/Tensor.h>

#include <string>

namespace cvrl::video {

struct EncodeOptions {
  std::string codec = "h264";  // h264 | mpeg4 | mjpeg | vp9
  int fps = 25;
  int gop = 12;  // keyframe interval
  int crf = 23;  // quality for h264 / vp9
  int bframes = 0;  // B-frames between references (h264, mpeg4)
};

// frames: contiguous uint8 [T, H, W, 3]. Throws std::runtime_error naming the file on failure.
void WriteVideo(const std::string& path, const at::Tensor& frames, const EncodeOptions& o);

}  // namespace cvrl::video
