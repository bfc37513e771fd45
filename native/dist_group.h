// A c10d process group as the addon holds it, and the one thread that talks to its peers.
//
// Every call that talks to other ranks blocks until they answer, so it runs off the JS thread and
// resolves a promise. Each group has its own thread rather than libuv's pool: the pool also decodes
// video, and four stuck decodes must not queue the all-reduce that every other rank is waiting for.
// One thread per group also keeps the collectives in the order JS issued them.
#pragma once
#include "common.h"

// c10d without Gloo's headers still serves NCCL (pip's torch may not ship gloo/).
#define CVRL_WITH_C10D (CVRL_WITH_GLOO || CVRL_WITH_NCCL)

#if CVRL_WITH_C10D
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>
#include <torch/version.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace cvrl {

// What Gloo's and NCCL's groups derive from: c10d::ProcessGroup up to 1.13, c10d::Backend since 2.0.
#if TORCH_VERSION_MAJOR >= 2
using Backend = c10d::Backend;
#else
using Backend = c10d::ProcessGroup;
#endif

// A thread that runs posted jobs one at a time, in order. Destroying it lets the thread finish the
// queue and exit on its own (a job may be blocked on a dead peer until Gloo's timeout), so it never
// joins, and it may be destroyed from one of its own jobs.
class SerialThread {
 public:
  SerialThread();
  ~SerialThread();
  void Post(std::function<void()> job);

 private:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::function<void()>> jobs;
    bool stop = false;
  };
  std::shared_ptr<State> state_;
};

// One process group and the store it rendezvoused through (the store must outlive the group).
// `device` is where its collectives run: CPU for Gloo, the rank's GPU for NCCL; tensors elsewhere
// travel through scratch buffers on that device.
struct Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<Backend> pg;
  at::Device device{at::kCPU};
  int rank = 0;
  int worldSize = 1;
  std::atomic<bool> destroyed{false};
  SerialThread thread;
  // Flat buffers reused across calls (one per dtype, grown on demand): a fresh buffer per call
  // costs more in page faults than the packing itself.
  std::map<at::ScalarType, at::Tensor> scratch;
  at::Tensor Scratch(at::ScalarType dtype, int64_t numel);
};
using GroupPtr = std::shared_ptr<Group>;

// Runs `body` on the group's thread and returns a promise for its result: the tensor it returns
// (undefined when it returns an undefined tensor), or the group's handle when `resolveWithGroup`.
// An exception from the body rejects the promise with "<what> (rank R): <message>".
using GroupJob = std::function<at::Tensor(Group&)>;
Napi::Promise RunOnGroupThread(Napi::Env env, GroupPtr g, std::string what, GroupJob body, bool resolveWithGroup = false);

// The group behind a handle returned by initProcessGroup; throws a TypeError naming argument i.
GroupPtr UnwrapGroup(const Args& a, size_t i);

// Collectives (dist_collectives.cc), run on the group's thread.
at::Tensor AllReduceSum(Group& g, std::vector<at::Tensor> ts);
at::Tensor Broadcast(Group& g, std::vector<at::Tensor> ts, int64_t root);
at::Tensor AllGather(Group& g, at::Tensor t);

// Sum over ranks with a gradient, blocking the caller (dist_autograd.cc).
at::Tensor AllReduceSumDifferentiable(const GroupPtr& g, const at::Tensor& x);

// NCCL's process group (dist_nccl.cc), on the calling thread's current GPU; on a build without
// NCCL, NcclMissing() says why ("" when present) and MakeNcclGroup throws that.
std::string NcclMissing();
c10::intrusive_ptr<Backend> MakeNcclGroup(const c10::intrusive_ptr<c10d::Store>& store, int rank, int worldSize,
                                          std::chrono::milliseconds timeout);

}  // namespace cvrl

#endif
