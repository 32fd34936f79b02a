// Multiprecision scalars for the templated simulators: binary floating point with D decimal
// digits, expression templates off (as Eigen needs). Boost 1.74's own Eigen bridge
// (boost/multiprecision/eigen.hpp) lacks NumTraits::infinity/quiet_NaN, which Eigen 3.4's
// SVD uses; this header gives Eigen a complete NumTraits instead. Do not include both.
#pragma once
#include <Eigen/Core>
#include <boost/multiprecision/cpp_bin_float.hpp>

namespace attnlab::core {
template <unsigned Digits>
using mpfloat = boost::multiprecision::number<boost::multiprecision::cpp_bin_float<Digits>,
                                              boost::multiprecision::et_off>;
using mp50 = mpfloat<50>;
using mp100 = mpfloat<100>;
}  // namespace attnlab::core

namespace Eigen {
template <unsigned Digits>
struct NumTraits<attnlab::core::mpfloat<Digits>> : GenericNumTraits<attnlab::core::mpfloat<Digits>> {
  using T = attnlab::core::mpfloat<Digits>;
  using Real = T;
  using NonInteger = T;
  using Literal = T;
  using Nested = T;
  enum { IsComplex = 0, IsInteger = 0, IsSigned = 1, RequireInitialization = 1, ReadCost = HugeCost, AddCost = HugeCost, MulCost = HugeCost };
  static T epsilon() { return std::numeric_limits<T>::epsilon(); }
  static T dummy_precision() { return 1000 * epsilon(); }
  static T highest() { return (std::numeric_limits<T>::max)(); }
  static T lowest() { return std::numeric_limits<T>::lowest(); }
  static T infinity() { return std::numeric_limits<T>::infinity(); }
  static T quiet_NaN() { return std::numeric_limits<T>::quiet_NaN(); }
  static int digits10() { return std::numeric_limits<T>::digits10; }
  static int digits() { return std::numeric_limits<T>::digits; }
};
}  // namespace Eigen
