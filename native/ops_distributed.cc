// c10d bindings: a rendezvous store plus a Gloo (CPU) or NCCL (GPU) process group, and the collectives training needs
// (all-reduce SUM, all-gather, broadcast, barrier), each on the group's own thread (dist_group.h).
// JS must await each call before issuing the next, so that every rank issues collectives in the
// same order; a dead peer surfaces as a rejected promise (Gloo's timeout or "connection closed").
//
// The store: a FileStore when the ranks share a file (one machine: nothing listens on the network),
// else c10d's TCPStore on rank 0, which listens on every interface without authentication.
//
// The process group is returned to JS as an External handle (no process globals), so the addon
// stays usable from worker threads and a test can hold several groups.
#include "common.h"
#include "dist_group.h"

#include <chrono>
#include <cstdlib>

#if CVRL_WITH_C10D
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif
#if CVRL_WITH_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif

namespace cvrl {

static const char* kNoGloo =
    "this cvrl addon was built without c10d/Gloo (its headers were not found): install libgloo-dev "
    "(or use a libtorch that ships include/gloo) and rebuild with `npm run build:native`";

#if CVRL_WITH_C10D

#if CVRL_WITH_GLOO
static bool IsLoopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

// Gloo needs a local network device: GLOO_SOCKET_IFNAME names an interface (as in PyTorch); a
// loopback master means a single machine, so bind to loopback; otherwise the host's own address.
static std::shared_ptr<::gloo::transport::Device> GlooDevice(const std::string& masterAddr) {
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname) {
    return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  }
  if (IsLoopback(masterAddr)) return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return c10d::ProcessGroupGloo::createDefaultDevice();
}
#endif

struct InitRequest {
  std::string addr;
  int port;
  int64_t timeoutMs;
  std::string storeFile;  // empty: TCPStore at addr:port
  bool nccl = false;
};

static void Rendezvous(Group& g, const InitRequest& r) {
  const auto timeout = std::chrono::milliseconds(r.timeoutMs);
  if (!r.storeFile.empty()) {
    g.store = c10::make_intrusive<c10d::FileStore>(r.storeFile, g.worldSize);
    g.store->setTimeout(timeout);
  } else {
    c10d::TCPStoreOptions so;
    so.port = static_cast<std::uint16_t>(r.port);
    so.isServer = g.rank == 0;
    so.numWorkers = static_cast<std::size_t>(g.worldSize);
    so.waitWorkers = false;
    so.timeout = timeout;
    g.store = c10::make_intrusive<c10d::TCPStore>(r.addr, so);
  }
  if (r.nccl) {
    g.pg = MakeNcclGroup(g.store, g.rank, g.worldSize, timeout);
    return;
  }
#if CVRL_WITH_GLOO
  auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
  opts->devices.push_back(GlooDevice(r.addr));
  g.pg = c10::make_intrusive<c10d::ProcessGroupGloo>(g.store, g.rank, g.worldSize, opts);
#else
  TORCH_CHECK(false, kNoGloo);
#endif
}

static Napi::Value Collective(const Args& a, const char* what, GroupJob body) {
  return RunOnGroupThread(a.env(), UnwrapGroup(a, 0), what, [body = std::move(body)](Group& g) {
    TORCH_CHECK(g.pg, "the process group was destroyed");
    return body(g);
  });
}

