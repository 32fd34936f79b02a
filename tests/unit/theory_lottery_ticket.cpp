// Unit tests of theory/lottery_ticket.hpp against hand-computed values from the spec.
#include "theory/lottery_ticket.hpp"

#include <catch2/catch.hpp>
#include <cmath>

using namespace attnlab::theory::lottery_ticket;

TEST_CASE("required_widths: the spec's quick configuration") {
  // H = 2, d = d_out = 2, alpha = sqrt 2, eps = 0.1: tau_QK = 0.1 / (8*2*2^{3/2}*2^{3/2}) = 0.1/128,
  // tau_VO = 0.1 / (2*2*sqrt2*2*sqrt2) = 0.1/16; C = 3 -> m_K = ceil(3 log 1280) = 22, m_V = ceil(3 log 160) = 16.
  const Widths w = required_widths(2, 2, 2, std::sqrt(2.0), 0.1, C_REF);
  CHECK(w.tau_QK == Approx(0.1 / 128));
  CHECK(w.tau_VO == Approx(0.1 / 16));
  CHECK(w.m_K == 22);
  CHECK(w.m_V == 16);
  CHECK(w.n_K == 44);
  CHECK(w.n_V == 32);
  const Widths c = required_widths(2, 2, 2, std::sqrt(2.0), 0.1, 0.5);  // the narrow_source control
  CHECK(c.m_K == 4);
  CHECK(c.m_V == 3);
}

TEST_CASE("propagation_bound: at the tolerances each head contributes at most eps/H") {
  const int H = 2, d = 2, d_out = 2;
  const double alpha = input_radius(d, d_out), eps = 0.1;
  const Widths w = required_widths(H, d, d_out, alpha, eps, C_REF);
  const double b = propagation_bound({w.tau_QK, w.tau_QK}, {w.tau_VO, w.tau_VO}, d, d_out, alpha);
  CHECK(b <= eps);
  // VO part is exactly eps/(2H) per head; QK part is sqrt(d) alpha (exp(2e)-1) ~ half of eps/(2H)
  // (the proof's exp(2e)-1 <= 4e step is loose by 2): total 0.0751 here
  CHECK(b == Approx(2 * (2 * std::expm1(2 * 4 * 0.1 / 128) + 0.1 / 4)));
  // hand value for one head: sqrt(2)*sqrt(2)*(exp(2*alpha^2*d*0.01)-1) + sqrt(2)*2*sqrt(2)*0.02, alpha^2 d = 4
  CHECK(propagation_bound({0.01}, {0.02}, 2, 2, std::sqrt(2.0)) == Approx(2 * std::expm1(0.08) + 4 * 0.02));
  CHECK(propagation_bound({0.0}, {0.0}, 3, 3, std::sqrt(3.0)) == 0.0);
}

TEST_CASE("block_widths, softmax bound, (P), reference curves") {
  const BlockWidths b = block_widths(1, 2, 1, std::sqrt(2.0), 0.1, 3.0);
  CHECK(b.m_MHA == int(std::ceil(3.0 * std::log(32 * std::pow(2.0, 1.5) * std::pow(2.0, 1.5) / 0.1))));
  CHECK(b.n_FC == 2 * int(std::ceil(3.0 * std::log(24 * std::sqrt(2.0) * std::pow(2.0, 2.5) / 0.1))));
  CHECK(softmax_l1_bound(0.25) == Approx(std::exp(0.5) - 1));
  CHECK(asymptotic_log_rate() == Approx(-std::log(2.0)));
  // (P): slope between m and m+1 tends to -log 2; local slope near m = 16 is about -0.66
  const double s16 = subset_sum_mean_log_error(17, 1.0 / 3, 1.0 / 3) - subset_sum_mean_log_error(16, 1.0 / 3, 1.0 / 3);
  CHECK(s16 == Approx(-0.66).margin(0.02));
  const double s1000 = subset_sum_mean_log_error(1001, 1.0 / 3, 1.0 / 3) - subset_sum_mean_log_error(1000, 1.0 / 3, 1.0 / 3);
  CHECK(s1000 == Approx(-std::log(2.0)).margin(1e-3));
  CHECK(paper_fit_mha(0) == Approx(0.8));
  CHECK(paper_fit_mha(100) == Approx(0.8 * std::exp(-6.0)));
  CHECK(input_radius(2, 1) == Approx(std::sqrt(2.0)));
}
