// NCCL's process group, for CUDA tensors. Built only when the linked libtorch has CUDA and ships
// ProcessGroupNCCL (CVRL_WITH_NCCL, see scripts/torch-config.mjs); elsewhere asking for it explains why not.
#include "dist_group.h"

#if CVRL_WITH_C10D
#if CVRL_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace cvrl {

#if CVRL_WITH_NCCL

std::string NcclMissing() { return ""; }

c10::intrusive_ptr<Backend> MakeNcclGroup(const c10::intrusive_ptr<c10d::Store>& store, int rank, int worldSize,
                                          std::chrono::milliseconds timeout) {
  auto opts = c10d::ProcessGroupNCCL::Options::create();
  opts->timeout = timeout;
  return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, worldSize, opts);
}

#else

std::string NcclMissing() {
  return std::string("the NCCL backend needs an addon built against a CUDA libtorch with NCCL (this one has ") +
         (CVRL_WITH_CUDA ? "CUDA but no ProcessGroupNCCL" : "no CUDA: Debian's libtorch-dev is CPU-only") +
         "); rebuild with LIBTORCH=<a CUDA libtorch or torch package directory> npm run build:native";
}

c10::intrusive_ptr<Backend> MakeNcclGroup(const c10::intrusive_ptr<c10d::Store>&, int, int, std::chrono::milliseconds) {
  TORCH_CHECK(false, NcclMissing());
}

#endif

}  // namespace cvrl

#endif
