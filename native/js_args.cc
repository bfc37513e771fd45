// Checked reading of JS arguments (see js_args.h).
#include "js_args.h"

#include "common.h"

#include <cmath>
#include <sstream>

namespace cvrl::video::js {

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

}  // namespace cvrl::video::js
