// Argument checks of the video entry points (see video_args.h). Every number is checked as a double
// (finite, integral where needed, within bounds that keep later int64 arithmetic exact) before a cast.
#include "video_args.h"

#include "common.h"

#include <cmath>
#include <sstream>

namespace cvrl::video {

namespace {

constexpr double kMaxSafe = 9007199254740991.0;  // 2^53 - 1: every integer up to it is exact in a double
constexpr int64_t kMaxSide = 1 << 16;            // output sides, crop offsets and sizes (pixels)

// A field's name for error messages, a chain of parts on the stack: the string is built only when
// an error is thrown (a batch's clips pass their parameters on the thread that drives training).
// It points at its parts: string literals, and parent Fields that outlive it.
class Field {
 public:
  Field(const char* name) : name_(name) {}  // NOLINT: string literals convert implicitly
  Field(const Field& parent, const char* part, int64_t index = -1) : parent_(&parent), name_(part), index_(index) {}
  std::string Str() const {
    std::string s = parent_ ? parent_->Str() + name_ : name_;
    return index_ < 0 ? s : s + "[" + std::to_string(index_) + "]";
  }

 private:
  const Field* parent_ = nullptr;
  const char* name_;
  int64_t index_ = -1;
};

[[noreturn]] void TypeErr(Napi::Env env, const Field& field, const std::string& msg) {
  throw Napi::TypeError::New(env, field.Str() + " " + msg);
}
[[noreturn]] void RangeErr(Napi::Env env, const Field& field, const std::string& msg) {
  throw Napi::RangeError::New(env, field.Str() + " " + msg);
}

std::string Show(const Napi::Value& v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsNumber()) return v.ToString().Utf8Value();  // NaN, Infinity, 1e+300 as JS writes them
  if (v.IsString()) {
    std::string s = v.As<Napi::String>().Utf8Value();
    return "'" + (s.size() > 40 ? s.substr(0, 40) + "..." : s) + "'";
  }
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value() ? "true" : "false";
  return v.IsArray() ? "an array" : v.IsFunction() ? "a function" : "an object";
}

std::string Num(double d) {
  std::ostringstream s;
  s.precision(17);
  s << d;
  return s.str();
}

bool Given(const Napi::Value& v) { return !v.IsUndefined() && !v.IsNull(); }
Napi::Value Arg(const Napi::CallbackInfo& info, size_t i) { return i < info.Length() ? info[i] : info.Env().Undefined(); }

double Finite(Napi::Env env, const Field& f, const Napi::Value& v) {
  if (!v.IsNumber()) TypeErr(env, f, "must be a number, got " + Show(v));
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) RangeErr(env, f, "must be a finite number, got " + Show(v));
  return d;
}

double Real(Napi::Env env, const Field& f, const Napi::Value& v, double lo, double hi) {
  const double d = Finite(env, f, v);
  if (d < lo || d > hi) RangeErr(env, f, "must be in [" + Num(lo) + ", " + Num(hi) + "], got " + Show(v));
  return d;
}

int64_t Int(Napi::Env env, const Field& f, const Napi::Value& v, double lo, double hi) {
  const double d = Finite(env, f, v);
  if (std::trunc(d) != d) RangeErr(env, f, "must be an integer, got " + Show(v));
  if (d < lo || d > hi) RangeErr(env, f, "must be an integer in [" + Num(lo) + ", " + Num(hi) + "], got " + Show(v));
  return static_cast<int64_t>(d);
}

int64_t OptInt(Napi::Env env, const Field& f, const Napi::Value& v, double lo, double hi, int64_t def) {
  return Given(v) ? Int(env, f, v, lo, hi) : def;
}

bool OptBool(Napi::Env env, const Field& f, const Napi::Value& v, bool def) {
  if (!Given(v)) return def;
  if (!v.IsBoolean()) TypeErr(env, f, "must be a boolean, got " + Show(v));
  return v.As<Napi::Boolean>().Value();
}

// C++ and FFmpeg would silently cut a string at its first NUL byte.
std::string Str(Napi::Env env, const Field& f, const Napi::Value& v) {
  if (!v.IsString()) TypeErr(env, f, "must be a string, got " + Show(v));
  std::string s = v.As<Napi::String>().Utf8Value();
  if (s.find('\0') != std::string::npos) TypeErr(env, f, "must not contain NUL bytes");
  if (s.empty()) RangeErr(env, f, "must not be empty");
  return s;
}

