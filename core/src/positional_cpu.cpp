// CPU twin of the CUDA positional multi-head forward (core/cuda/positional.cu).
#include "core/cuda.hpp"

#include <stdexcept>

namespace attnlab::core {

void positional_forward_cpu(const PositionalShape& s, const std::vector<double>& X, const std::vector<double>& c,
                            const std::vector<double>& V, std::vector<double>& Y) {
  const size_t nx = size_t(s.batch) * s.n * s.d, nc = size_t(s.heads) * s.n, nv = size_t(s.heads) * s.p * s.d;
  if (X.size() != nx || c.size() != nc || V.size() != nv) throw std::invalid_argument("positional_forward: bad sizes");
  Y.assign(size_t(s.batch) * s.n * s.p, 0.0);
  std::vector<double> z(s.d);
  for (int b = 0; b < s.batch; ++b)
    for (int i = 0; i < s.n; ++i)
      for (int h = 0; h < s.heads; ++h) {
        // z = sum_{j<=i} c_h(i-j) x_j, then y_i += V_h z
        for (int k = 0; k < s.d; ++k) z[k] = 0.0;
        for (int j = 0; j <= i; ++j) {
          const double w = c[size_t(h) * s.n + (i - j)];
          const double* x = &X[(size_t(b) * s.n + j) * s.d];
          for (int k = 0; k < s.d; ++k) z[k] += w * x[k];
        }
        for (int a = 0; a < s.p; ++a) {
          double acc = 0.0;
          for (int k = 0; k < s.d; ++k) acc += V[size_t(h) * s.p * s.d + a + size_t(s.p) * k] * z[k];
          Y[(size_t(b) * s.n + i) * s.p + a] += acc;
        }
      }
}

}  // namespace attnlab::core
