#include "core/ssm.hpp"

namespace attnlab::core {

MatrixXd normal_dynamics(int N, PhiloxStream& rng, const NormalDynamicsOptions& opt) {
  std::vector<MatrixXd> blocks;
  int rows = 0;
  while (rows < N) {
    const bool two = (N - rows >= 2) && rng.uniform() < 0.5;
    if (two) {
      const double r = rng.uniform(opt.r_lo, opt.rho_max);
      const double th = rng.uniform(opt.theta_lo, opt.theta_hi);
      blocks.push_back(r * rotation2(th));
      rows += 2;
    } else {
      MatrixXd b(1, 1);
      b(0, 0) = rng.uniform(-opt.rho_max, opt.rho_max);
      blocks.push_back(b);
      rows += 1;
    }
  }
  const MatrixXd M = block_diagonal(blocks);
  const MatrixXd Q = haar_orthogonal(N, rng);
  return Q * M * Q.transpose();
}

MatrixXd shift_matrix(int N) {
  MatrixXd A = MatrixXd::Zero(N, N);
  for (int r = 0; r + 1 < N; ++r) A(r + 1, r) = 1.0;
  return A;
}

}  // namespace attnlab::core
