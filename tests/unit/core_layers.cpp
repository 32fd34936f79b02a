// Unit tests of core/layers.hpp: norms and residuals by hand, LayerNorm and MLP by hand, blocks against
// their manual composition, the path decomposition of attention stacks (double and 50 digits), the carried
// score state, rank decisions with the gap rule, affine rank, nullity, and the gated output projection.
#include "core/layers.hpp"
#include "core/multiprecision.hpp"
#include "core/rng.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace attnlab::core;

namespace {

template <class S> AttnLayer<S> random_layer(PhiloxStream& rng, int d, int H, int dqk, bool factored) {
  AttnLayer<S> L;
  for (int h = 0; h < H; ++h) {
    AttnHead<S> hd;
    hd.WQ = rng.normal_matrix(d, dqk, 0.7).cast<S>();
    hd.WK = rng.normal_matrix(d, dqk, 0.7).cast<S>();
    if (factored) {
      hd.WV = rng.normal_matrix(d, dqk, 0.5).cast<S>();
      hd.WO = rng.normal_matrix(dqk, d, 0.5).cast<S>();
    } else {
      hd.WV = rng.normal_matrix(d, d, 0.5).cast<S>();
    }
    L.heads.push_back(hd);
  }
  return L;
}

template <class S> void path_identity(double tol) {
  PhiloxStream rng(3, 1);
  const int n = 4, d = 3, H = 2, Ldepth = 3;
  for (bool skip : {false, true}) {
    std::vector<Block<S>> blocks(Ldepth);
    std::vector<std::vector<Mat<S>>> W(Ldepth);
    for (int l = 0; l < Ldepth; ++l) {
      blocks[l].attn = random_layer<S>(rng, d, H, 2, l % 2 == 1);
      blocks[l].skip = skip;
      for (const auto& h : blocks[l].attn.heads) W[l].push_back(h.merged());
    }
    const Mat<S> X = rng.normal_matrix(n, d).cast<S>();
    std::vector<std::vector<Mat<S>>> P;
    const auto xs = stack_forward<S>(blocks, X, &P);
    const Mat<S> ps = path_sum<S>(P, W, X, skip);
    const S err = max_abs<S>(Mat<S>(ps - xs.back())) / max_abs<S>(xs.back());
    CHECK(static_cast<double>(err) < tol);
  }
}

}  // namespace

TEST_CASE("composite norms and residual by hand") {
  MatrixXd A(2, 2);
  A << 1, -2, 3, 4;
  CHECK(norm_1<double>(A) == 6.0);
  CHECK(norm_inf<double>(A) == 7.0);
  CHECK(norm_1inf<double>(A) == Approx(std::sqrt(42.0)));
  CHECK(max_abs<double>(A) == 4.0);
  // 1 x^T has zero residual; C_n X has zero column means and equals X - 1 mean^T.
  MatrixXd U = MatrixXd::Ones(3, 1) * (MatrixXd(1, 2) << 2.5, -1).finished();
  CHECK(residual_measure<double>(U) == 0.0);
  MatrixXd X(3, 2);
  X << 1, 2, 3, 4, 5, 9;
  const MatrixXd R = centre_tokens<double>(X);
  CHECK(R(0, 0) == Approx(-2));
  CHECK(R(2, 1) == Approx(4));
  CHECK(R.colwise().sum().cwiseAbs().maxCoeff() < 1e-14);
  // ||R||_1 = max(4, 8) = 8, ||R||_inf = max(2+3, 0+1, 2+4) = 6.
  CHECK(residual_measure<double>(X) == Approx(std::sqrt(48.0)));
  const MatrixXd F = centre_features<double>(X);
  CHECK(F(2, 0) == Approx(-2));
  CHECK(mean_pairwise_cosine<double>(U) == Approx(1.0));
}

