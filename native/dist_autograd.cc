// A differentiable, synchronous all-reduce SUM: what synchronised BatchNorm needs inside a forward
// pass (batch statistics over every rank) and inside backward (their gradients summed likewise).
// The backward of y = sum over ranks of x is dL/dx = sum over ranks of dL/dy, another all-reduce.
//
// It blocks the calling thread until the peers answer. The work still runs on the group's thread,
// so it stays in order with the asynchronous collectives issued before it.
#include "dist_group.h"

#if CVRL_WITH_C10D
#include <c10/core/DeviceGuard.h>
#include <torch/csrc/autograd/custom_function.h>

#include <future>
#include <mutex>

namespace cvrl {

// Groups by address, so an autograd node can find its group in backward (saved_data holds IValues).
// A destroyed group's entry expires; a later group at the same address replaces it.
static std::mutex registryMu;
static std::map<int64_t, std::weak_ptr<Group>> registry;

static int64_t KeyOf(const GroupPtr& g) {
  const auto key = reinterpret_cast<int64_t>(g.get());
  std::lock_guard<std::mutex> lock(registryMu);
  registry[key] = g;
  return key;
}

static GroupPtr Lookup(int64_t key) {
  std::lock_guard<std::mutex> lock(registryMu);
  auto it = registry.find(key);
  GroupPtr g = it == registry.end() ? nullptr : it->second.lock();
  TORCH_CHECK(g && !g->destroyed, "the process group of this all-reduce was destroyed");
  return g;
}

static at::Tensor SumOverRanks(const GroupPtr& g, const at::Tensor& x) {
  at::Tensor y = x.detach().contiguous().clone();
  std::promise<void> done;
  g->thread.Post([&] {
    try {
      at::NoGradGuard noGrad;
      c10::DeviceGuard onDevice(g->device);
      TORCH_CHECK(g->pg, "the process group was destroyed");
      AllReduceSum(*g, {y});
      done.set_value();
    } catch (...) {
      done.set_exception(std::current_exception());
    }
  });
  done.get_future().get();
  return y;
}

struct AllReduceSumFn : public torch::autograd::Function<AllReduceSumFn> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, int64_t key) {
    ctx->saved_data["group"] = key;
    return SumOverRanks(Lookup(key), x);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    return {SumOverRanks(Lookup(ctx->saved_data["group"].toInt()), grads[0]), at::Tensor()};
  }
};

at::Tensor AllReduceSumDifferentiable(const GroupPtr& g, const at::Tensor& x) {
  return AllReduceSumFn::apply(x, KeyOf(g));
}

}  // namespace cvrl

#endif
