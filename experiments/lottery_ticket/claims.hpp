// lottery_ticket: "The Strong Lottery Ticket Hypothesis for Multi-Head Attention Mechanisms"
// (Otsuka et al., arXiv:2511.04217, AAAI 2026). One function per claim, each in its own
// translation unit; register.cpp collects them. Spec: shared/claims/lottery_ticket.md.
#pragma once
#include "experiments/common/claim.hpp"

#include <fmt/format.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace attnlab::exp::lottery_ticket {

Claim subset_sum_rate();           // claim 1, subset_sum_rate.cpp
Claim merge_identity();            // claim 2, merge_identity.cpp
Claim mha_error_rate();            // claim 3, mha_error_rate.cpp
Claim length_independent_bound();  // claim 4, length_bound.cpp
Claim theorem_width_success();     // claim 5, width_success.cpp
Claim transformer_rate();          // claim 6, transformer_rate.cpp

inline constexpr const char* kSource =
    "H. Otsuka, D. Chijiwa, Y. Okoshi, D. Fujiki, S. Takeuchi, M. Motomura, \"The Strong Lottery Ticket Hypothesis "
    "for Multi-Head Attention Mechanisms\", arXiv:2511.04217 (v1, 2025), AAAI 2026";

// Log floor for errors (spec: guard log(0)).
inline constexpr double kLogFloor = 1e-300;

// A slope fit with its 95% t-interval checked to lie inside [lo, hi]; NaN slope if the fit throws.
struct SlopeFit {
  double slope, lo, hi, intercept;
  int n;
};
SlopeFit fit_slope(const std::vector<double>& x, const std::vector<double>& y);

// Parameter consistency for claims with m_min, m_max, fit_from: m_min <= fit_from <= m_max - 4
// (at least three pool sizes in the fit when the step is 2).
inline std::function<std::string(const std::map<std::string, double>&)> pool_range_check(const std::string& id) {
  return [id](const std::map<std::string, double>& v) -> std::string {
    const double lo = v.at(id + ".m_min"), hi = v.at(id + ".m_max"), f = v.at(id + ".fit_from");
    if (lo > hi) return fmt::format("m_min = {} exceeds m_max = {}", lo, hi);
    if (f > hi - 4) return fmt::format("fit_from = {} leaves fewer than three pool sizes below m_max = {}", f, hi);
    return "";
  };
}

}  // namespace attnlab::exp::lottery_ticket