TEST_CASE("LayerNorm and MLP by hand") {
  MatrixXd X(2, 3);
  X << 1, 2, 3, 2, 2, 5;
  LayerNorm<double> ln;
  ln.eps = 0;
  const MatrixXd Y = ln.apply(X);
  const double s = std::sqrt(2.0 / 3.0);
  CHECK(Y(0, 0) == Approx(-1 / s));
  CHECK(Y(0, 1) == Approx(0).margin(1e-15));
  CHECK(Y(1, 2) == Approx(2 / std::sqrt(2.0)));  // row 2: mean 3, var (1+1+4)/3 = 2
  ln.g = (VectorXd(3) << 2, 1, 1).finished();
  ln.b = (VectorXd(3) << 0, 1, 0).finished();
  const MatrixXd Z = ln.apply(X);
  CHECK(Z(0, 0) == Approx(-2 / s));
  CHECK(Z(0, 1) == Approx(1));
  LayerNorm<double> bad;
  bad.eps = 0;
  CHECK_THROWS(bad.apply(MatrixXd::Ones(1, 3)));

  ReluMlp<double> f;
  f.W1 = (MatrixXd(2, 2) << 1, -1, 0, 1).finished();
  f.W2 = (MatrixXd(2, 1) << 1, 2).finished();
  f.b1 = (VectorXd(2) << 0, 0.5).finished();
  const MatrixXd in = (MatrixXd(1, 2) << 1, 3).finished();  // U = [1, 2.5] -> relu -> 1 + 5 = 6
  CHECK(f.apply(in)(0, 0) == Approx(6));
  const MatrixXd in2 = (MatrixXd(1, 2) << -1, 0).finished();  // U = [-1, 1.5] -> [0, 1.5] -> 3
  CHECK(f.apply(in2)(0, 0) == Approx(3));
}

TEST_CASE("attention: softmax rows, frozen matrices, blocks against manual composition") {
  PhiloxStream rng(7, 2);
  const int n = 5, d = 4;
  AttnLayer<double> L = random_layer<double>(rng, d, 2, 3, true);
  const MatrixXd X = rng.normal_matrix(n, d);
  std::vector<MatrixXd> P;
  const MatrixXd Y = L.forward(X, &P);
  REQUIRE(P.size() == 2);
  for (const auto& p : P) CHECK((p.rowwise().sum().array() - 1).abs().maxCoeff() < 1e-14);
  MatrixXd manual = MatrixXd::Zero(n, d);
  for (int h = 0; h < 2; ++h) {
    const auto& hd = L.heads[h];
    const MatrixXd S = (X * hd.WQ) * (X * hd.WK).transpose() / std::sqrt(3.0);
    manual += softmax_rows<double>(S, false) * X * hd.WV * hd.WO;
  }
  CHECK((Y - manual).cwiseAbs().maxCoeff() < 1e-13);
  // Frozen identity attention: MHA = sum_h X W_h.
  std::vector<MatrixXd> I(2, MatrixXd::Identity(n, n));
  const MatrixXd Yf = L.forward(X, nullptr, &I);
  CHECK((Yf - X * (L.heads[0].merged() + L.heads[1].merged())).cwiseAbs().maxCoeff() < 1e-13);
  // Full post-LN block: Y = LN(X + MHA(X)), Z = LN(Y + f(Y)).
  Block<double> b;
  b.attn = L;
  b.skip = b.mlp = true;
  b.ln = LnPlace::post;
  b.f.W1 = rng.normal_matrix(d, 8);
  b.f.W2 = rng.normal_matrix(8, d);
  const MatrixXd Yb = b.ln1.apply(X + L.forward(X));
  const MatrixXd Zb = b.ln2.apply(Yb + b.f.apply(Yb));
  CHECK((b.forward(X) - Zb).cwiseAbs().maxCoeff() < 1e-12);
  // Pre-LN without MLP: X + MHA(LN(X)).
  b.mlp = false;
  b.ln = LnPlace::pre;
  CHECK((b.forward(X) - (X + L.forward(b.ln1.apply(X)))).cwiseAbs().maxCoeff() < 1e-12);
}

TEST_CASE("path decomposition equals the stack (double and 50 digits)") {
  path_identity<double>(1e-12);
  path_identity<mp50>(1e-45);
}

