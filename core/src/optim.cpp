#include "core/optim.hpp"

#include <cmath>
#include <stdexcept>

namespace attnlab::core {

void Adam::step(const std::vector<MatrixXd*>& params, const std::vector<MatrixXd>& grads) {
  if (params.size() != grads.size()) throw std::invalid_argument("Adam::step: params and grads differ in count");
  if (m_.empty()) {
    for (const auto* p : params) {
      m_.push_back(MatrixXd::Zero(p->rows(), p->cols()));
      v_.push_back(MatrixXd::Zero(p->rows(), p->cols()));
    }
  }
  if (m_.size() != params.size()) throw std::invalid_argument("Adam::step: parameter blocks changed");
  ++t_;
  const double c1 = 1.0 - std::pow(opt_.beta1, double(t_));
  const double c2 = 1.0 - std::pow(opt_.beta2, double(t_));
  for (size_t k = 0; k < params.size(); ++k) {
    m_[k] = opt_.beta1 * m_[k] + (1 - opt_.beta1) * grads[k];
    v_[k] = opt_.beta2 * v_[k] + (1 - opt_.beta2) * grads[k].cwiseProduct(grads[k]);
    MatrixXd& p = *params[k];
    for (Eigen::Index j = 0; j < p.cols(); ++j)
      for (Eigen::Index i = 0; i < p.rows(); ++i)
        p(i, j) -= opt_.lr * (m_[k](i, j) / c1) / (std::sqrt(v_[k](i, j) / c2) + opt_.eps);
  }
}

double weighted_factorization_loss(const MatrixXd& L, const VectorXd& w, const MatrixXd& V, const MatrixXd& c,
                                   MatrixXd* gV, MatrixXd* gc) {
  const MatrixXd R = L - V * c;
  const MatrixXd Rw = R * w.asDiagonal();
  if (gV) *gV = -2.0 * Rw * c.transpose();
  if (gc) *gc = -2.0 * V.transpose() * Rw;
  return R.cwiseProduct(Rw).sum();
}

MatrixXd central_difference_gradient(const std::function<double(const MatrixXd&)>& f, const MatrixXd& x, double h) {
  MatrixXd g(x.rows(), x.cols());
  MatrixXd xp = x;
  for (Eigen::Index j = 0; j < x.cols(); ++j)
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
      const double orig = xp(i, j);
      xp(i, j) = orig + h;
      const double fp = f(xp);
      xp(i, j) = orig - h;
      const double fm = f(xp);
      xp(i, j) = orig;
      g(i, j) = (fp - fm) / (2 * h);
    }
  return g;
}

double max_relative_error(const MatrixXd& a, const MatrixXd& b, double floor) {
  const double scale = std::max(b.cwiseAbs().maxCoeff(), floor);
  return (a - b).cwiseAbs().maxCoeff() / scale;
}

}  // namespace attnlab::core
