// The simulators are templates on the scalar: the same code runs in 50-digit arithmetic
// (boost::multiprecision, et_off), where double's resolution would censor a result.
#include "core/multiprecision.hpp"  // before any Eigen instantiation with mp types
#include "core/attention.hpp"
#include "core/ssm.hpp"

#include <catch2/catch.hpp>

using namespace attnlab::core;
using mp = mp50;

TEST_CASE("SSM recurrence and kernel agree in 50 digits far below double's epsilon") {
  PhiloxStream r(1, 0);
  const MatrixXd A = normal_dynamics(4, r), B = r.normal_matrix(4, 2), C = r.normal_matrix(3, 4);
  const LinearSSM<mp> s{A.cast<mp>(), B.cast<mp>(), C.cast<mp>(), Mat<mp>::Zero(3, 2)};
  const auto K = s.kernel(12), Ki = s.impulse_response(12);
  mp worst = 0;
  for (int m = 0; m < 12; ++m) worst = std::max<mp>(worst, (K[m] - Ki[m]).cwiseAbs().maxCoeff());
  CHECK(worst < mp("1e-40"));
  // the double simulator agrees to double precision
  const LinearSSM<double> sd{A, B, C, MatrixXd::Zero(3, 2)};
  const auto Kd = sd.kernel(12);
  for (int m = 0; m < 12; ++m) CHECK(((Kd[m].cast<mp>() - K[m]).cwiseAbs().maxCoeff()) < mp("1e-13"));
}

TEST_CASE("softmax in 50 digits resolves weights that underflow relative to double's epsilon") {
  Mat<mp> s(1, 2);
  s << mp(0), mp(-60);  // second weight e^-60 ~ 8.8e-27: below double's relative resolution of the sum
  const Mat<mp> A = softmax_rows<mp>(s, false);
  CHECK(A(0, 0) + A(0, 1) == mp(1));
  const mp ratio = A(0, 1) / A(0, 0);
  CHECK(abs(ratio - exp(mp(-60))) < mp("1e-45"));
  CHECK(1.0 - static_cast<double>(A(0, 0)) == 0.0);  // in double the same weight rounds to exactly 1
}

TEST_CASE("singular values in 50 digits separate a gap double cannot") {
  Mat<mp> D = Mat<mp>::Zero(3, 3);
  D(0, 0) = 1;
  D(1, 1) = mp("1e-20");
  D(2, 2) = mp("1e-30");
  CHECK(numerical_rank<mp>(D, 1e-25) == 2);
  CHECK(numerical_rank<mp>(D, 1e-35) == 3);
}
