// Node-API face of the video reader and writer: every call runs on a libuv worker thread and
// resolves a promise, so decoding never blocks the JS thread.
#include "common.h"
#include "video_reader.h"
#include "video_writer.h"
#include "augment.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

extern "C" {
#include <libavutil/log.h>
}

namespace cvrl {

class ProbeWorker : public PromiseWorker {
 public:
  ProbeWorker(Napi::Env env, std::string path) : PromiseWorker(env), path_(std::move(path)) {}
  void Execute() override {
    try {
      video::VideoReader r(path_);
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
    o.Set("fps", info_.fps);
    o.Set("frames", static_cast<double>(info_.frames));
    o.Set("duration", info_.duration);
    o.Set("rotation", info_.rotation);
    Resolve(o);
  }

 private:
  std::string path_;
  video::ProbeInfo info_;
};

struct DecodeRequest {
  std::string path;
  std::vector<int64_t> starts;
  int64_t frames = 16;
  int64_t stride = 1;
  video::OutputSize size;
  int decoderThreads = 1;
  bool seek = true;
  bool skipNonRef = true;
};

class DecodeWorker : public PromiseWorker {
 public:
  DecodeWorker(Napi::Env env, DecodeRequest req) : PromiseWorker(env), req_(std::move(req)) {}

