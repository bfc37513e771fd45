// c10d bindings: a TCPStore rendezvous plus a Gloo process group, and the collectives training needs
// (all-reduce SUM, all-gather, broadcast, barrier). Nothing here implements a collective itself.
//
// Every call that talks to other ranks blocks until they answer, so each one runs on a libuv worker
// thread (PromiseWorker) and resolves a promise: the JS thread keeps serving timers, signals and the
// data loader while a rank waits for a slower peer, and a dead peer surfaces as a rejected promise
// (Gloo's timeout or "connection closed") rather than a frozen event loop. JS must await each call
// before issuing the next one, so that every rank issues collectives in the same order.
//
// The process group is returned to JS as an External handle (no process globals), so the addon
// stays usable from worker threads and a test can hold several groups.
#include "common.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#if CVRL_WITH_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

namespace cvrl {

#if CVRL_WITH_GLOO

// One process group and the store it rendezvoused through (the store must outlive the group).
struct Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;
  int rank = 0;
  int worldSize = 1;
  std::mutex mu;  // serialises collectives issued on one group
  // Flat buffers reused across calls (one per dtype, grown on demand): a fresh buffer per call
  // costs more in page faults than the packing itself (measured here, 2 ranks, 8M floats in 60
  // tensors: about 330-420 ms with fresh buffers, 44 ms reused; one 8M tensor in place: 46-78 ms).
  std::map<at::ScalarType, at::Tensor> scratch;
  at::Tensor Scratch(at::ScalarType dtype, int64_t numel) {
    at::Tensor& t = scratch[dtype];
    if (!t.defined() || t.numel() < numel) t = at::empty({numel}, at::TensorOptions().dtype(dtype));
    return t.narrow(0, 0, numel);
  }
};
using GroupPtr = std::shared_ptr<Group>;
using GroupHandle = Napi::External<GroupPtr>;

static GroupPtr UnwrapGroup(const Args& a, size_t i) {
  if (!a.has(i) || !a.raw(i).IsExternal()) ArgError(a.env(), i, "expected a process group handle from initProcessGroup");
  GroupPtr g = *a.raw(i).As<GroupHandle>().Data();
  if (!g || !g->pg) ArgError(a.env(), i, "the process group was destroyed");
  return g;
}

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

class InitWorker : public PromiseWorker {
 public:
  InitWorker(Napi::Env env, int rank, int worldSize, std::string addr, int port, int64_t timeoutMs)
      : PromiseWorker(env), rank_(rank), worldSize_(worldSize), addr_(std::move(addr)), port_(port), timeoutMs_(timeoutMs) {}
  void Execute() override {
    try {
      auto g = std::make_shared<Group>();
      g->rank = rank_;
      g->worldSize = worldSize_;
      c10d::TCPStoreOptions so;
      so.port = static_cast<std::uint16_t>(port_);
      so.isServer = rank_ == 0;
      so.numWorkers = static_cast<std::size_t>(worldSize_);
      so.waitWorkers = false;
      so.timeout = std::chrono::milliseconds(timeoutMs_);
      g->store = c10::make_intrusive<c10d::TCPStore>(addr_, so);
      auto opts = c10d::ProcessGroupGloo::Options::create(std::chrono::milliseconds(timeoutMs_));
      opts->devices.push_back(GlooDevice(addr_));
      g->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(g->store, rank_, worldSize_, opts);
      group_ = std::move(g);
    } catch (const c10::Error& e) {
      SetError(std::string("initProcessGroup (rank ") + std::to_string(rank_) + " of " + std::to_string(worldSize_) + ", " +
               addr_ + ":" + std::to_string(port_) + "): " + e.what_without_backtrace());
    } catch (const std::exception& e) {
      SetError(std::string("initProcessGroup (rank ") + std::to_string(rank_) + " of " + std::to_string(worldSize_) + ", " +
               addr_ + ":" + std::to_string(port_) + "): " + e.what());
    }
  }
  void OnOK() override {
    auto* holder = new GroupPtr(std::move(group_));
    Resolve(GroupHandle::New(Env(), holder, [](Napi::Env, GroupPtr* p) { delete p; }));
  }

 private:
  int rank_, worldSize_;
  std::string addr_;
  int port_;
  int64_t timeoutMs_;
  GroupPtr group_;
};

