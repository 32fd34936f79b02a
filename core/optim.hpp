// Training utilities: Adam over a list of parameter blocks, and a gradient check by
// central differences (used by tests and by claims that verify hand-written gradients).
#pragma once
#include "core/linalg.hpp"

#include <functional>
#include <utility>
#include <vector>

namespace attnlab::core {

struct AdamOptions {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
};

// Adam (Kingma & Ba) with bias correction; one state per parameter block.
class Adam {
 public:
  explicit Adam(AdamOptions opt = {}) : opt_(opt) {}
  // Updates params[k] -= lr * mhat / (sqrt(vhat) + eps) with grads[k]; sizes fixed at the first call.
  void step(const std::vector<MatrixXd*>& params, const std::vector<MatrixXd>& grads);
  long steps() const { return t_; }
  void set_lr(double lr) { opt_.lr = lr; }
  double lr() const { return opt_.lr; }
  const AdamOptions& options() const { return opt_; }
  // Optimizer state, for checkpoints: step count and first / second moments per block
  // (empty before the first step). restore() puts back a saved state exactly.
  const std::vector<MatrixXd>& first_moments() const { return m_; }
  const std::vector<MatrixXd>& second_moments() const { return v_; }
  void restore(long t, std::vector<MatrixXd> m, std::vector<MatrixXd> v) {
    t_ = t;
    m_ = std::move(m);
    v_ = std::move(v);
  }

 private:
  AdamOptions opt_;
  long t_ = 0;
  std::vector<MatrixXd> m_, v_;
};

// Weighted low-rank factorization loss sum_m w_m ||L[:, m] - V c[:, m]||^2 (L: r x n, w: n
// column weights, V: r x H, c: H x n) with its hand-written gradients
// dV = -2 sum_m w_m R_m c[:, m]^T and dc[:, m] = -2 w_m V^T R_m (R = L - V c). gV, gc may be null.
double weighted_factorization_loss(const MatrixXd& L, const VectorXd& w, const MatrixXd& V, const MatrixXd& c,
                                   MatrixXd* gV, MatrixXd* gc);

// Central-difference gradient of f at x (entry by entry, step h).
MatrixXd central_difference_gradient(const std::function<double(const MatrixXd&)>& f, const MatrixXd& x,
                                     double h = 1e-6);

// max |a - b| / max(max|b|, floor): the relative error a gradient check reports.
double max_relative_error(const MatrixXd& a, const MatrixXd& b, double floor = 1e-300);

}  // namespace attnlab::core
