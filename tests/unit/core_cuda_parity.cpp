// Parity of the CUDA positional multi-head forward with its CPU twin. Skipped (exit 77,
// reported by CTest as skipped) where this build has no CUDA backend or no GPU is present.
//
// Tolerance: both paths perform the same operations in the same order; they may differ only
// where nvcc contracts a multiply-add into an FMA (one rounding instead of two). Each output
// is a sum of H * d * (n + 1) products, so the difference is at most about
// 2 * H * d * (n + 1) * eps * sum|terms|; we assert 4 * H * d * (n + 1) * eps relative to the
// sum of absolute terms, computed alongside.
#include "core/cuda.hpp"
#include "core/rng.hpp"

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

int main() {
  using namespace attnlab::core;
  std::string why;
  if (!cuda_available(&why)) {
    std::printf("SKIPPED: %s\n", why.c_str());
    return 77;
  }
  PositionalShape s;
  s.batch = 3;
  s.n = 64;
  s.d = 4;
  s.p = 3;
  s.heads = 5;
  PhiloxStream r(1, 0);
  std::vector<double> X(size_t(s.batch) * s.n * s.d), c(size_t(s.heads) * s.n), V(size_t(s.heads) * s.p * s.d);
  for (auto& v : X) v = r.normal();
  for (auto& v : c) v = r.normal();
  for (auto& v : V) v = r.normal();
  std::vector<double> Ycpu, Ygpu, Yabs;
  positional_forward_cpu(s, X, c, V, Ycpu);
  positional_forward_cuda(s, X, c, V, Ygpu);
  std::vector<double> Xa(X), ca(c), Va(V);
  for (auto& v : Xa) v = std::fabs(v);
  for (auto& v : ca) v = std::fabs(v);
  for (auto& v : Va) v = std::fabs(v);
  positional_forward_cpu(s, Xa, ca, Va, Yabs);
  const double eps = std::numeric_limits<double>::epsilon();
  const double k = 4.0 * s.heads * s.d * (s.n + 1);
  double worst = 0;
  for (size_t i = 0; i < Ycpu.size(); ++i) worst = std::fmax(worst, std::fabs(Ycpu[i] - Ygpu[i]) / (k * eps * Yabs[i]));
  std::printf("worst |cpu - gpu| / (k eps sum|terms|) = %.3g (must be <= 1)\n", worst);
  return worst <= 1.0 ? 0 : 1;
}