// Runs one collective on a libuv thread; the body sees the group and may set a tensor result.
class CollectiveWorker : public PromiseWorker {
 public:
  using Body = std::function<at::Tensor(Group&)>;
  CollectiveWorker(Napi::Env env, GroupPtr g, const char* what, Body body)
      : PromiseWorker(env), g_(std::move(g)), what_(what), body_(std::move(body)) {}
  void Execute() override {
    try {
      at::NoGradGuard noGrad;  // collectives write tensor data; autograd must not see it
      std::lock_guard<std::mutex> lock(g_->mu);
      if (!g_->pg) throw std::runtime_error("the process group was destroyed");
      out_ = body_(*g_);
    } catch (const c10::Error& e) {
      SetError(std::string(what_) + " (rank " + std::to_string(g_->rank) + "): " + e.what_without_backtrace());
    } catch (const std::exception& e) {
      SetError(std::string(what_) + " (rank " + std::to_string(g_->rank) + "): " + e.what());
    }
  }
  void OnOK() override { Resolve(out_.defined() ? WrapTensor(Env(), out_) : Env().Undefined()); }

 private:
  GroupPtr g_;
  const char* what_;
  Body body_;
  at::Tensor out_;
};

static void Wait(const c10::intrusive_ptr<c10d::Work>& w) { w->wait(); }

// Groups tensors by dtype into flat buckets of at most `bucketBytes`, runs `op` on each flat buffer,
// and copies the results back: one collective per bucket instead of one per tensor.
template <typename Op>
static void Bucketed(Group& g, std::vector<at::Tensor>& ts, int64_t bucketBytes, Op op) {
  std::map<at::ScalarType, std::vector<std::vector<size_t>>> buckets;
  std::map<at::ScalarType, int64_t> fill;
  for (size_t i = 0; i < ts.size(); i++) {
    const at::Tensor& t = ts[i];
    TORCH_CHECK(t.defined(), "tensor ", i, " is undefined");
    TORCH_CHECK(t.device().is_cpu(), "tensor ", i, " is on ", t.device().str(), "; the Gloo group works on CPU tensors");
    TORCH_CHECK(t.is_contiguous(), "tensor ", i, " is not contiguous");
    auto& list = buckets[t.scalar_type()];
    int64_t bytes = t.numel() * static_cast<int64_t>(t.element_size());
    if (list.empty() || fill[t.scalar_type()] + bytes > bucketBytes) {
      list.emplace_back();
      fill[t.scalar_type()] = 0;
    }
    list.back().push_back(i);
    fill[t.scalar_type()] += bytes;
  }
  for (auto& [dtype, list] : buckets) {
    for (auto& idx : list) {
      if (idx.size() == 1) {
        op(ts[idx[0]]);  // in place, no copy
        continue;
      }
      int64_t total = 0;
      for (size_t i : idx) total += ts[i].numel();
      at::Tensor buf = g.Scratch(dtype, total);
      int64_t off = 0;
      for (size_t i : idx) {
        int64_t n = ts[i].numel();
        buf.narrow(0, off, n).copy_(ts[i].view(-1));
        off += n;
      }
      op(buf);
      off = 0;
      for (size_t i : idx) {
        int64_t n = ts[i].numel();
        ts[i].view(-1).copy_(buf.narrow(0, off, n));
        off += n;
      }
    }
  }
}

static constexpr int64_t kBucketBytes = 64ll << 20;

static at::Tensor AllReduceSum(Group& g, std::vector<at::Tensor> ts) {
  Bucketed(g, ts, kBucketBytes, [&](at::Tensor& buf) {
    std::vector<at::Tensor> one{buf};
    c10d::AllreduceOptions o;
    o.reduceOp = c10d::ReduceOp::SUM;
    Wait(g.pg->allreduce(one, o));
  });
  return at::Tensor();
}

static at::Tensor Broadcast(Group& g, std::vector<at::Tensor> ts, int64_t root) {
  TORCH_CHECK(root >= 0 && root < g.worldSize, "broadcast root ", root, " is outside 0..", g.worldSize - 1);
  Bucketed(g, ts, kBucketBytes, [&](at::Tensor& buf) {
    std::vector<at::Tensor> one{buf};
    c10d::BroadcastOptions o;
    o.rootRank = root;
    Wait(g.pg->broadcast(one, o));
  });
  return at::Tensor();
}

