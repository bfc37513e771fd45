// FFmpeg-backed video reading with exact frame indexing. No Node-API here: the bindings run these
// functions on libuv worker threads. Frame i is the i-th frame a full sequential decode outputs.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "video_limits.h"

namespace cvrl::video {

struct VideoError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The call's deadline passed (a stalled or very slow read): not worth a retry from the start.
struct VideoTimeout : VideoError {
  using VideoError::VideoError;
};

struct ProbeInfo {
  std::string container;
  std::string codec;
  int width = 0;  // as displayed: sample aspect ratio and rotation applied
  int height = 0;
  int storedWidth = 0;  // as coded in the stream
  int storedHeight = 0;
  double sampleAspectRatio = 1;
  double fps = 0;
  int64_t frames = 0;
  double duration = 0;
  int rotation = 0;
};

// Presentation timestamps of every video packet in presentation order, with keyframe flags.
struct FrameIndex {
  std::vector<int64_t> pts;
  std::vector<uint8_t> key;
};

struct OutputSize {
  int shortSide = 0;  // resize so that min(h, w) == shortSide, keeping the aspect ratio
  int height = 0;     // or an exact size
  int width = 0;
};

class VideoReader {
 public:
  // Refuses paths that are not regular files (a FIFO would block in open(2)), local files only, video
  // containers only; every FFmpeg call gives up when `deadline` passes (VideoTimeout).
  VideoReader(const std::string& path, int decoderThreads, const Deadline& deadline);
  ~VideoReader();
  VideoReader(const VideoReader&) = delete;
  VideoReader& operator=(const VideoReader&) = delete;

  // The path as errors name it (with the target of a symbolic link).
  const std::string& name() const;
  ProbeInfo probe();
  const FrameIndex& index();
  // Output size for a request, rounded to whole pixels, from the displayed size (sample aspect ratio
  // and display rotation applied). Throws VideoError for frames too large or too elongated (Limits).
  void resolveSize(const OutputSize& s, int& h, int& w) const;

  // Decodes the given frame indices (sorted, unique) and calls `sink(index, rgb)` with each frame
  // converted to RGB24 at h x w, as displayed (rotated like the ffmpeg CLI does by default). With `seek`, jumps to the keyframe before a target when that is
  // shorter than decoding forward; without, decodes sequentially from the start (the retry path).
  // Throws VideoError on any decoder error or when a requested frame never appears.
  // `skipNonRef` lets the decoder drop unwanted non-reference frames (see decode() in the .cc for
  // when that applies); `decodedFrames`, when given, is increased by each frame the decoder outputs.
  void decode(const std::vector<int64_t>& wanted, int h, int w, bool seek,
              const std::function<void(int64_t, const uint8_t*)>& sink, bool skipNonRef = true,
              int64_t* decodedFrames = nullptr);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cvrl::video
