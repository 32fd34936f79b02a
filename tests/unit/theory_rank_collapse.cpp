// Unit tests of theory/rank_collapse.hpp against hand-computed values and identities.
#include "theory/rank_collapse.hpp"

#include "core/multiprecision.hpp"
#include "core/rng.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <numeric>

using namespace attnlab;
using core::MatrixXd;
using core::VectorXd;

TEST_CASE("dong2021: path counts and bounds") {
  using namespace theory::dong2021;
  CHECK(path_count(3, 2, 2) == Approx(12));  // C(3,2) 2^2
  CHECK(path_count(12, 12, 0) == Approx(1));
  const auto sh = path_length_shares(12, 12);
  CHECK(std::accumulate(sh.begin(), sh.end(), 0.0) == Approx(1).epsilon(1e-12));
  CHECK(sh[0] == Approx(std::pow(13.0, -12)));
  CHECK(collapse_rate_exponent() == 3.0);
  // With equal c_l the chained bound equals the paper form c^{(3^L-1)/2} m0^{3^L}.
  using S = core::mp50;
  const S c = S(1.7), m0 = S(0.05);
  const std::vector<S> cs(3, c);
  const S a = chained_bound<S>(cs, m0), b = paper_form_bound<S>(c, m0, 3);
  CHECK(static_cast<double>(abs(a - b) / b) < 1e-40);
  CHECK(static_cast<double>(layer_bound<S>(S(2), S(0.5))) == Approx(0.25));
}

TEST_CASE("dong2021: layer constants by hand (H = 1) and the one-layer bound holds") {
  using namespace theory::dong2021;
  core::AttnLayer<double> L;
  core::AttnHead<double> h;
  h.WQ = (MatrixXd(2, 1) << 1, 0).finished();
  h.WK = (MatrixXd(2, 1) << 0, 2).finished();  // W_QK = [[0, 2], [0, 0]]: ||.||_1 = 2
  h.WV = (MatrixXd(2, 2) << 1, -1, 2, 0).finished();  // ||W||_1 = 3, ||W||_inf = 2
  L.heads.push_back(h);
  MatrixXd X(2, 2);
  X << 1, 0, 0, 1;  // R = [[.5, -.5], [-.5, .5]]; E = R W_QK R^T: max |E| = 0.5
  const auto k = layer_constants<double>(L, X);
  CHECK(k.beta == Approx(2 * std::sqrt(6.0)));
  CHECK(k.M == Approx(0.5));
  CHECK(k.gamma == Approx(std::exp(1.0)));
  CHECK(k.c == Approx(4 * std::exp(1.0) * 2 * std::sqrt(6.0)));  // scale 1/sqrt(1)
  // Random multi-head layers in 50 digits: m(MHA(X)) <= c m(X)^3.
  using S = core::mp50;
  core::PhiloxStream rng(11, 0);
  for (int t = 0; t < 20; ++t) {
    core::AttnLayer<S> A;
    for (int q = 0; q < 2; ++q) {
      core::AttnHead<S> hd;
      hd.WQ = rng.normal_matrix(4, 4, 0.5).cast<S>();
      hd.WK = rng.normal_matrix(4, 4, 0.5).cast<S>();
      hd.WV = rng.normal_matrix(4, 4, 0.5).cast<S>();
      A.heads.push_back(hd);
    }
    core::Mat<S> Y = (MatrixXd::Ones(5, 1) * rng.normal_vector(4).transpose() + 0.05 * rng.normal_matrix(5, 4)).cast<S>();
    const auto kk = layer_constants<S>(A, Y);
    CHECK(core::residual_measure<S>(A.forward(Y)) <= layer_bound<S>(kk.c, core::residual_measure<S>(Y)));
  }
}

TEST_CASE("cirrincione2026: LN rank formulas, span recursion, nullity, PG-OP") {
  using namespace theory::cirrincione2026;
  core::PhiloxStream rng(2, 3);
  // A line off the origin: aff 1 -> exact aff(LN) = 2; a ray: 1 -> 0; generic n > d: d -> d - 1.
  MatrixXd line = rng.normal_matrix(6, 1) * rng.normal_matrix(1, 8);
  line.rowwise() += rng.normal_vector(8).transpose();
  CHECK(ln_affine_rank_paper(line) == 1);
  bool amb = true;
  CHECK(ln_affine_rank_exact(line, 0.0, &amb) == 2);
  CHECK_FALSE(amb);
  const VectorXd w = rng.normal_vector(8);
  MatrixXd ray(5, 8);
  for (int i = 0; i < 5; ++i) ray.row(i) = (0.5 + i) * w.transpose();
  CHECK(ln_affine_rank_exact(ray, 0.0) == 0);
  CHECK(ln_affine_rank_exact(rng.normal_matrix(12, 8), 0.0) == 7);
  // Zero-bias rank: rank(X Pi_d); X with 1_d in its row space loses one.
  MatrixXd X = rng.normal_matrix(4, 2) * rng.normal_matrix(2, 8);
  CHECK(ln_zero_bias_rank(X).rank == 2);
  X.row(0) += VectorXd::Ones(8).transpose();
  X.row(1) += 2 * VectorXd::Ones(8).transpose();
  CHECK(ln_matrix_rank_paper(X) == 3);
  CHECK(ln_zero_bias_rank(X).rank == 2);
  // Span recursion: identity maps with skip keep dim; generic maps multiply it by (1 + H).
  const MatrixXd B0 = core::row_space_basis(rng.normal_matrix(3, 1) * rng.normal_matrix(1, 16));
  std::vector<std::vector<MatrixXd>> Wid(3, std::vector<MatrixXd>(2, MatrixXd::Identity(16, 16)));
  CHECK(attention_span_bases(B0, Wid, true).back().cols() == 1);
  // Distinct generic maps per layer: dim 2^L (one new direction per path); one map shared by all layers: the
  // paths of equal length coincide, span{v W^k, k = 0..L}, dim L + 1.
  std::vector<std::vector<MatrixXd>> Wg;
  for (int l = 0; l < 3; ++l) Wg.push_back({rng.normal_matrix(16, 16)});
  const auto bs = attention_span_bases(B0, Wg, true);
  CHECK(bs[1].cols() == 2);
  CHECK(bs[3].cols() == 8);
  const std::vector<std::vector<MatrixXd>> Wshared(3, Wg[0]);
  CHECK(attention_span_bases(B0, Wshared, true).back().cols() == 4);
  CHECK(attention_span_bases(B0, Wg, false).back().cols() == 1);
  CHECK(head_channel_nullity(128, 12, 64) == 90112);
  CHECK(head_channel_nullity(5, 1, 7) == 0);
  CHECK(head_channel_nullity_general(3, 4, 8, 8) == 3 * 24);
  CHECK(pgop_overhead_ratio(768, 12) == 0.015625);
  CHECK(pgop_extra_parameters(768, 12) * 768 == output_projection_parameters(768, 12) * 12);
  CHECK(pgop_table_ratio(768, 12, 512) == Approx(512.0 * 12 / (768.0 * 769)));
  CHECK(generic_rank_after_residual_stack(128, 768) == 128);
}

TEST_CASE("masumura_taki2025: sign and the published bound form") {
  using namespace theory::masumura_taki2025;
  CHECK(hidden_state_gain_sign() == 1);
  // L = 1: max(m = 0: 1 * log c2 + log res, m = 1: 1 * log c1 + 3 log res).
  CHECK(published_bound_log10(-1, -2, -3, 1) == Approx(std::max(-2.0 - 3.0, -1.0 - 9.0)));
}
