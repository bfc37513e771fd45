// Checked arguments of augmentClip and augmentClips (see video_args.h).
#include "video_args.h"

#include "common.h"
#include "js_args.h"

namespace cvrl::video {

using namespace js;  // NOLINT: the argument readers

namespace {

// The optional destination of augmentClip: float32 [3, T, S, S], contiguous, on the CPU.
at::Tensor AugmentOut(Napi::Env env, const Field& f, const Napi::Value& v, int64_t T, int64_t S) {
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

AugParams ParseParams(Napi::Env env, const Field& f, const Napi::Value& v, int64_t H, int64_t W) {
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

}  // namespace cvrl::video
