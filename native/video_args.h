// Checked JS arguments of the video entry points: probeVideo, decodeClips, encodeVideo and
// setVideoLimits (video_args.cc), augmentClip and augmentClips (augment_args.cc), read with
// js_args.h: doubles from JS are validated before any cast (NaN, Infinity, 1e300 and sums that
// overflow int64 never reach C++ arithmetic); errors are TypeError (wrong type, NUL in a string,
// non-CPU tensor) or RangeError (bad value), and name the function and the field.
#pragma once
#include <napi.h>
#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "augment.h"
#include "video_limits.h"
#include "video_reader.h"
#include "video_writer.h"

namespace cvrl::video {

struct DecodeRequest {
  std::string path;
  std::vector<int64_t> starts;
  int64_t frames = 16;
  int64_t stride = 1;
  OutputSize size;
  int decoderThreads = 1;
  bool seek = true;
  bool skipNonRef = true;
  int64_t timeoutMs = 0;
};

struct AugmentRequest {
  at::Tensor frames;
  std::vector<AugParams> params;
  AugSpec spec;
  // Where to write the clip (float [3, T, S, S], contiguous), e.g. one row of a batch; undefined: a new tensor.
  at::Tensor out;
};

struct EncodeRequest {
  std::string path;
  at::Tensor frames;
  EncodeOptions opts;
};

// probeVideo(path, { timeoutMs }?) -> path; timeoutMs (0 when not given: the limits' default).
std::string ParseProbe(const Napi::CallbackInfo& info, int64_t& timeoutMs);
// decodeClips(path, starts[], frames, stride, { shortSide?, height?, width?, decoderThreads?, seek?, skipNonRef?, timeoutMs? })
DecodeRequest ParseDecode(const Napi::CallbackInfo& info);
// augmentClip(uint8 [T, H, W, 3], ClipParams[] (1: consistent, or T), { size, blurKernel, mean, std })
AugmentRequest ParseAugment(const Napi::CallbackInfo& info);
// augmentClips([[frames, params, spec, out], ...]): augmentClip's arguments per clip, `out` required.
std::vector<AugmentRequest> ParseAugmentBatch(const Napi::CallbackInfo& info);
// encodeVideo(path, uint8 [T, H, W, 3], { fps, codec, gop, crf, bframes })
EncodeRequest ParseEncode(const Napi::CallbackInfo& info);
// setVideoLimits({ maxFramePixels?, maxAspectRatio?, maxOutputBytes?, maxFrames?, indexCacheBytes?, timeoutMs? })
Limits ParseLimits(const Napi::CallbackInfo& info, Limits base);

}  // namespace cvrl::video
