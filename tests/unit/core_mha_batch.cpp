// Batched multi-head attention (core/mha_batch.hpp): forward against core/attention.hpp's reference
// layer sequence by sequence (f64 and f32), backward (dX and every weight gradient) against central
// differences and dX against the reference VJP, bit-identical results for 1 and 2 threads, and the
// shape checks.
#include "core/attention.hpp"
#include "core/mha_batch.hpp"
#include "core/optim.hpp"

#include <catch2/catch.hpp>
#include <cmath>

using namespace attnlab::core;

namespace {
MhaWeights<double> random_weights(PhiloxStream& r, int d, int H) {
  MhaWeights<double> w;
  w.H = H;
  const double s = 1.0 / std::sqrt(double(d));
  w.WQ = r.normal_matrix(d, d, 2 * s);
  w.WK = r.normal_matrix(d, d, 2 * s);
  w.WV = r.normal_matrix(d, d, s);
  w.WO = r.normal_matrix(d, d, s);
  return w;
}

// The same layer as core/attention.hpp's MultiHeadSoftmax (per head W_Q^h = W_Q[:, h]^T etc.).
MultiHeadSoftmax<double> reference(const MhaWeights<double>& w) {
  const int d = w.d(), dh = d / w.H;
  MultiHeadSoftmax<double> m;
  for (int h = 0; h < w.H; ++h)
    m.heads.push_back({w.WQ.middleCols(h * dh, dh).transpose(), w.WK.middleCols(h * dh, dh).transpose(),
                       w.WV.middleCols(h * dh, dh).transpose(), w.WO.middleRows(h * dh, dh).transpose()});
  return m;
}

RowMat<double> random_rows(PhiloxStream& r, Eigen::Index rows, int d) { return r.normal_matrix(rows, d); }

SoftmaxOptions full() {
  SoftmaxOptions o;
  o.causal = false;
  return o;
}

double max_abs(const MatrixXd& a) { return a.cwiseAbs().maxCoeff(); }
}  // namespace

TEST_CASE("mha_forward matches the reference layer sequence by sequence") {
  // The first four shapes take the Eigen path of the per-head products; the last four the AVX2
  // kernels (n and dh multiples of 8: both dtypes), with tiles of every width and row tails.
  for (auto [B, n, d, H] : {std::array<int, 4>{3, 5, 4, 1}, {4, 7, 6, 2}, {70, 9, 8, 4}, {2, 70, 8, 2},
                            {4, 8, 8, 1}, {5, 16, 16, 2}, {3, 24, 24, 1}, {2, 40, 32, 4}}) {
    PhiloxStream r(7, std::uint64_t(B * 1000 + n));
    const auto w = random_weights(r, d, H);
    const RowMat<double> X = random_rows(r, Eigen::Index(B) * n, d);
    RowMat<double> Y;
    mha_forward(w, B, n, X, Y, 1);
    REQUIRE(Y.rows() == Eigen::Index(B) * n);
    const auto ref = reference(w);
    double err = 0, scale = 0;
    for (int b = 0; b < B; ++b) {
      const MatrixXd Xb = X.middleRows(Eigen::Index(b) * n, n);
      const MatrixXd Yr = ref.forward(Xb, full());
      err = std::max(err, max_abs(MatrixXd(Y.middleRows(Eigen::Index(b) * n, n)) - Yr));
      scale = std::max(scale, max_abs(Yr));
    }
    INFO("B=" << B << " n=" << n << " d=" << d << " H=" << H << " err " << err << " scale " << scale);
    CHECK(scale > 0.1);
    CHECK(err <= 1e-13 * scale * d);

    // float: the same layer in single precision
    MhaWeights<float> wf{w.H, w.WQ.cast<float>(), w.WK.cast<float>(), w.WV.cast<float>(), w.WO.cast<float>()};
    RowMat<float> Yf;
    mha_forward<float>(wf, B, n, X.cast<float>(), Yf, 1);
    CHECK(max_abs((Yf.cast<double>() - Y).eval()) <= 2e-5 * scale * d);
  }
}

