// Non-template parts of core/tensor_attention.hpp: multi-index enumeration and input families.
#include "core/tensor_attention.hpp"

namespace attnlab::core {

MultiIndexSet multi_indices(int d, int g) {
  if (d < 1 || g < 0) throw std::invalid_argument("multi_indices: need d >= 1 and g >= 0");
  MultiIndexSet mi;
  mi.d = d;
  mi.g = g;
  mi.alpha.push_back(std::vector<int>(static_cast<size_t>(d), 0));
  mi.parent.push_back(-1);
  mi.coord.push_back(-1);
  mi.degree.push_back(0);
  size_t begin = 0, end = 1;  // entries of the previous degree
  for (int m = 1; m <= g; ++m) {
    for (size_t p = begin; p < end; ++p) {
      // The child adds a unit at coordinate l >= the parent's last nonzero coordinate, so that
      // every multi-index is produced exactly once (its parent drops its last nonzero unit).
      int last = 0;
      for (int l = d - 1; l >= 0; --l)
        if (mi.alpha[p][static_cast<size_t>(l)] > 0) {
          last = l;
          break;
        }
      for (int l = last; l < d; ++l) {
        std::vector<int> a = mi.alpha[p];
        a[static_cast<size_t>(l)] += 1;
        mi.alpha.push_back(std::move(a));
        mi.parent.push_back(static_cast<int>(p));
        mi.coord.push_back(l);
        mi.degree.push_back(m);
      }
    }
    begin = end;
    end = mi.alpha.size();
  }
  return mi;
}

TensorInputs tensor_inputs_uniform(int n, int d, int t, double B, PhiloxStream& rng) {
  if (n < 1 || d < 1 || t < 2) throw std::invalid_argument("tensor_inputs_uniform: need n, d >= 1, t >= 2");
  TensorInputs in;
  auto fill = [&](double lo, double hi) {
    MatrixXd M(n, d);
    for (int l = 0; l < d; ++l)
      for (int i = 0; i < n; ++i) M(i, l) = rng.uniform(lo, hi);
    return M;
  };
  in.Q = fill(-B, B);
  for (int k = 0; k < t - 1; ++k) in.K.push_back(fill(-B, B));
  for (int k = 0; k < t - 1; ++k) in.V.push_back(fill(-1.0, 1.0));
  return in;
}

TensorInputs tensor_inputs_extremal(int n, int d, int t, double B, PhiloxStream& rng) {
  if (n < 1 || d < 1 || t < 2) throw std::invalid_argument("tensor_inputs_extremal: need n, d >= 1, t >= 2");
  TensorInputs in;
  auto signs = [&]() {
    MatrixXd M(n, d);
    for (int l = 0; l < d; ++l)
      for (int i = 0; i < n; ++i) M(i, l) = (rng.next_u64() >> 63) ? B : -B;
    return M;
  };
  in.Q = signs();
  for (int k = 0; k < t - 1; ++k) in.K.push_back(signs());
  in.Q.row(0).setConstant(B);
  if (n >= 2) in.Q.row(1).setConstant(-B);
  for (auto& K : in.K) K.row(0).setConstant(B);
  for (const auto& K : in.K) in.V.push_back(K / B);
  return in;
}

}  // namespace attnlab::core
