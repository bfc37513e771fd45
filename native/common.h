// Shared helpers for the op bindings: argument conversion, tensor wrapping, error translation.
// Each ops_*.cc file registers one family of ops with CVRL_OP rows, so adding an op is one line.
#pragma once
#include <napi.h>
#include <ATen/ATen.h>

#include <string>
#include <unordered_map>
#include <vector>

namespace cvrl {

// Per-environment state (the addon may be loaded in several worker threads).
struct AddonData {
  Napi::FunctionReference tensorCtor;
  int64_t liveTensors = 0;
  // Host storages held by JS handles: handles on each and its size in bytes.
  struct HeldStorage {
    int64_t handles = 0, bytes = 0;
  };
  std::unordered_map<const void*, HeldStorage> heldStorages;
  int64_t heldBytes = 0;  // the sum of heldStorages and storage-less handles
  int64_t toldBytes = 0;  // what V8 was told: follows heldBytes up at once, down with slack
};

// A JS handle that owns one reference to an at::Tensor until dispose() or garbage collection.
class TensorWrap : public Napi::ObjectWrap<TensorWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit TensorWrap(const Napi::CallbackInfo& info);
  ~TensorWrap() override;
  void Set(Napi::Env env, at::Tensor t);
  void Release(Napi::Env env);
  at::Tensor tensor;

 private:
  int64_t reportedBytes_ = 0;  // for a tensor without storage; others are counted per storage
  const void* storage_ = nullptr;
  AddonData* data_ = nullptr;
};

Napi::Value WrapTensor(Napi::Env env, at::Tensor t);
at::Tensor& UnwrapTensor(const Napi::Value& v, size_t argIndex);

at::ScalarType ParseDtype(const std::string& s);
std::string DtypeName(at::ScalarType t);

// Typed access to the JS arguments of a call; every accessor names the argument in its error.
class Args {
 public:
  explicit Args(const Napi::CallbackInfo& info) : info_(info) {}
  Napi::Env env() const { return info_.Env(); }
  size_t size() const { return info_.Length(); }
  bool has(size_t i) const { return i < info_.Length() && !info_[i].IsUndefined() && !info_[i].IsNull(); }
  bool isNumber(size_t i) const { return i < info_.Length() && info_[i].IsNumber(); }
  at::Tensor& t(size_t i) const;
  c10::optional<at::Tensor> optT(size_t i) const;
  std::vector<at::Tensor> tensors(size_t i) const;
  std::vector<int64_t> ints(size_t i) const;
  c10::optional<std::vector<int64_t>> optInts(size_t i) const;
  int64_t i(size_t i) const;
  double d(size_t i) const;
  c10::optional<double> optD(size_t i) const;
  bool b(size_t i) const;
  std::string s(size_t i) const;
  at::Scalar scalar(size_t i) const;
  c10::optional<at::Scalar> optScalar(size_t i) const;
  at::TensorOptions options(size_t dtypeIdx, size_t deviceIdx) const;
  Napi::Value raw(size_t i) const { return info_[i]; }

 private:
  Napi::Value at(size_t i, const char* what) const;
  const Napi::CallbackInfo& info_;
};

[[noreturn]] void ArgError(Napi::Env env, size_t i, const std::string& msg);

// The scalar a JS number becomes as an op argument (Args::scalar): integral values are integers.
at::Scalar ScalarFromJs(double x);

// Result conversion.
inline Napi::Value Out(Napi::Env env, const at::Tensor& t) { return WrapTensor(env, t); }
inline Napi::Value Out(Napi::Env env, double v) { return Napi::Number::New(env, v); }
inline Napi::Value Out(Napi::Env env, int64_t v) { return Napi::Number::New(env, static_cast<double>(v)); }
inline Napi::Value Out(Napi::Env env, bool v) { return Napi::Boolean::New(env, v); }
inline Napi::Value Out(Napi::Env env, const std::string& v) { return Napi::String::New(env, v); }
Napi::Value Out(Napi::Env env, const std::vector<at::Tensor>& v);
Napi::Value Out(Napi::Env env, const std::tuple<at::Tensor, at::Tensor>& v);
Napi::Value Out(Napi::Env env, const std::vector<int64_t>& v);

// Runs a binding body, turning libtorch errors into JS errors without the C++ backtrace.
template <typename F>
Napi::Value Guard(const Napi::CallbackInfo& info, F&& body) {
  try {
    Args a(info);
    return body(a);
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw Napi::Error::New(info.Env(), e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
}

// Base for promise-returning workers; guards resolution during environment teardown.
class PromiseWorker : public Napi::AsyncWorker {
 public:
  explicit PromiseWorker(Napi::Env env) : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void OnError(const Napi::Error& e) override {
    try {
      deferred_.Reject(e.Value());
    } catch (...) {
    }
  }
  void Resolve(Napi::Value v) {
    try {
      deferred_.Resolve(v);
    } catch (...) {
    }
  }
  Napi::Promise::Deferred deferred_;
};

}  // namespace cvrl

// One row per op: CVRL_OP(jsName, expression using `a`) returns the converted expression;
// CVRL_VOID(jsName, statement using `a`) runs a statement (in-place ops) and returns undefined.
#define CVRL_OP(name, ...)                                                                     \
  exports.Set(name, Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value { \
    return ::cvrl::Guard(info, [&](::cvrl::Args& a) -> Napi::Value { return ::cvrl::Out(a.env(), (__VA_ARGS__)); }); \
  }, name))
#define CVRL_VOID(name, ...)                                                                   \
  exports.Set(name, Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value { \
    return ::cvrl::Guard(info, [&](::cvrl::Args& a) -> Napi::Value { __VA_ARGS__; return a.env().Undefined(); }); \
  }, name))

namespace cvrl {
void RegisterCreationOps(Napi::Env env, Napi::Object exports);
void RegisterMathOps(Napi::Env env, Napi::Object exports);
void RegisterShapeOps(Napi::Env env, Napi::Object exports);
void RegisterNnOps(Napi::Env env, Napi::Object exports);
void RegisterAlignOps(Napi::Env env, Napi::Object exports);
void RegisterPseudoMotionOps(Napi::Env env, Napi::Object exports);
void RegisterLossOps(Napi::Env env, Napi::Object exports);
void RegisterAutogradOps(Napi::Env env, Napi::Object exports);
void RegisterRuntime(Napi::Env env, Napi::Object exports);
void RegisterVideo(Napi::Env env, Napi::Object exports);
void RegisterDistributed(Napi::Env env, Napi::Object exports);
void RegisterOptimOps(Napi::Env env, Napi::Object exports);
}  // namespace cvrl
