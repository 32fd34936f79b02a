// theory::ssm_heads gradient predictions against the simulators: the closed-form single-key
// Jacobian against central differences of the softmax head's forward pass, and the decay
// envelope as an upper bound on g(l) = ||C A^l B||_2 measured through the SSM backward pass.
#include "core/attention.hpp"
#include "core/optim.hpp"
#include "core/ssm.hpp"
#include "theory/ssm_heads.hpp"

#include <catch2/catch.hpp>
#include <cmath>

using namespace attnlab;
using core::MatrixXd;
using core::VectorXd;

namespace {
// d y_i / d x_j of one causal softmax head by central differences of the forward pass.
MatrixXd fd_block(const core::SoftmaxHead<double>& h, const MatrixXd& X, int i, int j, const core::SoftmaxOptions& opt) {
  core::MultiHeadSoftmax<double> mh;
  mh.heads = {h};
  const Eigen::Index p = h.WO.rows(), d = X.cols();
  MatrixXd J(p, d);
  for (Eigen::Index r = 0; r < p; ++r) {
    const auto f = [&](const MatrixXd& xj) {
      MatrixXd Z = X;
      Z.row(j) = xj;
      return mh.forward(Z, opt)(i, r);
    };
    J.row(r) = core::central_difference_gradient(f, X.row(j), 1e-6);
  }
  return J;
}
}  // namespace

TEST_CASE("single_key_jacobian matches central differences on highway inputs (with and without ALiBi)") {
  core::PhiloxStream r(31, 0);
  const int n = 10, d = 3;
  const double sc = 1.0 / std::sqrt(double(d));
  const core::SoftmaxHead<double> h{r.normal_matrix(d, d, sc), r.normal_matrix(d, d, sc), r.normal_matrix(d, d, sc),
                                    r.normal_matrix(d, d, sc)};
  VectorXd q = r.normal_vector(d);
  q /= q.norm();
  const VectorXd u = h.WK.transpose() * (h.WQ * q) / std::sqrt(double(d));
  const VectorXd f0 = VectorXd::Zero(d), f1 = 0.6 * r.normal_vector(d).normalized();
  for (const VectorXd& f : {f0, f1})
    for (double m : {0.0, 0.5}) {
      // a moderate margin keeps every term of J visible to the finite differences
      const VectorXd a = (1.0 + u.dot(f)) * u / u.squaredNorm();
      const MatrixXd bias = core::alibi_bias<double>(n, m);
      core::SoftmaxOptions opt;
      if (m > 0) opt.bias = &bias;
      for (int l : {1, 4, n - 1}) {
        MatrixXd X = f.transpose().replicate(n, 1);
        X.row(n - 1) = q.transpose();
        X.row(n - 1 - l) = a.transpose();
        const MatrixXd J = theory::ssm_heads::single_key_jacobian(h.WQ, h.WK, h.WV, h.WO, q, a, f, n, l, m);
        const MatrixXd fd = fd_block(h, X, n - 1, n - 1 - l, opt);
        INFO("m " << m << " l " << l << " |f| " << f.norm() << " err " << core::max_relative_error(J, fd));
        CHECK(core::max_relative_error(J, fd) <= 1e-7);
      }
    }
}

TEST_CASE("single_key_jacobian does not depend on the distance without a bias") {
  core::PhiloxStream r(32, 0);
  const int n = 16, d = 4;
  const MatrixXd WQ = r.normal_matrix(d, d), WK = r.normal_matrix(d, d), WV = r.normal_matrix(d, d),
                 WO = r.normal_matrix(2, d);
  const VectorXd q = r.normal_vector(d), a = r.normal_vector(d), f = r.normal_vector(d);
  const MatrixXd J1 = theory::ssm_heads::single_key_jacobian(WQ, WK, WV, WO, q, a, f, n, 1, 0.0);
  for (int l = 2; l < n; ++l)
    CHECK((theory::ssm_heads::single_key_jacobian(WQ, WK, WV, WO, q, a, f, n, l, 0.0) - J1).norm() <=
          1e-14 * J1.norm());
  // with ALiBi it does
  CHECK((theory::ssm_heads::single_key_jacobian(WQ, WK, WV, WO, q, a, f, n, n - 1, 0.5) -
         theory::ssm_heads::single_key_jacobian(WQ, WK, WV, WO, q, a, f, n, 1, 0.5))
            .norm() > 1e-3 * J1.norm());
}

TEST_CASE("decay_envelope bounds g(l) measured through the SSM backward pass; decay_rate = rho(A)") {
  core::PhiloxStream r(33, 0);
  for (int trial = 0; trial < 4; ++trial) {
    const int N = 5, p = 2, d = 3, n = 80;
    // non-normal, diagonalizable (generic), with a complex pair or not
    MatrixXd A = r.normal_matrix(N, N);
    A *= 0.93 / core::spectral_radius(A);
    const MatrixXd B = r.normal_matrix(N, d), C = r.normal_matrix(p, N);
    const core::LinearSSM<double> s{A, B, C, MatrixXd::Zero(p, d)};
    CHECK(theory::ssm_heads::decay_rate(A) == Approx(0.93).epsilon(1e-12));
    const int t = n - 1;
    std::vector<MatrixXd> J(n, MatrixXd(p, d));
    for (int row = 0; row < p; ++row) {
      MatrixXd G = MatrixXd::Zero(n, p);
      G(t, row) = 1.0;
      const MatrixXd dX = s.backward(G);
      for (int l = 0; l < n; ++l) J[l].row(row) = dX.row(t - l);
    }
    for (int l = 0; l < n; ++l) {
      const double g = core::spectral_norm(J[l]), env = theory::ssm_heads::decay_envelope(A, B, C, l);
      INFO("trial " << trial << " l " << l << " g " << g << " envelope " << env);
      CHECK(g <= env * (1 + 1e-12));
    }
  }
  // normal A: the envelope is ||C|| ||B|| rho^l (kappa(S) = 1) and is attained for B = C = I
  const MatrixXd A = 0.9 * core::rotation2(1.0), I = MatrixXd::Identity(2, 2);
  CHECK(theory::ssm_heads::decay_envelope(A, I, I, 10) == Approx(std::pow(0.9, 10)).epsilon(1e-12));
}
