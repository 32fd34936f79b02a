#include "core/optim.hpp"

#include <catch2/catch.hpp>
#include <cmath>

using namespace attnlab::core;

TEST_CASE("Adam's first step moves every coordinate by lr against the gradient sign") {
  MatrixXd x(1, 3);
  x << 1.0, -2.0, 0.5;
  Adam opt(AdamOptions{0.1, 0.9, 0.999, 1e-12});
  MatrixXd g(1, 3);
  g << 3.0, -0.01, 100.0;
  opt.step({&x}, {g});
  // bias-corrected m/sqrt(v) = sign(g) on the first step
  CHECK(x(0, 0) == Approx(0.9));
  CHECK(x(0, 1) == Approx(-1.9));
  CHECK(x(0, 2) == Approx(0.4));
}

TEST_CASE("Adam minimises a convex quadratic") {
  MatrixXd x = MatrixXd::Constant(2, 2, 3.0);
  const MatrixXd target = (MatrixXd(2, 2) << 1, -1, 0.5, 2).finished();
  Adam opt(AdamOptions{0.05});
  for (int t = 0; t < 3000; ++t) opt.step({&x}, {2 * (x - target)});
  CHECK((x - target).norm() < 1e-4);
}

TEST_CASE("central differences recover a known gradient") {
  const MatrixXd A = (MatrixXd(2, 2) << 2, 1, 1, 3).finished();
  auto f = [&](const MatrixXd& x) { return (x.transpose() * A * x)(0, 0) + std::sin(x(0, 0)); };
  MatrixXd x(2, 1);
  x << 0.3, -0.7;
  MatrixXd g = 2 * A * x;
  g(0, 0) += std::cos(0.3);
  CHECK(max_relative_error(central_difference_gradient(f, x, 1e-5), g) < 1e-9);
}