// Concatenation along dim 0 of every rank's tensor, in rank order. Shapes must agree beyond dim 0;
// dim 0 may differ between ranks (sizes are exchanged first, then the data, padded to the largest).
static at::Tensor AllGather(Group& g, at::Tensor t) {
  TORCH_CHECK(t.dim() >= 1, "needs a tensor with at least one dimension");
  TORCH_CHECK(t.device().is_cpu(), "the Gloo group works on CPU tensors");
  t = t.detach().contiguous();
  // Exchange shapes so that a mismatch is an error, not a hang or garbage.
  at::Tensor shape = at::tensor(t.sizes().vec(), at::kLong);
  at::Tensor rankDims = at::full({1}, t.dim(), at::kLong);
  {
    std::vector<std::vector<at::Tensor>> out(1);
    for (int r = 0; r < g.worldSize; r++) out[0].push_back(at::empty_like(rankDims));
    std::vector<at::Tensor> in{rankDims};
    Wait(g.pg->allgather(out, in));
    for (int r = 0; r < g.worldSize; r++) {
      TORCH_CHECK(out[0][r].item<int64_t>() == t.dim(), "rank ", r, " sent a ", out[0][r].item<int64_t>(),
                  "-d tensor, this rank a ", t.dim(), "-d one");
    }
  }
  std::vector<std::vector<at::Tensor>> shapes(1);
  for (int r = 0; r < g.worldSize; r++) shapes[0].push_back(at::empty_like(shape));
  {
    std::vector<at::Tensor> in{shape};
    Wait(g.pg->allgather(shapes, in));
  }
  int64_t maxRows = 0;
  std::vector<int64_t> rows(g.worldSize);
  for (int r = 0; r < g.worldSize; r++) {
    for (int64_t d = 1; d < t.dim(); d++) {
      TORCH_CHECK(shapes[0][r][d].item<int64_t>() == t.size(d), "rank ", r, " sent shape ",
                  c10::IntArrayRef(shapes[0][r].data_ptr<int64_t>(), t.dim()),
                  " but this rank has ", t.sizes(), " (all dimensions after the first must agree)");
    }
    rows[r] = shapes[0][r][0].item<int64_t>();
    maxRows = std::max(maxRows, rows[r]);
  }
  at::Tensor send = t;
  if (t.size(0) < maxRows) {
    auto padded = t.sizes().vec();
    padded[0] = maxRows;
    send = at::zeros(padded, t.options());
    send.narrow(0, 0, t.size(0)).copy_(t);
  }
  std::vector<std::vector<at::Tensor>> out(1);
  for (int r = 0; r < g.worldSize; r++) out[0].push_back(at::empty_like(send));
  std::vector<at::Tensor> in{send};
  Wait(g.pg->allgather(out, in));
  std::vector<at::Tensor> parts;
  for (int r = 0; r < g.worldSize; r++) parts.push_back(out[0][r].narrow(0, 0, rows[r]));
  return at::cat(parts);
}

static Napi::Value Collective(const Args& a, const char* what, CollectiveWorker::Body body) {
  auto* w = new CollectiveWorker(a.env(), UnwrapGroup(a, 0), what, std::move(body));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

void RegisterDistributed(Napi::Env env, Napi::Object exports) {
  exports.Set("distributedAvailable", Napi::Boolean::New(env, true));
  // initProcessGroup(rank, worldSize, masterAddr, masterPort, timeoutMs) -> Promise<handle>
  exports.Set("initProcessGroup", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    return Guard(info, [&](Args& a) -> Napi::Value {
      int64_t rank = a.i(0), world = a.i(1), port = a.i(3), timeout = a.i(4);
      if (world < 1) ArgError(a.env(), 1, "world size must be at least 1");
      if (rank < 0 || rank >= world) ArgError(a.env(), 0, "rank must be in 0.." + std::to_string(world - 1));
      if (port < 1 || port > 65535) ArgError(a.env(), 3, "port must be in 1..65535");
      if (timeout < 1) ArgError(a.env(), 4, "timeout must be a positive number of milliseconds");
      auto* w = new InitWorker(a.env(), static_cast<int>(rank), static_cast<int>(world), a.s(2), static_cast<int>(port), timeout);
      Napi::Promise p = w->Promise();
      w->Queue();
      return p;
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
  exports.Set("barrier", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    return Guard(info, [&](Args& a) -> Napi::Value {
      return Collective(a, "barrier", [](Group& g) {
        Wait(g.pg->barrier());
        return at::Tensor();
      });
    });
  }, "barrier"));
  // destroyProcessGroup(group): releases the group and its store; later calls on it throw.
  exports.Set("destroyProcessGroup", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    return Guard(info, [&](Args& a) -> Napi::Value {
      if (!a.has(0) || !a.raw(0).IsExternal()) ArgError(a.env(), 0, "expected a process group handle");
      GroupPtr g = *a.raw(0).As<GroupHandle>().Data();
      if (g) {
        std::lock_guard<std::mutex> lock(g->mu);
        g->pg.reset();
        g->store.reset();
      }
      return a.env().Undefined();
    });
  }, "destroyProcessGroup"));
}

#else  // built without Gloo headers: the functions exist and explain how to get them.

void RegisterDistributed(Napi::Env env, Napi::Object exports) {
  exports.Set("distributedAvailable", Napi::Boolean::New(env, false));
  for (const char* name : {"initProcessGroup", "allReduce", "broadcast", "allGather", "barrier", "destroyProcessGroup"}) {
    exports.Set(name, Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
      throw Napi::Error::New(info.Env(),
                             "this cvrl addon was built without c10d/Gloo (its headers were not found): install libgloo-dev "
                             "(or use a libtorch that ships include/gloo) and rebuild with `npm run build:native`");
    }));
  }
}

#endif

}  // namespace cvrl
