// VideoReader's state, shared by the files that implement it: video_open.cc (path checks, demuxer,
// decoder, packet index), video_display.cc (probe, displayed size, conversion to RGB with rotation)
// and video_reader.cc (the decode loop).
#pragma once
#include "av_error.h"
#include "video_limits.h"
#include "video_reader.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>
}

#include <string>
#include <vector>

namespace cvrl::video {

struct VideoReader::Impl {
  std::string path;
  std::string name;  // how errors name the file: the path, plus its target for a symbolic link
  Deadline deadline;
  Limits limits;
  AVFormatContext* fmt = nullptr;
  AVCodecContext* dec = nullptr;
  SwsContext* sws = nullptr;
  AVPacket* pkt = nullptr;
  AVFrame* frame = nullptr;
  int stream = -1;
  int decoderThreads = 1;
  bool fast = true;
  bool indexed = false;
  bool countMode = false;  // frames indexed by decode order (no presentation timestamps)
  FrameIndex idx;
  // As displayed (video_display.cc): clockwise rotation 0/90/180/270, sample aspect ratio, size.
  int rotation = 0;
  AVRational sar{1, 1};
  int displayW = 0, displayH = 0;
  std::vector<uint8_t> planes, rgb, rotated;

  ~Impl();
  [[noreturn]] void Fail(const std::string& what) const { throw VideoError(name + ": " + what); }
  [[noreturn]] void TimedOut(const std::string& during) const {
    throw VideoTimeout(name + ": timed out after " + std::to_string(deadline.ms) + " ms while " + during +
                       " (a stalled or very slow read; see timeoutMs)");
  }
  // A negative FFmpeg result is an error; after the deadline (the interrupt callback fired) a timeout.
  void Check(int r, const std::string& what) const {
    if (r >= 0) return;
    if (r == AVERROR_EXIT || deadline.Passed()) TimedOut(what);
    Fail(what + " (" + AvErr(r) + ")");
  }

  void CheckPath();     // regular files only; names symbolic links' targets in errors
  void Open();          // demuxer (local files, video containers only) and decoder
  void OpenDecoder();
  void BuildIndex();
  void Rewind() { Open(); }  // seeking to "the start" is unreliable across demuxers
  void SeekToKeyframe(int64_t k);
  int64_t IndexOf(int64_t pts) const;
  void ReadDisplay();   // rotation, sar and displayed size from the stream headers
  // The frame as displayed at h x w RGB24 (rotated; the sample aspect ratio follows from h x w).
  const uint8_t* Convert(const AVFrame* f, int h, int w);
};

}  // namespace cvrl::video
