// Node-API face of the video reader and writer: every call runs on a libuv worker thread and
// resolves a promise, so decoding never blocks the JS thread. Arguments are checked in video_args.cc.
#include "common.h"
#include "video_args.h"
#include "frame_index_cache.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <utility>

extern "C" {
#include <libavutil/log.h>
}

namespace cvrl {

using video::Deadline;
using video::GetLimits;

// The deadline starts when a worker thread picks the call up: waiting behind other decodes is not a stall.
static Deadline CallDeadline(int64_t timeoutMs) { return Deadline::In(timeoutMs > 0 ? timeoutMs : GetLimits().timeoutMs); }

class ProbeWorker : public PromiseWorker {
 public:
  ProbeWorker(Napi::Env env, std::string path, int64_t timeoutMs) : PromiseWorker(env), path_(std::move(path)), timeoutMs_(timeoutMs) {}
  void Execute() override {
    try {
      video::VideoReader r(path_, 1, CallDeadline(timeoutMs_));
      info_ = r.probe();
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("container", info_.container);
    o.Set("codec", info_.codec);
    o.Set("width", info_.width);
    o.Set("height", info_.height);
    o.Set("storedWidth", info_.storedWidth);
    o.Set("storedHeight", info_.storedHeight);
    o.Set("sampleAspectRatio", info_.sampleAspectRatio);
    o.Set("fps", info_.fps);
    o.Set("frames", static_cast<double>(info_.frames));
    o.Set("duration", info_.duration);
    o.Set("rotation", info_.rotation);
    Resolve(o);
  }

 private:
  std::string path_;
  int64_t timeoutMs_;
  video::ProbeInfo info_;
};

class DecodeWorker : public PromiseWorker {
 public:
  DecodeWorker(Napi::Env env, video::DecodeRequest req) : PromiseWorker(env), req_(std::move(req)) {}