  void Execute() override {
    std::string firstError;
    for (int attempt = 0; attempt < 2; attempt++) {
      const bool seek = req_.seek && attempt == 0;
      try {
        Run(seek);
        retried_ = attempt > 0;
        if (retried_) firstError_ = firstError;
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
  void Run(bool seek) {
    video::VideoReader reader(req_.path, req_.decoderThreads);
    const int64_t n = static_cast<int64_t>(reader.index().pts.size());
    frameCount_ = n;
    int h = 0, w = 0;
    reader.resolveSize(req_.size, h, w);
    const int64_t clips = static_cast<int64_t>(req_.starts.size()), T = req_.frames;
    out_ = at::empty({clips, T, h, w, 3}, at::TensorOptions().dtype(at::kByte));
    // Which (clip, t) slots each source frame fills; frames past the end loop to the start.
    std::vector<std::vector<int64_t>> slots(static_cast<size_t>(n));
    std::vector<int64_t> wanted;
    for (int64_t c = 0; c < clips; c++) {
      for (int64_t t = 0; t < T; t++) {
        int64_t f = req_.starts[c] + t * req_.stride;
        if (f < 0) throw video::VideoError(req_.path + ": negative frame index " + std::to_string(f));
        f %= n;
        if (slots[f].empty()) wanted.push_back(f);
        slots[f].push_back(c * T + t);
      }
    }
    std::sort(wanted.begin(), wanted.end());
    const size_t frameBytes = static_cast<size_t>(h) * w * 3;
    uint8_t* base = out_.data_ptr<uint8_t>();
    reader.decode(wanted, h, w, seek, [&](int64_t f, const uint8_t* rgb) {
      for (int64_t slot : slots[f]) std::memcpy(base + slot * frameBytes, rgb, frameBytes);
    }, req_.skipNonRef, &decodedFrames_);
  }

  DecodeRequest req_;
  at::Tensor out_;
  int64_t frameCount_ = 0;
  bool retried_ = false;
  int64_t decodedFrames_ = 0;  // over all attempts
  std::string firstError_;
};

class EncodeWorker : public PromiseWorker {
 public:
  EncodeWorker(Napi::Env env, std::string path, at::Tensor frames, video::EncodeOptions opts)
      : PromiseWorker(env), path_(std::move(path)), frames_(std::move(frames)), opts_(std::move(opts)) {}
  void Execute() override {
    try {
      video::WriteVideo(path_, frames_, opts_);
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override { Resolve(Env().Undefined()); }

 private:
  std::string path_;
  at::Tensor frames_;
  video::EncodeOptions opts_;
};

class AugmentWorker : public PromiseWorker {
 public:
  AugmentWorker(Napi::Env env, at::Tensor frames, std::vector<video::AugParams> params, video::AugSpec spec)
      : PromiseWorker(env), frames_(std::move(frames)), params_(std::move(params)), spec_(spec) {}
  void Execute() override {
    try {
      out_ = video::AugmentClip(frames_, params_, spec_);
    } catch (const c10::Error& e) {
      SetError(e.what_without_backtrace());
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override { Resolve(WrapTensor(Env(), out_)); }

 private:
  at::Tensor frames_, out_;
  std::vector<video::AugParams> params_;
  video::AugSpec spec_;
};

static double Num(const Napi::Object& o, const char* key, double def) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : def;
}

// One ClipParams object from src/video/augment-params.ts.
static video::AugParams ParseParams(const Napi::Object& o) {
  video::AugParams p;
  Napi::Object crop = o.Get("crop").As<Napi::Object>();
  p.top = static_cast<int64_t>(Num(crop, "top", 0));
  p.left = static_cast<int64_t>(Num(crop, "left", 0));
  p.height = static_cast<int64_t>(Num(crop, "height", 0));
  p.width = static_cast<int64_t>(Num(crop, "width", 0));
  p.flip = o.Get("flip").ToBoolean().Value();
  Napi::Value j = o.Get("jitter");
  if (j.IsObject()) {
    Napi::Object jo = j.As<Napi::Object>();
    p.jitter = true;
    Napi::Array order = jo.Get("order").As<Napi::Array>();
    p.order.clear();
    for (uint32_t k = 0; k < order.Length(); k++) p.order.push_back(order.Get(k).As<Napi::Number>().Int32Value());
    p.brightness = Num(jo, "brightness", 1);
    p.contrast = Num(jo, "contrast", 1);
    p.saturation = Num(jo, "saturation", 1);
    p.hue = Num(jo, "hue", 0);
  }
  p.grayscale = o.Get("grayscale").ToBoolean().Value();
  p.blurSigma = Num(o, "blur", 0);
  p.solarize = o.Get("solarize").ToBoolean().Value();
  return p;
}

static int IntOpt(const Napi::Object& o, const char* key, int def) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().Int32Value() : def;
}

void RegisterVideo(Napi::Env env, Napi::Object exports) {
  // FFmpeg's own logging would interleave with ours; failures are reported through errors instead.
  const char* level = std::getenv("CVRL_FFMPEG_LOG");
  av_log_set_level(level ? std::atoi(level) : AV_LOG_QUIET);
  exports.Set("probeVideo", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    return Guard(info, [](Args& a) -> Napi::Value {
      auto* w = new ProbeWorker(a.env(), a.s(0));
      w->Queue();
      return w->Promise();
    });
  }, "probeVideo"));
  // decodeClips(path, starts[], frames, stride, { shortSide?, height?, width?, decoderThreads?, seek?, skipNonRef? })
  exports.Set("decodeClips", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    return Guard(info, [](Args& a) -> Napi::Value {
      DecodeRequest r;
      r.path = a.s(0);
      r.starts = a.ints(1);
      r.frames = a.i(2);
      r.stride = a.i(3);
      if (r.frames < 1 || r.stride < 1) ArgError(a.env(), 2, "frames and stride must be positive");
      if (r.starts.empty()) ArgError(a.env(), 1, "need at least one clip start");
      if (a.has(4)) {
        Napi::Object o = a.raw(4).As<Napi::Object>();
        r.size.shortSide = IntOpt(o, "shortSide", 0);
        r.size.height = IntOpt(o, "height", 0);
        r.size.width = IntOpt(o, "width", 0);
        r.decoderThreads = IntOpt(o, "decoderThreads", 1);
        Napi::Value s = o.Get("seek");
        if (s.IsBoolean()) r.seek = s.As<Napi::Boolean>().Value();
        Napi::Value k = o.Get("skipNonRef");
        if (k.IsBoolean()) r.skipNonRef = k.As<Napi::Boolean>().Value();
      }
      auto* w = new DecodeWorker(a.env(), std::move(r));
      w->Queue();
      return w->Promise();
    });
  }, "decodeClips"));
  // augmentClip(uint8 [T, H, W, 3], ClipParams[] (1: consistent, or T), { size, blurKernel, mean, std }) -> float [3, T, S, S]
  exports.Set("augmentClip", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    return Guard(info, [](Args& a) -> Napi::Value {
      at::Tensor frames = a.t(0);
      if (frames.scalar_type() != at::kByte || frames.dim() != 4 || frames.size(3) != 3) ArgError(a.env(), 0, "expected uint8 frames [T, H, W, 3]");
      Napi::Array arr = a.raw(1).As<Napi::Array>();
      std::vector<video::AugParams> params;
      for (uint32_t k = 0; k < arr.Length(); k++) {
        video::AugParams p = ParseParams(arr.Get(k).As<Napi::Object>());
        if (p.top < 0 || p.left < 0 || p.height < 1 || p.width < 1 || p.top + p.height > frames.size(1) || p.left + p.width > frames.size(2)) {
          ArgError(a.env(), 1, "crop box outside the frame");
        }
        if (std::any_of(p.order.begin(), p.order.end(), [](int op) { return op < 0 || op > 3; })) ArgError(a.env(), 1, "jitter order entries must be 0-3");
        params.push_back(p);
      }
      if (params.size() != 1 && static_cast<int64_t>(params.size()) != frames.size(0)) ArgError(a.env(), 1, "need one parameter set, or one per frame");
      Napi::Object so = a.raw(2).As<Napi::Object>();
      video::AugSpec spec;
      spec.size = static_cast<int64_t>(Num(so, "size", 112));
      spec.blurKernel = static_cast<int64_t>(Num(so, "blurKernel", 0));
      Napi::Array mean = so.Get("mean").As<Napi::Array>(), stdv = so.Get("std").As<Napi::Array>();
      for (uint32_t k = 0; k < 3; k++) {
        spec.mean[k] = mean.Get(k).As<Napi::Number>().DoubleValue();
        spec.std[k] = stdv.Get(k).As<Napi::Number>().DoubleValue();
      }
      auto* w = new AugmentWorker(a.env(), frames, std::move(params), spec);
      w->Queue();
      return w->Promise();
    });
  }, "augmentClip"));
  // encodeVideo(path, uint8 [T, H, W, 3], { fps, codec, gop, crf, bframes })
  exports.Set("encodeVideo", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    return Guard(info, [](Args& a) -> Napi::Value {
      video::EncodeOptions o;
      if (a.has(2)) {
        Napi::Object opts = a.raw(2).As<Napi::Object>();
        o.fps = IntOpt(opts, "fps", 25);
        o.gop = IntOpt(opts, "gop", 12);
        o.crf = IntOpt(opts, "crf", 23);
        o.bframes = IntOpt(opts, "bframes", 0);
        Napi::Value c = opts.Get("codec");
        if (c.IsString()) o.codec = c.As<Napi::String>().Utf8Value();
      }
      at::Tensor t = a.t(1).contiguous();
      if (t.scalar_type() != at::kByte || t.dim() != 4 || t.size(3) != 3) ArgError(a.env(), 1, "expected uint8 frames [T, H, W, 3]");
      auto* w = new EncodeWorker(a.env(), a.s(0), t, o);
      w->Queue();
      return w->Promise();
    });
  }, "encodeVideo"));
}

}  // namespace cvrl
