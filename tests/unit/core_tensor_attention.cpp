// Unit tests of core/tensor_attention.hpp: Khatri-Rao row order, Kronecker identities, the
// multi-index enumeration, naive tensor attention against the explicit n x n^{t-1} matrix,
// the factored polynomial path against the materialised one, thread independence, counters.
#include "core/tensor_attention.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <set>

using namespace attnlab::core;

namespace {
MatrixXd rnd(int r, int c, PhiloxStream& g) { return g.normal_matrix(r, c); }

// Brute force: the explicit score matrix, f applied entrywise, normalised rows, times V (/) ...
MatrixXd brute(const TensorInputs& in, int g /* -1: exp */) {
  MatrixXd S = tensor_scores<double>(in.Q, in.K);
  MatrixXd A = S.unaryExpr([g](double s) { return g < 0 ? std::exp(s) : taylor_exp(s, g); });
  const MatrixXd VV = khatri_rao<double>(in.V);
  const Eigen::VectorXd D = A.rowwise().sum();
  return D.cwiseInverse().asDiagonal() * (A * VV);
}
double binom(int a, int b) { return std::round(std::exp(std::lgamma(a + 1.0) - std::lgamma(b + 1.0) - std::lgamma(a - b + 1.0))); }
}  // namespace

TEST_CASE("khatri_rao: row order on a 2x2 example") {
  MatrixXd X(2, 2), Y(2, 2);
  X << 1, 2, 3, 4;
  Y << 5, 6, 7, 8;
  const MatrixXd R = khatri_rao<double>(X, Y);
  REQUIRE(R.rows() == 4);
  MatrixXd E(4, 2);
  E << 5, 12,   // row 0 = X[0] o Y[0]
      7, 16,    // row 1 = X[0] o Y[1]
      15, 24,   // row 2 = X[1] o Y[0]
      21, 32;   // row 3 = X[1] o Y[1]
  CHECK(R == E);
  // Three factors: row j1 n^2 + j2 n + j3.
  MatrixXd Z(2, 2);
  Z << 1, -1, 2, 3;
  const MatrixXd R3 = khatri_rao<double>(std::vector<MatrixXd>{X, Y, Z});
  REQUIRE(R3.rows() == 8);
  CHECK(R3(1 * 4 + 0 * 2 + 1, 0) == 3 * 5 * 2);
  CHECK(R3(1 * 4 + 1 * 2 + 0, 1) == 4 * 8 * -1);
  // Each column is the Kronecker product of the factor columns.
  const MatrixXd K0 = kronecker<double>(X.col(0), Y.col(0));
  CHECK((R.col(0) - K0).norm() == 0);
}

TEST_CASE("Kronecker identities: Hadamard contraction, mixed product, face splitting") {
  PhiloxStream g(11, 0);
  const MatrixXd U = rnd(5, 7, g), W = rnd(6, 7, g), V1 = rnd(5, 3, g), V2 = rnd(6, 3, g);
  // (U (/) W)^T (V1 (/) V2) = (U^T V1) o (W^T V2)
  const MatrixXd lhs = khatri_rao<double>(U, W).transpose() * khatri_rao<double>(V1, V2);
  const MatrixXd rhs = (U.transpose() * V1).cwiseProduct(W.transpose() * V2);
  CHECK((lhs - rhs).cwiseAbs().maxCoeff() < 1e-12 * (1 + rhs.cwiseAbs().maxCoeff()));
  // (U (/) W)^T 1 = (U^T 1) o (W^T 1)
  const Eigen::VectorXd ones = Eigen::VectorXd::Ones(30);
  const Eigen::VectorXd l2 = khatri_rao<double>(U, W).transpose() * ones;
  const Eigen::VectorXd r2 = (U.transpose() * Eigen::VectorXd::Ones(5)).cwiseProduct(W.transpose() * Eigen::VectorXd::Ones(6));
  CHECK((l2 - r2).cwiseAbs().maxCoeff() < 1e-12 * (1 + r2.cwiseAbs().maxCoeff()));
  // Mixed product: (A (x) B)(C (x) D) = AC (x) BD
  const MatrixXd A = rnd(2, 3, g), B = rnd(3, 2, g), C = rnd(3, 2, g), D = rnd(2, 4, g);
  const MatrixXd m1 = kronecker<double>(A, B) * kronecker<double>(C, D), m2 = kronecker<double>(A * C, B * D);
  CHECK((m1 - m2).cwiseAbs().maxCoeff() < 1e-12 * (1 + m2.cwiseAbs().maxCoeff()));
  // Face splitting: (X * Y)(x (x) y) = (X x) o (Y y), X * Y = row_kronecker.
  const MatrixXd X = rnd(4, 3, g), Y = rnd(4, 2, g);
  const Eigen::VectorXd x = g.normal_vector(3), y = g.normal_vector(2);
  const Eigen::VectorXd f1 = row_kronecker<double>(X, Y) * kronecker<double>(x, y);
  const Eigen::VectorXd f2 = (X * x).cwiseProduct(Y * y);
  CHECK((f1 - f2).cwiseAbs().maxCoeff() < 1e-12 * (1 + f2.cwiseAbs().maxCoeff()));
  // Transpose duality: (X (/) Y)^T = X^T * Y^T (row-wise Kronecker of the transposes).
  const MatrixXd P = rnd(3, 4, g), R = rnd(2, 4, g);
  const MatrixXd kr = khatri_rao<double>(P, R);
  const MatrixXd fs = row_kronecker<double>(MatrixXd(P.transpose()), MatrixXd(R.transpose()));
  CHECK((MatrixXd(kr.transpose()) - fs).cwiseAbs().maxCoeff() == 0);
}

