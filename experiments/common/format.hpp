// Number formatting shared by the framework (internal header of experiments/common).
//   exact(x): shortest round-trip form (fmt "{}"), "nan", "inf", "-inf" for non-finite
//             values: what CSVs, config.toml and comparisons use.
//   brief(x): about four significant digits, for sentences people read (reasons, report.md).
#pragma once
#include <fmt/format.h>

#include <cmath>
#include <string>
#include <utility>

namespace attnlab::exp::format {

inline std::string nonfinite(double x) {
  if (std::isnan(x)) return "nan";
  return x > 0 ? "inf" : "-inf";
}

inline std::string exact(double x) {
  if (!std::isfinite(x)) return nonfinite(x);
  return fmt::format("{}", x);
}

inline std::string brief(double x) {
  if (!std::isfinite(x)) return nonfinite(x);
  return fmt::format("{:.4g}", x);
}

// Two numbers for a comparison in a sentence: brief, unless that makes them look equal.
inline std::pair<std::string, std::string> brief_pair(double a, double b) {
  std::string sa = brief(a), sb = brief(b);
  if (sa == sb && a != b) return {exact(a), exact(b)};
  return {sa, sb};
}

}  // namespace attnlab::exp::format
