// [OCO25] arXiv:2511.04217 predictions; see theory/lottery_ticket.hpp.
#include "theory/lottery_ticket.hpp"

#include <cmath>
#include <stdexcept>

namespace attnlab::theory::lottery_ticket {

namespace {
int pool(double C, double tau) {
  if (!(tau > 0) || !(tau < 1) || !(C > 0)) throw std::invalid_argument("lottery_ticket: tolerance must be in (0,1), C > 0");
  return int(std::ceil(C * std::log(1.0 / tau)));
}
}  // namespace

Widths required_widths(int H, int d, int d_out, double alpha, double eps, double C) {
  Widths w;
  w.tau_QK = eps / (8.0 * H * alpha * alpha * alpha * std::pow(double(d), 1.5));
  w.tau_VO = eps / (2.0 * H * alpha * d * std::sqrt(double(d_out)));
  w.m_K = pool(C, w.tau_QK);
  w.m_V = pool(C, w.tau_VO);
  w.n_K = d * w.m_K;
  w.n_V = d * w.m_V;
  return w;
}

BlockWidths block_widths(int H, int d, int L, double alpha, double eps, double C) {
  BlockWidths b;
  b.m_MHA = int(std::ceil(C * std::log(32.0 * alpha * alpha * alpha * H * std::pow(double(d), 1.5) / eps)));
  b.m_FC = int(std::ceil(C * std::log(24.0 * alpha * L * H * std::pow(double(d), 2.5) / eps)));
  b.n_MHA = d * b.m_MHA;
  b.n_FC = d * b.m_FC;
  return b;
}

double softmax_l1_bound(double e_max) { return std::expm1(2.0 * e_max); }

double propagation_bound(const std::vector<double>& tau_QK, const std::vector<double>& tau_VO, int d, int d_out,
                         double alpha) {
  if (tau_QK.size() != tau_VO.size()) throw std::invalid_argument("propagation_bound: one tau per head each");
  double b = 0;
  for (size_t j = 0; j < tau_QK.size(); ++j) {
    const double e = alpha * alpha * d * tau_QK[j];
    b += std::sqrt(double(d)) * alpha * softmax_l1_bound(e) + alpha * d * std::sqrt(double(d_out)) * tau_VO[j];
  }
  return b;
}

double subset_sum_mean_log_error(double m, double sigma2, double Ez2) {
  constexpr double kGamma = 0.57721566490153286;
  const double pi = std::acos(-1.0);
  return -kGamma - std::log(2.0) - m * std::log(2.0) + 0.5 * std::log(2.0 * pi * m * sigma2 / 4.0) + 0.5 +
         2.0 * Ez2 / (m * sigma2);
}

double asymptotic_log_rate() { return -std::log(2.0); }

double paper_fit_mha(double n) { return 0.8 * std::exp(-0.06 * n); }

double input_radius(int d, int d_out) { return std::sqrt(double(std::max(d, d_out))); }

}  // namespace attnlab::theory::lottery_ticket