TEST_CASE("multi_indices: count C(d+g, d), graded order, parents, uniqueness") {
  for (int d : {1, 2, 3, 4, 6})
    for (int gdeg : {0, 1, 2, 5, 8}) {
      const MultiIndexSet mi = multi_indices(d, gdeg);
      CHECK(double(mi.size()) == binom(d + gdeg, d));
      std::set<std::vector<int>> seen(mi.alpha.begin(), mi.alpha.end());
      CHECK(seen.size() == mi.size());
      for (size_t a = 1; a < mi.size(); ++a) {
        CHECK(mi.parent[a] < int(a));
        CHECK(mi.degree[a] >= mi.degree[a - 1]);
        std::vector<int> p = mi.alpha[a];
        p[mi.coord[a]] -= 1;
        CHECK(p == mi.alpha[mi.parent[a]]);
      }
    }
  const MultiIndexSet mi = multi_indices(3, 2);
  CHECK(mi.alpha[1] == std::vector<int>{1, 0, 0});
  CHECK(mi.alpha[3] == std::vector<int>{0, 0, 1});
  CHECK(mi.alpha[4] == std::vector<int>{2, 0, 0});
  CHECK(mi.alpha[5] == std::vector<int>{1, 1, 0});
  CHECK(mi.alpha[9] == std::vector<int>{0, 0, 2});
}

TEST_CASE("poly features: P_g(S) = U1 (U2 (/) U3)^T entrywise") {
  PhiloxStream g(3, 1);
  const TensorInputs in = tensor_inputs_uniform(5, 3, 3, 0.9, g);
  for (int deg : {0, 1, 3, 6}) {
    const MultiIndexSet mi = multi_indices(3, deg);
    const auto U = poly_factors<double>(in.Q, in.K, mi);
    const MatrixXd A = U[0] * khatri_rao<double>(U[1], U[2]).transpose();
    const MatrixXd P = tensor_scores<double>(in.Q, in.K).unaryExpr([deg](double s) { return taylor_exp(s, deg); });
    CHECK((A - P).cwiseAbs().maxCoeff() < 1e-13);
  }
  // Hand value: d = 1, Q = [2], K = [3], [5]: s = 30, P_2 = 1 + 30 + 450.
  MultiIndexSet m1 = multi_indices(1, 2);
  const auto U = poly_factors<double>(MatrixXd::Constant(1, 1, 2.0), {MatrixXd::Constant(1, 1, 3.0), MatrixXd::Constant(1, 1, 5.0)}, m1);
  CHECK((U[0] * khatri_rao<double>(U[1], U[2]).transpose())(0, 0) == Approx(481.0));
}

