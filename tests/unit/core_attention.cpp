#include "core/attention.hpp"

#include <catch2/catch.hpp>
#include <cmath>

using namespace attnlab::core;

TEST_CASE("softmax with huge logits stays finite and exact") {
  MatrixXd s(2, 3);
  s << 1000, 1000, 0, -1e300, 0, 1e3;
  const MatrixXd A = softmax_rows<double>(s, false);
  CHECK(A.allFinite());
  CHECK(A(0, 0) == Approx(0.5));
  CHECK(A(0, 1) == Approx(0.5));
  CHECK(A(0, 2) < 1e-300);
  CHECK(A(1, 2) == Approx(1.0));
  CHECK(A.row(0).sum() == Approx(1.0));
}

TEST_CASE("causal mask zeroes the future and rows sum to one") {
  PhiloxStream r(1, 0);
  const MatrixXd s = r.normal_matrix(5, 5, 3.0);
  const MatrixXd A = softmax_rows<double>(s, true);
  for (int i = 0; i < 5; ++i) {
    CHECK(A.row(i).sum() == Approx(1.0).epsilon(1e-15));
    for (int j = i + 1; j < 5; ++j) CHECK(A(i, j) == 0.0);
  }
  CHECK(A(0, 0) == 1.0);
}

TEST_CASE("ALiBi bias shifts the weights by exp(-m * distance)") {
  // equal scores: alpha_ij proportional to exp(-m (i-j))
  SoftmaxHead<double> h{MatrixXd::Zero(2, 2), MatrixXd::Zero(2, 2), MatrixXd::Identity(2, 2), MatrixXd::Identity(2, 2)};
  const MatrixXd X = MatrixXd::Ones(4, 2);
  const MatrixXd b = alibi_bias<double>(4, 0.5);
  SoftmaxOptions opt;
  opt.bias = &b;
  const MatrixXd A = softmax_weights(h, X, opt);
  CHECK(A(3, 2) / A(3, 3) == Approx(std::exp(-0.5)));
  CHECK(A(3, 0) / A(3, 3) == Approx(std::exp(-1.5)));
}

TEST_CASE("multi-head forward equals the per-head sum and the standard MHA formula") {
  PhiloxStream r(2, 0);
  MultiHeadSoftmax<double> mh;
  for (int h = 0; h < 3; ++h)
    mh.heads.push_back({r.normal_matrix(2, 4), r.normal_matrix(2, 4), r.normal_matrix(3, 4), r.normal_matrix(5, 3)});
  const MatrixXd X = r.normal_matrix(6, 4);
  SoftmaxOptions opt;
  const auto L = mh.factorize(X, opt);
  const auto outs = head_outputs(L, X);
  MatrixXd sum = MatrixXd::Zero(6, 5), direct = MatrixXd::Zero(6, 5);
  for (int h = 0; h < 3; ++h) {
    sum += outs[h];
    const auto& hd = mh.heads[h];
    const MatrixXd A = softmax_rows<double>((X * hd.WQ.transpose()) * (X * hd.WK.transpose()).transpose() / std::sqrt(2.0), true);
    direct += A * X * hd.WV.transpose() * hd.WO.transpose();
  }
  const MatrixXd Y = mh.forward(X, opt);
  CHECK((Y - sum).norm() < 1e-13 * Y.norm());
  CHECK((Y - direct).norm() < 1e-13 * Y.norm());
}

TEST_CASE("interaction operators of H heads span at most H dimensions") {
  PhiloxStream r(3, 0);
  const int n = 6, d = 3;
  for (int H : {1, 2, 3}) {
    MultiHeadSoftmax<double> mh;
    for (int h = 0; h < H; ++h)
      mh.heads.push_back({r.normal_matrix(3, d), r.normal_matrix(3, d), r.normal_matrix(3, d), r.normal_matrix(d, 3)});
    const MatrixXd X = r.normal_matrix(n, d);
    const auto L = mh.factorize(X, SoftmaxOptions{});
    const MatrixXd R = interaction_rows(L, true);
    CHECK(R.rows() == n * (n + 1) / 2);
    CHECK(numerical_rank<double>(R, 1e-10) == H);
    // W_ij assembled from alpha V reproduces the forward pass: y_i = sum_j W_ij x_j
    const MatrixXd Y = factorized_forward(L, X);
    for (int i = 0; i < n; ++i) {
      VectorXd y = VectorXd::Zero(d);
      for (int j = 0; j <= i; ++j) y += interaction_operator(L, i, j) * X.row(j).transpose();
      CHECK((y - Y.row(i).transpose()).norm() < 1e-13 * (1 + y.norm()));
    }
  }
}

TEST_CASE("positional Toeplitz coefficients") {
  VectorXd c(3);
  c << 1, -2, 0.5;
  const MatrixXd P = toeplitz_causal<double>(c, 3);
  CHECK(P(2, 0) == 0.5);
  CHECK(P(2, 1) == -2);
  CHECK(P(1, 1) == 1);
  CHECK(P(0, 2) == 0);
}
