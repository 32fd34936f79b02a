// Backward passes of the attention layers: the softmax head's VJP (score path included) against
// central differences, with huge logits too; the single-row VJP against the full one; and the
// factorized layer's VJP with fixed coefficients (J_{i,j} = sum_h alpha^h_ij V_h).
#include "core/attention.hpp"
#include "core/optim.hpp"

#include <catch2/catch.hpp>
#include <cmath>

using namespace attnlab::core;

namespace {
MultiHeadSoftmax<double> random_mha(PhiloxStream& r, int H, int d, int dk, int dv, int p, double score_scale = 1.0) {
  MultiHeadSoftmax<double> mh;
  for (int h = 0; h < H; ++h)
    mh.heads.push_back({r.normal_matrix(dk, d, score_scale), r.normal_matrix(dk, d), r.normal_matrix(dv, d),
                        r.normal_matrix(p, dv)});
  return mh;
}
// Gradient of L(X) = <G, forward(X)> by the backward pass and by central differences.
void compare_with_fd(const MultiHeadSoftmax<double>& mh, const MatrixXd& X, const MatrixXd& G,
                     const SoftmaxOptions& opt, double tol) {
  const MatrixXd analytic = mh.backward(X, G, opt);
  REQUIRE(analytic.allFinite());
  const auto loss = [&](const MatrixXd& Z) { return (G.array() * mh.forward(Z, opt).array()).sum(); };
  const MatrixXd fd = central_difference_gradient(loss, X, 1e-6);
  INFO("max relative error " << max_relative_error(analytic, fd));
  CHECK(max_relative_error(analytic, fd) <= tol);
}
}  // namespace

TEST_CASE("softmax attention backward matches central differences (causal, ALiBi, non-causal)") {
  PhiloxStream r(21, 0);
  const int n = 7, d = 3, p = 2;
  const auto mh = random_mha(r, 2, d, 4, 3, p);
  const MatrixXd X = r.normal_matrix(n, d), G = r.normal_matrix(n, p);
  const MatrixXd bias = alibi_bias<double>(n, 0.5);
  SoftmaxOptions causal, alibi, full;
  alibi.bias = &bias;
  full.causal = false;
  compare_with_fd(mh, X, G, causal, 1e-7);
  compare_with_fd(mh, X, G, alibi, 1e-7);
  compare_with_fd(mh, X, G, full, 1e-7);
}

TEST_CASE("softmax attention backward with huge logits stays finite and matches central differences") {
  // Scores of order 1e3: exp would overflow without the row maximum; the softmax is saturated,
  // so the score path nearly vanishes and the value path dominates.
  PhiloxStream r(22, 0);
  const int n = 6, d = 3, p = 3;
  const auto mh = random_mha(r, 1, d, 3, 3, p, 300.0);
  const MatrixXd X = r.normal_matrix(n, d), G = r.normal_matrix(n, p);
  const MatrixXd s = softmax_scores(mh.heads[0], X, SoftmaxOptions{});
  REQUIRE(s.cwiseAbs().maxCoeff() > 300);
  compare_with_fd(mh, X, G, SoftmaxOptions{}, 1e-6);
}

TEST_CASE("the single-row VJP equals the full VJP with a cotangent on that row") {
  PhiloxStream r(23, 0);
  const int n = 9, d = 4, p = 3;
  const auto mh = random_mha(r, 2, d, 3, 5, p);
  const MatrixXd X = r.normal_matrix(n, d);
  const MatrixXd bias = alibi_bias<double>(n, 0.3);
  for (bool causal : {true, false})
    for (bool with_bias : {false, true}) {
      SoftmaxOptions opt;
      opt.causal = causal;
      if (with_bias) opt.bias = &bias;
      for (int i : {0, 4, n - 1}) {
        const VectorXd g = r.normal_vector(p);
        MatrixXd G = MatrixXd::Zero(n, p);
        G.row(i) = g.transpose();
        const MatrixXd full = mh.backward(X, G, opt), row = mh.backward_row(X, i, g, opt);
        INFO("causal " << causal << " bias " << with_bias << " i " << i);
        CHECK((full - row).norm() <= 1e-13 * full.norm());
      }
    }
}

TEST_CASE("factorized layer VJP with fixed coefficients: J_ij = sum_h alpha^h_ij V_h") {
  PhiloxStream r(24, 0);
  const int n = 6, d = 3, p = 2;
  FactorizedLayer<double> L;
  for (int h = 0; h < 2; ++h) {
    L.alpha.push_back(toeplitz_causal<double>(r.normal_vector(n), n));
    L.V.push_back(r.normal_matrix(p, d));
  }
  for (int i = 0; i < n; ++i)
    for (int r_out = 0; r_out < p; ++r_out) {
      MatrixXd G = MatrixXd::Zero(n, p);
      G(i, r_out) = 1.0;
      const MatrixXd dX = factorized_backward(L, G);
      for (int j = 0; j < n; ++j)
        CHECK((dX.row(j) - interaction_operator(L, i, j).row(r_out)).norm() <= 1e-14 * (1 + dX.norm()));
    }
  // adjoint of the forward pass
  const MatrixXd X = r.normal_matrix(n, d), G = r.normal_matrix(n, p);
  const double lhs = (G.array() * factorized_forward(L, X).array()).sum();
  const double rhs = (factorized_backward(L, G).array() * X.array()).sum();
  CHECK(std::abs(lhs - rhs) <= 1e-12 * (std::abs(lhs) + 1));
}