TEST_CASE("naive tensor attention equals the explicit n x n^{t-1} computation (t = 2, 3, 4)") {
  for (int t : {2, 3, 4}) {
    PhiloxStream g(5, t);
    const int n = t == 4 ? 6 : 9;
    const TensorInputs in = tensor_inputs_uniform(n, 3, t, 1.1, g);
    const MatrixXd ref = brute(in, -1);
    OpCount ops;
    const MatrixXd got = tensor_attention_naive<double>(in.Q, in.K, in.V, &ops, 2);
    INFO("t = " << t);
    CHECK((got - ref).cwiseAbs().maxCoeff() < 1e-13);
    const double nn = n, d = 3;
    double pre = 0;
    for (int k = 2; k <= t - 1; ++k) pre += std::pow(nn, k) * d;
    // Counts equal the model plus the online-maximum rescales (1 exp + d + 1 per rescale; at most one
    // per query and tile of n pairs after the first, none for t = 2: a single tile).
    const double model = std::pow(nn, t) * (2 * d + 2) + 2 * pre + 2 * nn * d;
    const double rescales = double(ops.exps) - std::pow(nn, t);
    CHECK(rescales >= 0);
    CHECK(rescales <= nn * (std::pow(nn, t - 2) - 1));
    CHECK(double(ops.total()) == model + rescales * (d + 2));
    if (t == 2) CHECK(rescales == 0);
    // Materialised polynomial path against brute force.
    const MatrixXd pm = tensor_attention_poly_materialized<double>(in.Q, in.K, in.V, 5);
    CHECK((pm - brute(in, 5)).cwiseAbs().maxCoeff() < 1e-13);
  }
}

TEST_CASE("naive kernel: huge scores are safe, tiles > 1, thread count independent") {
  PhiloxStream g(9, 0);
  TensorInputs in = tensor_inputs_uniform(40, 4, 3, 1.0, g);  // 1600 pairs: 40 tiles, two query blocks
  in.Q *= 300.0;                                               // scores up to ~300: exp would overflow unshifted
  const MatrixXd a = tensor_attention_naive<double>(in.Q, in.K, in.V, nullptr, 1);
  const MatrixXd b = tensor_attention_naive<double>(in.Q, in.K, in.V, nullptr, 2);
  CHECK(a.allFinite());
  CHECK((a - b).cwiseAbs().maxCoeff() == 0);
  // Float: the same blocks, bit-identical for 1 and 2 threads, close to the double result.
  const Mat<float> Qf = in.Q.cast<float>();
  const std::vector<Mat<float>> Kf{in.K[0].cast<float>(), in.K[1].cast<float>()},
      Vf{in.V[0].cast<float>(), in.V[1].cast<float>()};
  const Mat<float> af = tensor_attention_naive<float>(Qf, Kf, Vf, nullptr, 1);
  const Mat<float> bf = tensor_attention_naive<float>(Qf, Kf, Vf, nullptr, 2);
  CHECK((af.array() == bf.array()).all());
  CHECK((af.cast<double>() - a).cwiseAbs().maxCoeff() < 1e-3);
  // Against a shifted explicit reference.
  MatrixXd S = tensor_scores<double>(in.Q, in.K);
  for (int i = 0; i < S.rows(); ++i) S.row(i).array() -= S.row(i).maxCoeff();
  MatrixXd A = S.array().exp().matrix();
  const Eigen::VectorXd D = A.rowwise().sum();
  const MatrixXd ref = D.cwiseInverse().asDiagonal() * (A * khatri_rao<double>(in.V));
  CHECK((a - ref).cwiseAbs().maxCoeff() < 1e-12);
}

