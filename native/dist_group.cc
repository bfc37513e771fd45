// The process group's own thread and the promise plumbing between it and JS (see dist_group.h).
#include "dist_group.h"

#if CVRL_WITH_C10D
#include <c10/core/DeviceGuard.h>
#include <c10/core/GradMode.h>

#include <thread>

namespace cvrl {

SerialThread::SerialThread() : state_(std::make_shared<State>()) {
  std::thread([s = state_] {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> lock(s->mu);
        s->cv.wait(lock, [&] { return s->stop || !s->jobs.empty(); });
        if (s->jobs.empty()) return;  // stopped and drained
        job = std::move(s->jobs.front());
        s->jobs.pop_front();
      }
      job();
      job = nullptr;  // may release the last reference to the group, outside the lock
    }
  }).detach();
}

SerialThread::~SerialThread() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->stop = true;
  state_->cv.notify_all();
}

void SerialThread::Post(std::function<void()> job) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->jobs.push_back(std::move(job));
  state_->cv.notify_all();
}

at::Tensor Group::Scratch(at::ScalarType dtype, int64_t numel) {
  at::Tensor& t = scratch[dtype];
  if (!t.defined() || t.numel() < numel) t = at::empty({numel}, at::TensorOptions().dtype(dtype).device(device));
  return t.narrow(0, 0, numel);
}

using GroupHandle = Napi::External<GroupPtr>;

namespace {

// What the group's thread hands back to the JS thread for one call.
struct Outcome {
  Napi::Promise::Deferred deferred;
  GroupPtr group;
  bool resolveWithGroup = false;
  at::Tensor tensor;
  std::string error;
};

void Settle(Napi::Env env, Napi::Function, std::nullptr_t*, Outcome* raw) {
  std::unique_ptr<Outcome> o(raw);
  if (env == nullptr) return;  // the environment is shutting down: nobody awaits the promise
  try {
    Napi::HandleScope scope(env);
    if (!o->error.empty()) {
      o->deferred.Reject(Napi::Error::New(env, o->error).Value());
    } else if (o->resolveWithGroup) {
      o->deferred.Resolve(GroupHandle::New(env, new GroupPtr(o->group), [](Napi::Env, GroupPtr* p) { delete p; }));
    } else {
      o->deferred.Resolve(o->tensor.defined() ? WrapTensor(env, o->tensor) : env.Undefined());
    }
  } catch (...) {
  }
}

using SettleFn = Napi::TypedThreadSafeFunction<std::nullptr_t, Outcome, Settle>;

}  // namespace

Napi::Promise RunOnGroupThread(Napi::Env env, GroupPtr g, std::string what, GroupJob body, bool resolveWithGroup) {
  auto* outcome = new Outcome{Napi::Promise::Deferred::New(env), g, resolveWithGroup, {}, {}};
  Napi::Promise promise = outcome->deferred.Promise();
  SettleFn settle = SettleFn::New(env, "cvrl-collective", 0, 1);
  g->thread.Post([outcome, settle, what = std::move(what), body = std::move(body)]() mutable {
    Group& grp = *outcome->group;
    try {
      at::NoGradGuard noGrad;  // collectives write tensor data; autograd must not see it
      c10::DeviceGuard onDevice(grp.device);  // NCCL works on the current GPU of this thread
      outcome->tensor = body(grp);
    } catch (const c10::Error& e) {
      outcome->error = what + " (rank " + std::to_string(grp.rank) + "): " + e.what_without_backtrace();
    } catch (const std::exception& e) {
      outcome->error = what + " (rank " + std::to_string(grp.rank) + "): " + e.what();
    }
    if (settle.BlockingCall(outcome) != napi_ok) delete outcome;
    settle.Release();
  });
  return promise;
}

GroupPtr UnwrapGroup(const Args& a, size_t i) {
  if (!a.has(i) || !a.raw(i).IsExternal()) ArgError(a.env(), i, "expected a process group handle from initProcessGroup");
  GroupPtr g = *a.raw(i).As<GroupHandle>().Data();
  if (!g || g->destroyed) ArgError(a.env(), i, "the process group was destroyed");
  return g;
}

}  // namespace cvrl

#endif