  void Execute() override {
    const Deadline deadline = CallDeadline(req_.timeoutMs);
    std::string firstError;
    for (int attempt = 0; attempt < 2; attempt++) {
      const bool seek = req_.seek && attempt == 0;
      try {
        Run(seek, deadline);
        retried_ = attempt > 0;
        if (retried_) firstError_ = firstError;
        return;
      } catch (const video::VideoTimeout& e) {
        // The call's time is spent: a sequential retry could only stall again.
        SetError(attempt == 0 ? e.what() : firstError + "; retry from the start: " + e.what());
        return;
      } catch (const std::exception& e) {
        if (attempt == 0) firstError = e.what();
        else SetError(firstError == e.what() ? firstError : firstError + "; retry from the start: " + e.what());
      }
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("frames", WrapTensor(env, out_));
    o.Set("frameCount", static_cast<double>(frameCount_));
    o.Set("retried", retried_);
    o.Set("decodedFrames", static_cast<double>(decodedFrames_));
    if (retried_) o.Set("firstError", firstError_);
    Resolve(o);
  }

 private:
  void Run(bool seek, const Deadline& deadline) {
    video::VideoReader reader(req_.path, req_.decoderThreads, deadline);
    int h = 0, w = 0;
    reader.resolveSize(req_.size, h, w);
    const int64_t clips = static_cast<int64_t>(req_.starts.size()), T = req_.frames;
    // Checked before indexing or allocating: in double, since the product may not fit in int64.
    const double bytes = static_cast<double>(clips) * T * h * w * 3;
    const int64_t limit = GetLimits().maxOutputBytes;
    if (bytes > static_cast<double>(limit)) {
      throw video::VideoError(reader.name() + ": frame too large for this request: [" + std::to_string(clips) + ", " + std::to_string(T) + ", " +
                              std::to_string(h) + ", " + std::to_string(w) + ", 3] would take " + std::to_string(static_cast<int64_t>(bytes / (1 << 20))) +
                              " MiB, beyond the limit of " + std::to_string(limit >> 20) + " MiB (maxOutputBytes)");
    }
    const int64_t n = static_cast<int64_t>(reader.index().pts.size());
    frameCount_ = n;
    out_ = at::empty({clips, T, h, w, 3}, at::TensorOptions().dtype(at::kByte));
    // (source frame, output slot) pairs sorted by frame; frames past the end loop to the start.
    std::vector<std::pair<int64_t, int64_t>> slots;
    slots.reserve(static_cast<size_t>(clips * T));
    for (int64_t c = 0; c < clips; c++) {
      for (int64_t t = 0; t < T; t++) slots.emplace_back((req_.starts[c] + t * req_.stride) % n, c * T + t);
    }
    std::sort(slots.begin(), slots.end());
    std::vector<int64_t> wanted;
    for (const auto& s : slots) {
      if (wanted.empty() || wanted.back() != s.first) wanted.push_back(s.first);
    }
    const size_t frameBytes = static_cast<size_t>(h) * w * 3;
    uint8_t* base = out_.data_ptr<uint8_t>();
    reader.decode(wanted, h, w, seek, [&](int64_t f, const uint8_t* rgb) {
      auto it = std::lower_bound(slots.begin(), slots.end(), std::make_pair(f, int64_t{-1}));
      for (; it != slots.end() && it->first == f; ++it) std::memcpy(base + it->second * frameBytes, rgb, frameBytes);
    }, req_.skipNonRef, &decodedFrames_);
  }

  video::DecodeRequest req_;
  at::Tensor out_;
  int64_t frameCount_ = 0;
  bool retried_ = false;
  int64_t decodedFrames_ = 0;  // over all attempts
  std::string firstError_;
};

class EncodeWorker : public PromiseWorker {
 public:
  EncodeWorker(Napi::Env env, video::EncodeRequest req) : PromiseWorker(env), req_(std::move(req)) {}
  void Execute() override {
    try {
      video::WriteVideo(req_.path, req_.frames, req_.opts);
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override { Resolve(Env().Undefined()); }

 private:
  video::EncodeRequest req_;
};

class AugmentWorker : public PromiseWorker {
 public:
  AugmentWorker(Napi::Env env, video::AugmentRequest req) : PromiseWorker(env), req_(std::move(req)) {}
  void Execute() override {
    try {
      out_ = video::AugmentClip(req_.frames, req_.params, req_.spec, req_.out);
    } catch (const c10::Error& e) {
      SetError(e.what_without_backtrace());
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override { Resolve(WrapTensor(Env(), out_)); }

 private:
  video::AugmentRequest req_;
  at::Tensor out_;
};

static Napi::Object LimitsObject(Napi::Env env, const video::Limits& l) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("maxFramePixels", static_cast<double>(l.maxFramePixels));
  o.Set("maxAspectRatio", l.maxAspectRatio);
  o.Set("maxOutputBytes", static_cast<double>(l.maxOutputBytes));
  o.Set("maxFrames", static_cast<double>(l.maxFrames));
  o.Set("indexCacheBytes", static_cast<double>(l.indexCacheBytes));
  o.Set("timeoutMs", static_cast<double>(l.timeoutMs));
  return o;
}

template <typename W, typename... A>
static Napi::Value Queue(Napi::Env env, A&&... args) {
  auto* w = new W(env, std::forward<A>(args)...);
  w->Queue();
  return w->Promise();
}

void RegisterVideo(Napi::Env env, Napi::Object exports) {
  // FFmpeg's own logging would interleave with ours; failures are reported through errors instead.
  const char* level = std::getenv("CVRL_FFMPEG_LOG");
  av_log_set_level(level ? std::atoi(level) : AV_LOG_QUIET);
  exports.Set("probeVideo", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    return Guard(info, [&](Args& a) -> Napi::Value {
      int64_t timeoutMs = 0;
      std::string path = video::ParseProbe(info, timeoutMs);
      return Queue<ProbeWorker>(a.env(), std::move(path), timeoutMs);
    });
  }, "probeVideo"));
  exports.Set("decodeClips", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    return Guard(info, [&](Args& a) -> Napi::Value { return Queue<DecodeWorker>(a.env(), video::ParseDecode(info)); });
  }, "decodeClips"));
  exports.Set("augmentClip", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    return Guard(info, [&](Args& a) -> Napi::Value { return Queue<AugmentWorker>(a.env(), video::ParseAugment(info)); });
  }, "augmentClip"));
  // Synchronous, on the calling thread and libtorch's intra-op threads: a batch's clips augmented
  // between training steps share the step's threads instead of preempting them from libuv workers.
  exports.Set("augmentClips", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    return Guard(info, [&](Args& a) -> Napi::Value {
      const std::vector<video::AugmentRequest> reqs = video::ParseAugmentBatch(info);
      at::parallel_for(0, static_cast<int64_t>(reqs.size()), 1, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; i++) video::AugmentClip(reqs[i].frames, reqs[i].params, reqs[i].spec, reqs[i].out);
      });
      return a.env().Undefined();
    });
  }, "augmentClips"));
  exports.Set("encodeVideo", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    return Guard(info, [&](Args& a) -> Napi::Value { return Queue<EncodeWorker>(a.env(), video::ParseEncode(info)); });
  }, "encodeVideo"));
  exports.Set("videoLimits", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    return LimitsObject(info.Env(), GetLimits());
  }, "videoLimits"));
  exports.Set("setVideoLimits", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    return Guard(info, [&](Args& a) -> Napi::Value {
      video::SetLimits(video::ParseLimits(info, GetLimits()));
      return LimitsObject(a.env(), GetLimits());
    });
  }, "setVideoLimits"));
  exports.Set("videoIndexCacheStats", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    const auto s = video::IndexCache::Stats();
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("entries", static_cast<double>(s.first));
    o.Set("bytes", static_cast<double>(s.second));
    return o;
  }, "videoIndexCacheStats"));
}

}  // namespace cvrl
