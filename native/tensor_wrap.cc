// The tensor handle and the argument/result conversions every binding uses.
#include "common.h"

#include <algorithm>
#include <unordered_map>

namespace cvrl {

Napi::Function TensorWrap::Define(Napi::Env env) {
  return DefineClass(env, "NativeTensor", {});
}

TensorWrap::TensorWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TensorWrap>(info) {
  data_ = info.Env().GetInstanceData<AddonData>();
}

TensorWrap::~TensorWrap() {
  if (!tensor.defined()) return;
  try {
    Release(Env());
  } catch (...) {
    // Environment teardown: nothing left to report the memory to.
  }
}

namespace {

// V8 counts external memory added since its last full collection against the old generation's
// limit, which a training process's small JS heap keeps at a few MB: told of every batch made and
// freed, V8 ran a full collection almost every step, each finding the memory already freed. So V8
// hears of a rise at once but of a fall only when it is large, and steady churn tells it nothing.
constexpr int64_t kMinSlack = int64_t{64} << 20;

void TellV8(Napi::Env env, AddonData* d, int64_t change) {
  if (!d) {
    Napi::MemoryManagement::AdjustExternalMemory(env, change);
    return;
  }
  d->heldBytes += change;
  const int64_t slack = std::max(kMinSlack, d->toldBytes / 2);
  if (d->heldBytes > d->toldBytes || d->heldBytes < d->toldBytes - slack) {
    Napi::MemoryManagement::AdjustExternalMemory(env, d->heldBytes - d->toldBytes);
    d->toldBytes = d->heldBytes;
  }
}

}  // namespace

// V8 hears of the host memory that JS handles keep alive, so that handles a program forgot to
// dispose are collected under memory pressure. Counted once per storage: a batch and the views of
// its rows are one allocation, and counting each view made V8 collect far more often than needed.
void TensorWrap::Set(Napi::Env env, at::Tensor t) {
  tensor = std::move(t);
  if (data_) data_->liveTensors++;
  if (!tensor.device().is_cpu()) return;
  int64_t added = 0;
  if (data_ && tensor.has_storage()) {
    storage_ = tensor.storage().unsafeGetStorageImpl();
    auto& held = data_->heldStorages[storage_];
    if (held.handles++ == 0) added = held.bytes = static_cast<int64_t>(tensor.storage().nbytes());
  } else {
    added = reportedBytes_ = static_cast<int64_t>(tensor.numel() * tensor.element_size());
  }
  if (added > 0) TellV8(env, data_, added);
}

void TensorWrap::Release(Napi::Env env) {
  if (!tensor.defined()) return;
  tensor = at::Tensor();
  if (data_) data_->liveTensors--;
  int64_t freed = reportedBytes_;
  reportedBytes_ = 0;
  if (storage_) {
    auto it = data_->heldStorages.find(storage_);
    if (--it->second.handles == 0) {
      freed = it->second.bytes;
      data_->heldStorages.erase(it);
    }
    storage_ = nullptr;
  }
  if (freed > 0) TellV8(env, data_, -freed);
}

Napi::Value WrapTensor(Napi::Env env, at::Tensor t) {
  if (!t.defined()) return env.Null();
  auto* data = env.GetInstanceData<AddonData>();
  Napi::Object obj = data->tensorCtor.New({});
  TensorWrap::Unwrap(obj)->Set(env, std::move(t));
  return obj;
}

[[noreturn]] void ArgError(Napi::Env env, size_t i, const std::string& msg) {
  throw Napi::TypeError::New(env, "argument " + std::to_string(i) + ": " + msg);
}

at::Tensor& UnwrapTensor(const Napi::Value& v, size_t i) {
  auto* data = v.Env().GetInstanceData<AddonData>();
  if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf(data->tensorCtor.Value())) {
    ArgError(v.Env(), i, "expected a tensor");
  }
  TensorWrap* w = TensorWrap::Unwrap(v.As<Napi::Object>());
  if (!w->tensor.defined()) ArgError(v.Env(), i, "tensor was disposed");
  return w->tensor;
}

static const std::unordered_map<std::string, at::ScalarType>& DtypeTable() {
  static const std::unordered_map<std::string, at::ScalarType> table = {
      {"float32", at::kFloat}, {"float64", at::kDouble}, {"float16", at::kHalf}, {"bfloat16", at::kBFloat16},
      {"int64", at::kLong},    {"int32", at::kInt},      {"int16", at::kShort}, {"int8", at::kChar},
      {"uint8", at::kByte},    {"bool", at::kBool},
  };
  return table;
}

at::ScalarType ParseDtype(const std::string& s) {
  auto it = DtypeTable().find(s);
  if (it == DtypeTable().end()) throw std::invalid_argument("unknown dtype '" + s + "'");
  return it->second;
}