Napi::Object Obj(Napi::Env env, const Field& f, const Napi::Value& v) {
  if (!v.IsObject() || v.IsArray() || v.IsFunction()) TypeErr(env, f, "must be an object, got " + Show(v));
  return v.As<Napi::Object>();
}

Napi::Array Arr(Napi::Env env, const Field& f, const Napi::Value& v) {
  if (!v.IsArray()) TypeErr(env, f, "must be an array, got " + Show(v));
  return v.As<Napi::Array>();
}

// uint8 [T, H, W, 3] on the CPU: the native code reads it through data_ptr.
at::Tensor Frames(Napi::Env env, const Field& f, const Napi::Value& v, size_t argIndex) {
  at::Tensor t;
  try {
    t = UnwrapTensor(v, argIndex);
  } catch (const Napi::Error& e) {
    TypeErr(env, f, "must be a tensor (" + e.Message() + ")");
  }
  if (!t.device().is_cpu()) TypeErr(env, f, "must be a CPU tensor, got one on " + t.device().str());
  if (t.scalar_type() != at::kByte) TypeErr(env, f, "must be uint8, got " + DtypeName(t.scalar_type()));
  if (t.dim() != 4 || t.size(3) != 3) RangeErr(env, f, "must have shape [T, H, W, 3]");
  if (t.size(0) < 1 || t.size(1) < 1 || t.size(2) < 1) RangeErr(env, f, "must have at least one frame of at least 1x1 pixels");
  return t;
}

// The optional destination of augmentClip: float32 [3, T, S, S], contiguous, on the CPU.
static at::Tensor AugmentOut(Napi::Env env, const Field& f, const Napi::Value& v, int64_t T, int64_t S) {
  at::Tensor t;
  try {
    t = UnwrapTensor(v, 3);
  } catch (const Napi::Error& e) {
    TypeErr(env, f, "must be a tensor (" + e.Message() + ")");
  }
  if (!t.device().is_cpu() || t.scalar_type() != at::kFloat) TypeErr(env, f, "must be a float32 CPU tensor, got " + DtypeName(t.scalar_type()) + " on " + t.device().str());
  if (t.sizes() != at::IntArrayRef{3, T, S, S}) RangeErr(env, f, "must have shape [3, " + std::to_string(T) + ", " + std::to_string(S) + ", " + std::to_string(S) + "], got " + c10::str(t.sizes()));
  if (!t.is_contiguous()) RangeErr(env, f, "must be contiguous");
  return t;
}

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
static AugParams ParseParams(Napi::Env env, const Field& f, const Napi::Value& v, int64_t H, int64_t W) {
  Napi::Object o = Obj(env, f, v);
  AugParams p;
  const Field cf(f, ".crop");
  Napi::Object crop = Obj(env, cf, o.Get("crop"));
  // Each part is bounded first, so the sums below are exact and cannot overflow.
  p.top = Int(env, Field(cf, ".top"), crop.Get("top"), 0, kMaxSide);
  p.left = Int(env, Field(cf, ".left"), crop.Get("left"), 0, kMaxSide);
  p.height = Int(env, Field(cf, ".height"), crop.Get("height"), 1, kMaxSide);
  p.width = Int(env, Field(cf, ".width"), crop.Get("width"), 1, kMaxSide);
  if (p.top + p.height > H) RangeErr(env, cf, "top + height = " + std::to_string(p.top + p.height) + " exceeds the frame height " + std::to_string(H));
  if (p.left + p.width > W) RangeErr(env, cf, "left + width = " + std::to_string(p.left + p.width) + " exceeds the frame width " + std::to_string(W));
  p.flip = OptBool(env, Field(f, ".flip"), o.Get("flip"), false);
  Napi::Value j = o.Get("jitter");
  if (Given(j)) {
    const Field jf(f, ".jitter");
    Napi::Object jo = Obj(env, jf, j);
    p.jitter = true;
    const Field of(jf, ".order");
    Napi::Array order = Arr(env, of, jo.Get("order"));
    if (order.Length() > 4) RangeErr(env, of, "has more than 4 entries");
    p.order.clear();
    for (uint32_t k = 0; k < order.Length(); k++) p.order.push_back(static_cast<int>(Int(env, Field(of, "", k), order.Get(k), 0, 3)));
    p.brightness = Real(env, Field(jf, ".brightness"), jo.Get("brightness"), 0, 1e6);
    p.contrast = Real(env, Field(jf, ".contrast"), jo.Get("contrast"), 0, 1e6);
    p.saturation = Real(env, Field(jf, ".saturation"), jo.Get("saturation"), 0, 1e6);
    p.hue = Real(env, Field(jf, ".hue"), jo.Get("hue"), -0.5, 0.5);
  }
  p.grayscale = OptBool(env, Field(f, ".grayscale"), o.Get("grayscale"), false);
  Napi::Value blur = o.Get("blur");
  p.blurSigma = Given(blur) ? Real(env, Field(f, ".blur"), blur, 0, 1e4) : 0;
  p.solarize = OptBool(env, Field(f, ".solarize"), o.Get("solarize"), false);
  return p;
}

