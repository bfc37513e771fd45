// Bounds on what one video file may cost the process (memory, time). One bad file among hundreds of
// thousands must fail alone with a clear error, not exhaust memory or hang the run.
#pragma once
#include <chrono>
#include <cstdint>
#include <mutex>

namespace cvrl::video {

struct Limits {
  int64_t maxFramePixels = 8192LL * 8192;  // width * height of a decoded (or displayed) frame
  double maxAspectRatio = 8;               // long side / short side when resizing by the short side
  int64_t maxOutputBytes = 1LL << 30;      // one decode call's uint8 output tensor
  int64_t maxFrames = 1 << 21;             // video packets indexed per file (about 23 h at 25 fps)
  int64_t indexCacheBytes = 256LL << 20;   // the frame-index cache, all files together
  int64_t timeoutMs = 60000;               // default deadline of one probe or decode call
};

// Process-wide, copied once per call (workers on other threads see a consistent set).
inline std::mutex& LimitsMutex() {
  static std::mutex m;
  return m;
}
inline Limits& LimitsStore() {
  static Limits l;
  return l;
}
inline Limits GetLimits() {
  std::lock_guard<std::mutex> lock(LimitsMutex());
  return LimitsStore();
}
inline void SetLimits(const Limits& l) {
  std::lock_guard<std::mutex> lock(LimitsMutex());
  LimitsStore() = l;
}

// The deadline of one probe or decode call: FFmpeg's interrupt callback and the decode loop check it.
struct Deadline {
  std::chrono::steady_clock::time_point at;
  int64_t ms = 0;
  static Deadline In(int64_t ms) { return Deadline{std::chrono::steady_clock::now() + std::chrono::milliseconds(ms), ms}; }
  bool Passed() const { return std::chrono::steady_clock::now() > at; }
};

}  // namespace cvrl::video
