// Checked reading of JS arguments for the native entry points (video_args.cc, augment_args.cc).
// Doubles from JS are validated before any cast (NaN, Infinity, 1e300 and sums that overflow int64
// never reach C++ arithmetic); errors are TypeError (wrong type) or RangeError (bad value) and name
// the function and the field.
#pragma once
#include <napi.h>
#include <ATen/ATen.h>

#include <cstdint>
#include <string>

namespace cvrl::video::js {

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

[[noreturn]] void TypeErr(Napi::Env env, const Field& field, const std::string& msg);
[[noreturn]] void RangeErr(Napi::Env env, const Field& field, const std::string& msg);
std::string Show(const Napi::Value& v);
std::string Num(double d);
bool Given(const Napi::Value& v);
Napi::Value Arg(const Napi::CallbackInfo& info, size_t i);
double Finite(Napi::Env env, const Field& f, const Napi::Value& v);
double Real(Napi::Env env, const Field& f, const Napi::Value& v, double lo, double hi);
int64_t Int(Napi::Env env, const Field& f, const Napi::Value& v, double lo, double hi);
int64_t OptInt(Napi::Env env, const Field& f, const Napi::Value& v, double lo, double hi, int64_t def);
bool OptBool(Napi::Env env, const Field& f, const Napi::Value& v, bool def);
// Non-empty, without NUL bytes (C++ and FFmpeg would silently cut a string at its first NUL).
std::string Str(Napi::Env env, const Field& f, const Napi::Value& v);
Napi::Object Obj(Napi::Env env, const Field& f, const Napi::Value& v);
Napi::Array Arr(Napi::Env env, const Field& f, const Napi::Value& v);
// uint8 [T, H, W, 3] on the CPU: the native code reads it through data_ptr.
at::Tensor Frames(Napi::Env env, const Field& f, const Napi::Value& v, size_t argIndex);

}  // namespace cvrl::video::js