namespace {

// One clip's request; `fn` names the call (and the clip's index in a batch) in errors.
AugmentRequest ParseAugmentValues(Napi::Env env, const Field& fn, const Napi::Value& frames, const Napi::Value& params, const Napi::Value& spec,
                                  const Napi::Value& out) {
  AugmentRequest r;
  r.frames = Frames(env, Field(fn, ": frames"), frames, 0);
  const int64_t T = r.frames.size(0), H = r.frames.size(1), W = r.frames.size(2);
  const Field pf(fn, ": params");
  Napi::Array arr = Arr(env, pf, params);
  if (arr.Length() != 1 && arr.Length() != static_cast<uint32_t>(T)) {
    RangeErr(env, pf, "needs one parameter set, or one per frame (" + std::to_string(T) + "), got " + std::to_string(arr.Length()));
  }
  for (uint32_t k = 0; k < arr.Length(); k++) r.params.push_back(ParseParams(env, Field(pf, "", k), arr.Get(k), H, W));
  const Field sp(fn, ": spec");
  Napi::Object so = Obj(env, sp, spec);
  r.spec.size = Int(env, Field(sp, ".size"), so.Get("size"), 1, 4096);
  r.spec.blurKernel = OptInt(env, Field(sp, ".blurKernel"), so.Get("blurKernel"), 0, 4096, 0);
  const Field mf(sp, ".mean"), sf(sp, ".std");
  Napi::Array mean = Arr(env, mf, so.Get("mean")), stdv = Arr(env, sf, so.Get("std"));
  if (mean.Length() != 3 || stdv.Length() != 3) RangeErr(env, mf, "and spec.std need 3 entries (R, G, B)");
  for (uint32_t k = 0; k < 3; k++) {
    r.spec.mean[k] = Real(env, Field(mf, "", k), mean.Get(k), -1e6, 1e6);
    r.spec.std[k] = Real(env, Field(sf, "", k), stdv.Get(k), 0, 1e6);
    if (r.spec.std[k] <= 0) RangeErr(env, Field(sf, "", k), "must be positive (it divides), got " + Show(stdv.Get(k)));
  }
  if (Given(out)) r.out = AugmentOut(env, Field(fn, ": out"), out, T, r.spec.size);
  return r;
}

}  // namespace

AugmentRequest ParseAugment(const Napi::CallbackInfo& info) {
  return ParseAugmentValues(info.Env(), Field("augmentClip"), Arg(info, 0), Arg(info, 1), Arg(info, 2), Arg(info, 3));
}

std::vector<AugmentRequest> ParseAugmentBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Field fn("augmentClips");
  Napi::Array list = Arr(env, fn, Arg(info, 0));
  std::vector<AugmentRequest> reqs;
  reqs.reserve(list.Length());
  for (uint32_t k = 0; k < list.Length(); k++) {
    const Field item(fn, "", k);
    Napi::Array a = Arr(env, item, list.Get(k));
    if (a.Length() != 4) RangeErr(env, item, "must be [frames, params, spec, out], got " + std::to_string(a.Length()) + " entries");
    if (!Given(a.Get(3u))) TypeErr(env, Field(item, ": out"), "is required (the clip's row of the batch)");
    reqs.push_back(ParseAugmentValues(env, item, a.Get(0u), a.Get(1u), a.Get(2u), a.Get(3u)));
  }
  return reqs;
}

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
