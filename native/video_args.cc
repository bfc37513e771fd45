// Argument checks of the video entry points (see video_args.h). Every number is checked as a double
// (finite, integral where needed, within bounds that keep later int64 arithmetic exact) before a cast.
#include "video_args.h"

#include "js_args.h"

namespace cvrl::video {

using namespace js;  // NOLINT: the argument readers

namespace {

int64_t Timeout(Napi::Env env, const Field& f, const Napi::Value& v) {
  return OptInt(env, f, v, 1, 7 * 24 * 3600 * 1000.0, 0);
}

}  // namespace

std::string ParseProbe(const Napi::CallbackInfo& info, int64_t& timeoutMs) {
  Napi::Env env = info.Env();
  std::string path = Str(env, "probeVideo: path", Arg(info, 0));
  timeoutMs = 0;
  if (Given(Arg(info, 1))) timeoutMs = Timeout(env, "probeVideo: options.timeoutMs", Obj(env, "probeVideo: options", Arg(info, 1)).Get("timeoutMs"));
  return path;
}

DecodeRequest ParseDecode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  DecodeRequest r;
  r.path = Str(env, "decodeClips: path", Arg(info, 0));
  Napi::Array starts = Arr(env, "decodeClips: starts", Arg(info, 1));
  if (starts.Length() == 0) RangeErr(env, "decodeClips: starts", "needs at least one clip start");
  const Field sf("decodeClips: starts");
  for (uint32_t k = 0; k < starts.Length(); k++) r.starts.push_back(Int(env, Field(sf, "", k), starts.Get(k), 0, kMaxSafe));
  r.frames = Int(env, "decodeClips: frames", Arg(info, 2), 1, 1 << 20);
  r.stride = Int(env, "decodeClips: stride", Arg(info, 3), 1, 1 << 20);
  // Bounds the per-frame bookkeeping even when frames are tiny (output bytes are bounded later).
  if (static_cast<double>(r.starts.size()) * r.frames > (1 << 22)) RangeErr(env, "decodeClips: starts", "x frames asks for more than 4194304 frames in one call");
  if (!Given(Arg(info, 4))) return r;
  Napi::Object o = Obj(env, "decodeClips: options", Arg(info, 4));
  const Field p("decodeClips: options.");
  r.size.shortSide = static_cast<int>(OptInt(env, Field(p, "shortSide"), o.Get("shortSide"), 1, kMaxSide, 0));
  r.size.height = static_cast<int>(OptInt(env, Field(p, "height"), o.Get("height"), 1, kMaxSide, 0));
  r.size.width = static_cast<int>(OptInt(env, Field(p, "width"), o.Get("width"), 1, kMaxSide, 0));
  if ((r.size.height > 0) != (r.size.width > 0)) RangeErr(env, Field(p, "height"), "and options.width must be given together");
  if (r.size.shortSide > 0 && r.size.height > 0) RangeErr(env, Field(p, "shortSide"), "cannot be combined with options.height and options.width");
  r.decoderThreads = static_cast<int>(OptInt(env, Field(p, "decoderThreads"), o.Get("decoderThreads"), 1, 64, 1));
  r.seek = OptBool(env, Field(p, "seek"), o.Get("seek"), true);
  r.skipNonRef = OptBool(env, Field(p, "skipNonRef"), o.Get("skipNonRef"), true);
  r.timeoutMs = Timeout(env, Field(p, "timeoutMs"), o.Get("timeoutMs"));
  return r;
}

// One ClipParams object from src/video/augment-params.ts.
EncodeRequest ParseEncode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EncodeRequest r;
  r.path = Str(env, "encodeVideo: path", Arg(info, 0));
  r.frames = Frames(env, "encodeVideo: frames", Arg(info, 1), 1).contiguous();
  if (r.frames.size(1) > kMaxSide || r.frames.size(2) > kMaxSide) RangeErr(env, "encodeVideo: frames", "are larger than 65536 pixels on a side");
  if (!Given(Arg(info, 2))) return r;
  Napi::Object o = Obj(env, "encodeVideo: options", Arg(info, 2));
  const Field p("encodeVideo: options.");
  r.opts.fps = static_cast<int>(OptInt(env, Field(p, "fps"), o.Get("fps"), 1, 1000, 25));
  r.opts.gop = static_cast<int>(OptInt(env, Field(p, "gop"), o.Get("gop"), 1, 100000, 12));
  r.opts.crf = static_cast<int>(OptInt(env, Field(p, "crf"), o.Get("crf"), 0, 51, 23));
  r.opts.bframes = static_cast<int>(OptInt(env, Field(p, "bframes"), o.Get("bframes"), 0, 16, 0));
  Napi::Value c = o.Get("codec");
  if (Given(c)) {
    r.opts.codec = Str(env, Field(p, "codec"), c);
    if (r.opts.codec != "h264" && r.opts.codec != "mpeg4" && r.opts.codec != "mjpeg" && r.opts.codec != "vp9") {
      RangeErr(env, Field(p, "codec"), "must be h264, mpeg4, mjpeg or vp9, got " + Show(c));
    }
  }
  return r;
}

Limits ParseLimits(const Napi::CallbackInfo& info, Limits l) {
  Napi::Env env = info.Env();
  Napi::Object o = Obj(env, "setVideoLimits: limits", Arg(info, 0));
  const Field p("setVideoLimits: ");
  l.maxFramePixels = OptInt(env, Field(p, "maxFramePixels"), o.Get("maxFramePixels"), 1, 1LL << 40, l.maxFramePixels);
  if (Given(o.Get("maxAspectRatio"))) l.maxAspectRatio = Real(env, Field(p, "maxAspectRatio"), o.Get("maxAspectRatio"), 1, 1e6);
  l.maxOutputBytes = OptInt(env, Field(p, "maxOutputBytes"), o.Get("maxOutputBytes"), 1, kMaxSafe, l.maxOutputBytes);
  l.maxFrames = OptInt(env, Field(p, "maxFrames"), o.Get("maxFrames"), 1, 1LL << 40, l.maxFrames);
  l.indexCacheBytes = OptInt(env, Field(p, "indexCacheBytes"), o.Get("indexCacheBytes"), 0, kMaxSafe, l.indexCacheBytes);
  l.timeoutMs = OptInt(env, Field(p, "timeoutMs"), o.Get("timeoutMs"), 1, 7 * 24 * 3600 * 1000.0, l.timeoutMs);
  return l;
}

}  // namespace cvrl::video