void RegisterDistributed(Napi::Env env, Napi::Object exports) {
  exports.Set("distributedAvailable", Napi::Boolean::New(env, CVRL_WITH_GLOO == 1));
  exports.Set("ncclAvailable", Napi::Boolean::New(env, NcclMissing().empty()));
  // initProcessGroup(rank, worldSize, masterAddr, masterPort, timeoutMs, storeFile?, cudaDevice?) -> Promise<handle>
  // A cudaDevice index selects NCCL on that GPU; without one the group is Gloo's, on CPU.
  exports.Set("initProcessGroup", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    return Guard(info, [&](Args& a) -> Napi::Value {
      int64_t rank = a.i(0), world = a.i(1), port = a.i(3), timeout = a.i(4);
      if (world < 1) ArgError(a.env(), 1, "world size must be at least 1");
      if (rank < 0 || rank >= world) ArgError(a.env(), 0, "rank must be in 0.." + std::to_string(world - 1));
      if (port < 1 || port > 65535) ArgError(a.env(), 3, "port must be in 1..65535");
      if (timeout < 1) ArgError(a.env(), 4, "timeout must be a positive number of milliseconds");
      InitRequest r{a.s(2), static_cast<int>(port), timeout, a.has(5) ? a.s(5) : std::string(), a.has(6)};
      if (!r.nccl && !CVRL_WITH_GLOO) throw Napi::Error::New(a.env(), kNoGloo);
      auto g = std::make_shared<Group>();
      if (r.nccl) {
        if (std::string why = NcclMissing(); !why.empty()) throw Napi::Error::New(a.env(), why);
        if (a.i(6) < 0) ArgError(a.env(), 6, "the CUDA device index must be >= 0");
        g->device = at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(a.i(6)));
      }
      g->rank = static_cast<int>(rank);
      g->worldSize = static_cast<int>(world);
      std::string where = r.storeFile.empty() ? r.addr + ":" + std::to_string(port) : "store file " + r.storeFile;
      std::string what = std::string("initProcessGroup (") + (r.nccl ? "NCCL on " + g->device.str() + ", " : "") + where +
                         ", world size " + std::to_string(world) + ")";
      return RunOnGroupThread(a.env(), g, what, [r](Group& grp) {
        Rendezvous(grp, r);
        return at::Tensor();
      }, /*resolveWithGroup=*/true);
    });
  }, "initProcessGroup"));
  // allReduce(group, tensors): in-place SUM over ranks.
  exports.Set("allReduce", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    return Guard(info, [&](Args& a) -> Napi::Value {
      auto ts = a.tensors(1);
      return Collective(a, "allReduce", [ts](Group& g) { return AllReduceSum(g, ts); });
    });
  }, "allReduce"));
  // broadcast(group, tensors, root): in place, every rank ends with root's values.
  exports.Set("broadcast", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    return Guard(info, [&](Args& a) -> Napi::Value {
      auto ts = a.tensors(1);
      int64_t root = a.has(2) ? a.i(2) : 0;
      return Collective(a, "broadcast", [ts, root](Group& g) { return Broadcast(g, ts, root); });
    });
  }, "broadcast"));
  // allGather(group, tensor) -> Promise<concatenation along dim 0 in rank order> (no autograd).
  exports.Set("allGather", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    return Guard(info, [&](Args& a) -> Napi::Value {
      at::Tensor t = a.t(1);
      return Collective(a, "allGather", [t](Group& g) { return AllGather(g, t); });
    });
  }, "allGather"));
  // allReduceSumSync(group, tensor) -> tensor: the sum over ranks, differentiable, blocking this thread.
  exports.Set("allReduceSumSync", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    return Guard(info, [&](Args& a) -> Napi::Value { return WrapTensor(a.env(), AllReduceSumDifferentiable(UnwrapGroup(a, 0), a.t(1))); });
  }, "allReduceSumSync"));
  exports.Set("barrier", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    return Guard(info, [&](Args& a) -> Napi::Value {
      return Collective(a, "barrier", [](Group& g) {
        g.pg->barrier()->wait();
        return at::Tensor();
      });
    });
  }, "barrier"));
  // destroyProcessGroup(group): later calls on it throw; the group and its store close on the
  // group's thread once the collectives already issued have finished.
  exports.Set("destroyProcessGroup", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    return Guard(info, [&](Args& a) -> Napi::Value {
      if (!a.has(0) || !a.raw(0).IsExternal()) ArgError(a.env(), 0, "expected a process group handle");
      GroupPtr g = *a.raw(0).As<Napi::External<GroupPtr>>().Data();
      if (g && !g->destroyed.exchange(true)) {
        g->thread.Post([g] {
          g->pg.reset();
          g->store.reset();
        });
      }
      return a.env().Undefined();
    });
  }, "destroyProcessGroup"));
}

#else  // built without c10d: the functions exist and explain how to get them.

void RegisterDistributed(Napi::Env env, Napi::Object exports) {
  exports.Set("distributedAvailable", Napi::Boolean::New(env, false));
  exports.Set("ncclAvailable", Napi::Boolean::New(env, false));
  for (const char* name : {"initProcessGroup", "allReduce", "allReduceSumSync", "broadcast", "allGather", "barrier", "destroyProcessGroup"}) {
    exports.Set(name, Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
      throw Napi::Error::New(info.Env(), kNoGloo);
    }));
  }
}

#endif

}  // namespace cvrl
