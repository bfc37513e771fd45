// The collectives training needs, on c10d's Gloo or NCCL group: all-reduce SUM and broadcast over
// many tensors (packed into flat buckets on the group's device), and an all-gather along dim 0 that
// checks shapes first. Tensors on another device (a flag on CPU under NCCL) go through the buckets.
// Nothing here implements a collective itself; each runs on the group's thread (dist_group.h).
#include "dist_group.h"

#if CVRL_WITH_C10D

namespace cvrl {

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
      if (idx.size() == 1 && ts[idx[0]].device() == g.device) {
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

at::Tensor AllReduceSum(Group& g, std::vector<at::Tensor> ts) {
  Bucketed(g, ts, kBucketBytes, [&](at::Tensor& buf) {
    std::vector<at::Tensor> one{buf};
    c10d::AllreduceOptions o;
    o.reduceOp = c10d::ReduceOp::SUM;
    Wait(g.pg->allreduce(one, o));
  });
  return at::Tensor();
}

at::Tensor Broadcast(Group& g, std::vector<at::Tensor> ts, int64_t root) {
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
at::Tensor AllGather(Group& g, at::Tensor t) {
  TORCH_CHECK(t.dim() >= 1, "needs a tensor with at least one dimension");
  const at::Device home = t.device();
  t = t.detach().to(g.device).contiguous();
  // Exchange shapes so that a mismatch is an error, not a hang or garbage.
  const auto onGroup = at::TensorOptions().dtype(at::kLong).device(g.device);
  at::Tensor shape = at::tensor(t.sizes().vec(), at::kLong).to(g.device);
  at::Tensor rankDims = at::full({1}, t.dim(), onGroup);
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
  for (auto& s : shapes[0]) s = s.cpu();
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
  return at::cat(parts).to(home);
}

}  // namespace cvrl

#endif