TEST_CASE("mha_forward_backward: Y equals the forward, dX the reference VJP, gradients central differences") {
  // n = 6, dh = 2: the Eigen path; n = 8, dh = 8: the AVX2 kernels (in the x86-64-v3 build)
  for (auto [B, n, d, H] : {std::array<int, 4>{3, 6, 6, 3}, {2, 8, 8, 1}}) {
    PhiloxStream r(8, std::uint64_t(n));
    const auto w = random_weights(r, d, H);
    const RowMat<double> X = random_rows(r, B * n, d), G = random_rows(r, B * n, d);
    RowMat<double> Y, Yf, dX;
    MhaGrads<double> dW;
    mha_forward_backward(w, B, n, X, G, Y, dX, dW, 1);
    mha_forward(w, B, n, X, Yf, 1);
    CHECK(max_abs(MatrixXd(Y - Yf)) <= 1e-13);

    // dX against the reference VJP (sequence by sequence)
    const auto ref = reference(w);
    for (int b = 0; b < B; ++b) {
      const MatrixXd dXr = ref.backward(X.middleRows(b * n, n), G.middleRows(b * n, n), full());
      CHECK(max_relative_error(MatrixXd(dX.middleRows(b * n, n)), dXr) <= 1e-10);
    }

    // L = <G, Y>: every gradient against central differences
    const auto loss_w = [&](const MhaWeights<double>& ww) {
      RowMat<double> Yw;
      mha_forward(ww, B, n, X, Yw, 1);
      return (G.array() * Yw.array()).sum();
    };
    const auto fd_block = [&](int which) {
      const auto f = [&](const MatrixXd& M) {
        MhaWeights<double> ww = w;
        (which == 0 ? ww.WQ : which == 1 ? ww.WK : which == 2 ? ww.WV : ww.WO) = M;
        return loss_w(ww);
      };
      const MatrixXd& M0 = which == 0 ? w.WQ : which == 1 ? w.WK : which == 2 ? w.WV : w.WO;
      return central_difference_gradient(f, M0, 1e-6);
    };
    const MatrixXd* an[4] = {&dW.WQ, &dW.WK, &dW.WV, &dW.WO};
    for (int k = 0; k < 4; ++k) {
      const MatrixXd fd = fd_block(k);
      INFO("block " << k << " max rel err " << max_relative_error(*an[k], fd));
      CHECK(max_abs(*an[k]) > 1e-3);
      CHECK(max_relative_error(*an[k], fd) <= 1e-6);
    }
    const auto fx = [&](const MatrixXd& Z) {
      RowMat<double> Yz;
      mha_forward(w, B, n, RowMat<double>(Z), Yz, 1);
      return (G.array() * Yz.array()).sum();
    };
    CHECK(max_relative_error(MatrixXd(dX), central_difference_gradient(fx, MatrixXd(X), 1e-6)) <= 1e-6);
  }
}

TEST_CASE("mha kernels give bit-identical results for 1 and 2 threads") {
  const int B = 40, n = 32, d = 16, H = 4;  // several chunks, parallel path taken
  PhiloxStream r(9, 0);
  const auto w = random_weights(r, d, H);
  const RowMat<double> X = random_rows(r, B * n, d), G = random_rows(r, B * n, d);
  REQUIRE((B + mha_chunk_sequences(B, n) - 1) / mha_chunk_sequences(B, n) >= 2);
  RowMat<double> Y1, Y2, dX1, dX2, Yf1, Yf2;
  MhaGrads<double> g1, g2;
  mha_forward(w, B, n, X, Yf1, 1);
  mha_forward(w, B, n, X, Yf2, 2);
  mha_forward_backward(w, B, n, X, G, Y1, dX1, g1, 1);
  mha_forward_backward(w, B, n, X, G, Y2, dX2, g2, 2);
  CHECK(Yf1 == Yf2);
  CHECK(Y1 == Y2);
  CHECK(dX1 == dX2);
  CHECK(g1.WQ == g2.WQ);
  CHECK(g1.WK == g2.WK);
  CHECK(g1.WV == g2.WV);
  CHECK(g1.WO == g2.WO);
}

TEST_CASE("mha kernels reject inconsistent shapes") {
  PhiloxStream r(10, 0);
  const auto w = random_weights(r, 6, 4);  // 6 is not a multiple of 4
  RowMat<double> X = random_rows(r, 12, 6), Y;
  CHECK_THROWS_AS(mha_forward(w, 2, 6, X, Y), std::invalid_argument);
  auto w2 = random_weights(r, 6, 3);
  CHECK_THROWS_AS(mha_forward(w2, 3, 6, X, Y), std::invalid_argument);  // 3 x 6 rows != 12
}
