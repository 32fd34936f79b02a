// GPU kernel of the positional multi-head forward; CPU twin: core/src/positional_cpu.cpp.
// One thread per output entry (b, i, a); the sums run in the same order as the CPU twin
// (heads, then keys j = 0..i, then k), so results agree to rounding of the same operations
// (FMA contraction may differ: the parity test allows a few ulps per accumulated term).
#include "core/cuda.hpp"

#include <cuda_runtime.h>
#include <stdexcept>
#include <string>

namespace attnlab::core {

namespace {
__global__ void positional_kernel(int batch, int n, int d, int p, int H, const double* X, const double* c,
                                  const double* V, double* Y) {
  const long idx = long(blockIdx.x) * blockDim.x + threadIdx.x;
  const long total = long(batch) * n * p;
  if (idx >= total) return;
  const int a = int(idx % p);
  const int i = int((idx / p) % n);
  const int b = int(idx / (long(p) * n));
  double y = 0.0;
  for (int h = 0; h < H; ++h) {
    double acc = 0.0;
    for (int k = 0; k < d; ++k) {
      double z = 0.0;
      for (int j = 0; j <= i; ++j) z += c[long(h) * n + (i - j)] * X[(long(b) * n + j) * d + k];
      acc += V[long(h) * p * d + a + long(p) * k] * z;
    }
    y += acc;
  }
  Y[idx] = y;
}

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(e));
}
}  // namespace

bool cuda_available(std::string* why) {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess || count == 0) {
    if (why) *why = std::string("no CUDA GPU is present (") + (e != cudaSuccess ? cudaGetErrorString(e) : "0 devices") + ")";
    return false;
  }
  return true;
}

void positional_forward_cuda(const PositionalShape& s, const std::vector<double>& X, const std::vector<double>& c,
                             const std::vector<double>& V, std::vector<double>& Y) {
  std::string why;
  if (!cuda_available(&why)) throw std::runtime_error("positional_forward_cuda: " + why);
  const size_t nx = size_t(s.batch) * s.n * s.d, nc = size_t(s.heads) * s.n, nv = size_t(s.heads) * s.p * s.d;
  const size_t ny = size_t(s.batch) * s.n * s.p;
  if (X.size() != nx || c.size() != nc || V.size() != nv) throw std::invalid_argument("positional_forward: bad sizes");
  double *dX = nullptr, *dc = nullptr, *dV = nullptr, *dY = nullptr;
  check(cudaMalloc(&dX, nx * sizeof(double)), "cudaMalloc");
  check(cudaMalloc(&dc, nc * sizeof(double)), "cudaMalloc");
  check(cudaMalloc(&dV, nv * sizeof(double)), "cudaMalloc");
  check(cudaMalloc(&dY, ny * sizeof(double)), "cudaMalloc");
  check(cudaMemcpy(dX, X.data(), nx * sizeof(double), cudaMemcpyHostToDevice), "cudaMemcpy");
  check(cudaMemcpy(dc, c.data(), nc * sizeof(double), cudaMemcpyHostToDevice), "cudaMemcpy");
  check(cudaMemcpy(dV, V.data(), nv * sizeof(double), cudaMemcpyHostToDevice), "cudaMemcpy");
  const int threads = 128;
  const int blocks = int((ny + threads - 1) / threads);
  positional_kernel<<<blocks, threads>>>(s.batch, s.n, s.d, s.p, s.heads, dX, dc, dV, dY);
  check(cudaGetLastError(), "positional_kernel launch");
  Y.resize(ny);
  check(cudaMemcpy(Y.data(), dY, ny * sizeof(double), cudaMemcpyDeviceToHost), "cudaMemcpy");
  cudaFree(dX);
  cudaFree(dc);
  cudaFree(dV);
  cudaFree(dY);
}

}  // namespace attnlab::core