TEST_CASE("carried score state") {
  PhiloxStream rng(9, 4);
  const int n = 4, d = 3;
  AttnLayer<double> L1 = random_layer<double>(rng, d, 2, 2, true), L2 = random_layer<double>(rng, d, 2, 2, true);
  const MatrixXd X = rng.normal_matrix(n, d);
  // a' = 0 is plain attention.
  std::vector<MatrixXd> st;
  const MatrixXd A1 = L1.forward_carried(X, st, 0.0);
  CHECK((A1 - L1.forward(X)).cwiseAbs().maxCoeff() < 1e-14);
  const MatrixXd A2 = L2.forward_carried(A1, st, 0.0);
  CHECK((A2 - L2.forward(A1)).cwiseAbs().maxCoeff() < 1e-14);
  // a' = 0.5: second layer uses softmax(0.5 S_1 + 0.5 S_2).
  std::vector<MatrixXd> st2;
  const MatrixXd B1 = L1.forward_carried(X, st2, 0.5);
  const MatrixXd B2 = L2.forward_carried(B1, st2, 0.5);
  MatrixXd manual = MatrixXd::Zero(n, d);
  for (int h = 0; h < 2; ++h) {
    const MatrixXd h2 = 0.5 * L1.scores(h, X) + 0.5 * L2.scores(h, B1);
    manual += L2.head_value(h, softmax_rows<double>(h2, false), B1);
  }
  CHECK((B2 - manual).cwiseAbs().maxCoeff() < 1e-13);
  // Zero initial state: first layer uses softmax((1 - a') S_1).
  std::vector<MatrixXd> st3;
  const MatrixXd C1 = L1.forward_carried(X, st3, 0.5, true);
  MatrixXd m1 = MatrixXd::Zero(n, d);
  for (int h = 0; h < 2; ++h) m1 += L1.head_value(h, softmax_rows<double>(MatrixXd(0.5 * L1.scores(h, X)), false), X);
  CHECK((C1 - m1).cwiseAbs().maxCoeff() < 1e-13);
}

TEST_CASE("rank decisions with the gap rule, affine rank, nullity, row-space basis") {
  const MatrixXd D = VectorXd((VectorXd(3) << 1, 1e-3, 1e-15).finished()).asDiagonal();
  const RankDecision a = rank_decision(D);
  CHECK(a.rank == 2);
  CHECK_FALSE(a.ambiguous);
  const MatrixXd E = VectorXd((VectorXd(2) << 1, 1e-8).finished()).asDiagonal();
  const RankDecision b = rank_decision(E);
  CHECK(b.rank == 2);
  CHECK(b.ambiguous);  // sigma_k / sigma_1 = 1e-8 < 1e-6
  CHECK(rank_decision(MatrixXd::Zero(3, 3)).rank == 0);
  // A ray: affine rank 1; its LayerNorm: one point (affine rank 0).
  PhiloxStream rng(1, 1);
  const VectorXd w = rng.normal_vector(6);
  MatrixXd ray(5, 6);
  for (int i = 0; i < 5; ++i) ray.row(i) = (1.0 + i) * w.transpose();
  CHECK(affine_rank(ray).rank == 1);
  LayerNorm<double> ln;
  ln.eps = 0;
  ln.b = rng.normal_vector(6);
  CHECK(affine_rank(ln.apply(ray)).rank == 0);
  CHECK(affine_rank(rng.normal_matrix(4, 6)).rank == 3);
  // Nullity of [1 1] is 1; of the 2x2 identity 0.
  CHECK(nullity(MatrixXd::Ones(1, 2)) == 1);
  CHECK(nullity(MatrixXd::Identity(2, 2)) == 0);
  const MatrixXd X = rng.normal_matrix(5, 2) * rng.normal_matrix(2, 7);
  RankDecision dec;
  const MatrixXd Q = row_space_basis(X, &dec);
  CHECK(Q.cols() == 2);
  CHECK((X - X * Q * Q.transpose()).norm() < 1e-12 * X.norm());
}

TEST_CASE("gated output projection: parameter count and gates = 1") {
  PhiloxStream rng(5, 5);
  const int n = 3, d = 8, H = 2, dk = 4;
  GatedOutputProjection<double> g;
  for (int h = 0; h < H; ++h) g.proj.WO.push_back(rng.normal_matrix(dk, d));
  g.proj.b = rng.normal_vector(d);
  g.U = MatrixXd::Zero(H, d);
  g.c = VectorXd::Constant(H, 50.0);
  CHECK(g.proj.parameter_count() == H * dk * d + d);
  CHECK(g.parameter_count() - g.proj.parameter_count() == H * (d + 1));
  std::vector<MatrixXd> Z{rng.normal_matrix(n, dk), rng.normal_matrix(n, dk)};
  const MatrixXd Pos = rng.normal_matrix(n, d);
  CHECK((g.apply(Z, Pos) - g.proj.apply_concat(Z)).cwiseAbs().maxCoeff() < 1e-13);
  // With c = 0, u = 0 every gate is 1/2.
  g.c.setZero();
  const MatrixXd half = g.apply(Z, Pos) - g.proj.b.transpose().replicate(n, 1);
  const MatrixXd full = g.proj.apply(Z) - g.proj.b.transpose().replicate(n, 1);
  CHECK((half - 0.5 * full).cwiseAbs().maxCoeff() < 1e-13);
}