TEST_CASE("factored path equals materialised polynomial attention; low-rank materialised too") {
  for (int t : {2, 3, 4}) {
    PhiloxStream g(21, t);
    const int n = t == 4 ? 5 : 8;
    const TensorInputs in = tensor_inputs_extremal(n, 3, t, 0.8, g);
    const MultiIndexSet mi = multi_indices(3, 4);
    OpCount of, om;
    const auto f = tensor_attention_factored<double>(in.Q, in.K, in.V, mi, &of);
    const MatrixXd pm = brute(in, 4);
    INFO("t = " << t);
    CHECK(f.rank == 35);
    CHECK((f.out - pm).cwiseAbs().maxCoeff() < 1e-13);
    CHECK(f.den.minCoeff() > 0);
    MatrixXd At;
    const MatrixXd lr = tensor_attention_lowrank_materialized<double>(in.Q, in.K, in.V, mi, &om, 2, &At);
    CHECK((lr - pm).cwiseAbs().maxCoeff() < 1e-13);
    CHECK(At.rows() == n);
    CHECK(At.cols() == Eigen::Index(std::pow(n, t - 1)));
    // Fast counts follow t n r d + 2 t n r + (t-2)(r d + r) up to the n r coefficient products
    // and the final n d division.
    const double r = 35, d = 3, nn = n;
    CHECK(double(of.total()) == t * nn * r * d + 2 * t * nn * r + (t - 2) * (r * d + r) + nn * (r - 1) - (t) * nn + nn * d);
    if (t >= 3) {
      std::vector<int> swap(t - 1);
      for (int k = 0; k < t - 1; ++k) swap[k] = t - 2 - k;
      const auto s = tensor_attention_factored<double>(in.Q, in.K, in.V, mi, nullptr, swap);
      CHECK((s.out - pm).cwiseAbs().maxCoeff() > 1e-3);
    }
  }
}

TEST_CASE("all degrees in one pass: the factored path at every degree (bit-identical without FMA)") {
  for (int t : {2, 3, 4}) {
    PhiloxStream g(23, t);
    const int n = t == 4 ? 6 : 9, d = 3, gmax = 6;
    const TensorInputs in = tensor_inputs_uniform(n, d, t, 0.9, g);
    const MultiIndexSet big = multi_indices(d, gmax);
    const auto all = tensor_attention_factored_all_degrees<double>(in.Q, in.K, in.V, big);
    REQUIRE(all.size() == size_t(gmax + 1));
    for (int deg = 0; deg <= gmax; ++deg) {
      INFO("t = " << t << ", g = " << deg);
      const MultiIndexSet mi = multi_indices(d, deg);
      // The degree-g set is a prefix of the degree-gmax set (graded order).
      for (size_t a = 0; a < mi.size(); ++a) CHECK(mi.alpha[a] == big.alpha[a]);
      const auto one = tensor_attention_factored<double>(in.Q, in.K, in.V, mi);
      CHECK(all[deg].rank == Eigen::Index(binom(d + deg, d)));
      CHECK(all[deg].rank == one.rank);
#ifdef __FMA__
      // With FMA (x86-64-v3) the compiler contracts the scalar loops of the one-pass path and
      // Eigen's products differently: the same sums in the same order, rounded differently.
      CHECK((all[deg].out - one.out).cwiseAbs().maxCoeff() <= 1e-14 * one.out.cwiseAbs().maxCoeff());
      CHECK((all[deg].den - one.den).cwiseAbs().maxCoeff() <= 1e-14 * one.den.cwiseAbs().maxCoeff());
#else
      CHECK((all[deg].out.array() == one.out.array()).all());
      CHECK((all[deg].den.array() == one.den.array()).all());
#endif
      CHECK((all[deg].out - brute(in, deg)).cwiseAbs().maxCoeff() < 1e-13);
    }
  }
}

TEST_CASE("input families: ranges and planted extremal scores") {
  PhiloxStream g(1, 2);
  const TensorInputs u = tensor_inputs_uniform(10, 4, 3, 0.7, g);
  CHECK(u.Q.cwiseAbs().maxCoeff() <= 0.7);
  CHECK(u.V[1].cwiseAbs().maxCoeff() <= 1.0);
  const TensorInputs e = tensor_inputs_extremal(10, 4, 3, 0.7, g);
  const MatrixXd S = tensor_scores<double>(e.Q, e.K);
  const double beta = std::pow(0.7, 3);
  CHECK(S(0, 0) == Approx(beta));
  CHECK(S(1, 0) == Approx(-beta));
  CHECK(S.cwiseAbs().maxCoeff() <= beta * (1 + 1e-15));
  CHECK((e.V[0] * 0.7 - e.K[0]).norm() == 0);
}
