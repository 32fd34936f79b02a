// The CUDA backend's entry points. Every kernel has a CPU twin with the same signature and
// inputs (the CPU path is the reference). Without a CUDA build, or without a GPU, the
// *_cuda functions are not callable: cuda_available() says why.
#pragma once
#include <string>
#include <vector>

namespace attnlab::core {

// True when this build has the CUDA backend and a GPU is present; otherwise false with the reason.
bool cuda_available(std::string* why);

// Positional multi-head forward, the kernel of an H-head causal Toeplitz layer:
//   Y[b, i, :] = sum_h V_h sum_{j<=i} c_h(i-j) X[b, j, :]
// X: batch x n x d, c: H x n (lag-major per head), V: H x p x d (each V_h column-major),
// Y: batch x n x p; all row-major flat arrays of double.
struct PositionalShape {
  int batch = 1, n = 0, d = 0, p = 0, heads = 0;
};
void positional_forward_cpu(const PositionalShape& s, const std::vector<double>& X, const std::vector<double>& c,
                            const std::vector<double>& V, std::vector<double>& Y);
// Same on the GPU; throws std::runtime_error when cuda_available() is false.
void positional_forward_cuda(const PositionalShape& s, const std::vector<double>& X, const std::vector<double>& c,
                             const std::vector<double>& V, std::vector<double>& Y);

}  // namespace attnlab::core