std::string DtypeName(at::ScalarType t) {
  for (const auto& kv : DtypeTable())
    if (kv.second == t) return kv.first;
  return std::string("unsupported:") + c10::toString(t);
}

Napi::Value Args::at(size_t i, const char* what) const {
  if (i >= info_.Length() || info_[i].IsUndefined()) ArgError(env(), i, std::string("missing ") + what);
  return info_[i];
}

at::Tensor& Args::t(size_t i) const { return UnwrapTensor(at(i, "tensor"), i); }

c10::optional<at::Tensor> Args::optT(size_t i) const {
  if (!has(i)) return c10::nullopt;
  return UnwrapTensor(info_[i], i);
}

std::vector<at::Tensor> Args::tensors(size_t i) const {
  Napi::Value v = at(i, "tensor list");
  if (!v.IsArray()) ArgError(env(), i, "expected an array of tensors");
  auto arr = v.As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); k++) out.push_back(UnwrapTensor(arr.Get(k), i));
  return out;
}

std::vector<int64_t> Args::ints(size_t i) const {
  Napi::Value v = at(i, "integer list");
  if (v.IsNumber()) return {v.As<Napi::Number>().Int64Value()};
  if (!v.IsArray()) ArgError(env(), i, "expected an integer or an array of integers");
  auto arr = v.As<Napi::Array>();
  std::vector<int64_t> out(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); k++) {
    Napi::Value e = arr.Get(k);
    if (!e.IsNumber()) ArgError(env(), i, "element " + std::to_string(k) + " is not a number");
    out[k] = e.As<Napi::Number>().Int64Value();
  }
  return out;
}

c10::optional<std::vector<int64_t>> Args::optInts(size_t i) const {
  if (!has(i)) return c10::nullopt;
  return ints(i);
}

int64_t Args::i(size_t i) const {
  Napi::Value v = at(i, "integer");
  if (!v.IsNumber()) ArgError(env(), i, "expected an integer");
  return v.As<Napi::Number>().Int64Value();
}

double Args::d(size_t i) const {
  Napi::Value v = at(i, "number");
  if (!v.IsNumber()) ArgError(env(), i, "expected a number");
  return v.As<Napi::Number>().DoubleValue();
}

c10::optional<double> Args::optD(size_t i) const {
  if (!has(i)) return c10::nullopt;
  return d(i);
}

bool Args::b(size_t i) const {
  if (!has(i)) return false;
  return info_[i].ToBoolean().Value();
}

std::string Args::s(size_t i) const {
  Napi::Value v = at(i, "string");
  if (!v.IsString()) ArgError(env(), i, "expected a string");
  return v.As<Napi::String>().Utf8Value();
}

at::Scalar Args::scalar(size_t i) const {
  Napi::Value v = at(i, "number");
  if (v.IsBoolean()) return at::Scalar(v.As<Napi::Boolean>().Value());
  if (!v.IsNumber()) ArgError(env(), i, "expected a number");
  return ScalarFromJs(v.As<Napi::Number>().DoubleValue());
}

at::Scalar ScalarFromJs(double x) {
  // Integral JS numbers become integer scalars so that integer tensors keep their dtype.
  if (std::isfinite(x) && std::trunc(x) == x && std::abs(x) < 9.007199254740992e15) return at::Scalar(static_cast<int64_t>(x));
  return at::Scalar(x);
}

c10::optional<at::Scalar> Args::optScalar(size_t i) const {
  if (!has(i)) return c10::nullopt;
  return scalar(i);
}

at::TensorOptions Args::options(size_t dtypeIdx, size_t deviceIdx) const {
  at::TensorOptions o = at::TensorOptions().dtype(has(dtypeIdx) ? ParseDtype(s(dtypeIdx)) : at::kFloat);
  if (has(deviceIdx)) o = o.device(c10::Device(s(deviceIdx)));
  return o;
}

Napi::Value Out(Napi::Env env, const std::vector<at::Tensor>& v) {
  auto arr = Napi::Array::New(env, v.size());
  for (size_t k = 0; k < v.size(); k++) arr.Set(static_cast<uint32_t>(k), WrapTensor(env, v[k]));
  return arr;
}

Napi::Value Out(Napi::Env env, const std::tuple<at::Tensor, at::Tensor>& v) {
  return Out(env, std::vector<at::Tensor>{std::get<0>(v), std::get<1>(v)});
}

Napi::Value Out(Napi::Env env, const std::vector<int64_t>& v) {
  auto arr = Napi::Array::New(env, v.size());
  for (size_t k = 0; k < v.size(); k++) arr.Set(static_cast<uint32_t>(k), Napi::Number::New(env, static_cast<double>(v[k])));
  return arr;
}

}  // namespace cvrl
