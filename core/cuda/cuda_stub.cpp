// Built when the CUDA backend is not (ATTNLAB_CUDA=OFF, or AUTO without nvcc).
#include "core/cuda.hpp"

#include <stdexcept>

namespace attnlab::core {

bool cuda_available(std::string* why) {
  if (why) *why = "this build has no CUDA backend (configure with -DATTNLAB_CUDA=ON on a machine with nvcc)";
  return false;
}

void positional_forward_cuda(const PositionalShape&, const std::vector<double>&, const std::vector<double>&,
                             const std::vector<double>&, std::vector<double>&) {
  throw std::runtime_error("positional_forward_cuda: this build has no CUDA backend");
}

}  // namespace attnlab::core
