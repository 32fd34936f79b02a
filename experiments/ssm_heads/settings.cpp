// Settings S1-S7, Z1, Z2 and the gap-conditioned random generator of the ssm_heads spec
// (shared/claims/ssm_heads.md, "Random SSM generator" and "Fixed settings"), and the
// operator-level helpers shared by claims 1-3. See settings.hpp.
#include "experiments/ssm_heads/settings.hpp"

#include "theory/ssm_heads.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numbers>
#include <stdexcept>

namespace attnlab::exp::ssm_heads {

using core::LinearSSM;
using core::MatrixXd;
using core::PhiloxStream;
using core::VectorXd;

std::pair<double, double> gap_ratios(const LinearSSM<double>& ssm, int n, int k) {
  const VectorXd s = core::singular_values<double>(core::lag_matrix(ssm.kernel(n)));
  if (s.size() == 0 || !(s(0) > 0) || k < 1) return {0.0, 0.0};
  const double lo = k <= s.size() ? s(k - 1) / s(0) : 0.0;
  const double hi = k < s.size() ? s(k) / s(0) : 0.0;
  return {lo, hi};
}

namespace {

// Draws until the gap condition holds: the first draw, then at most kMaxRedraws redraws, all
// from the continuation of `rng` (never another stream). A fixed setting (random = false) is
// evaluated once.
void draw_under_gap(Setting& s, const std::function<LinearSSM<double>(PhiloxStream&)>& draw, PhiloxStream& rng,
                    bool random) {
  s.redraws = 0;
  for (int attempt = 0; attempt <= kMaxRedraws; ++attempt) {
    s.ssm = draw(rng);
    const auto g = gap_ratios(s.ssm, s.n, s.k_pred);
    s.gap_lo = g.first;
    s.gap_hi = g.second;
    if (gap_holds(g)) {
      s.gap_ok = true;
      return;
    }
    if (!random || attempt == kMaxRedraws) break;  // redraws counts the replaced draws: at most 200
    ++s.redraws;
  }
  s.gap_ok = false;
}

LinearSSM<double> make_ssm(MatrixXd A, MatrixXd B, MatrixXd C, MatrixXd D = MatrixXd()) {
  if (D.size() == 0) D = MatrixXd::Zero(C.rows(), B.cols());
  return LinearSSM<double>{std::move(A), std::move(B), std::move(C), std::move(D)};
}

// Normal A (core::normal_dynamics, |eigenvalues| <= rho_max; the spec's 0.95 gives its default
// options bit for bit), B and C Gaussian / sqrt(N), D = 0.
LinearSSM<double> draw_normal_ssm(int p, int d, int N, PhiloxStream& rng, double rho_max) {
  core::NormalDynamicsOptions opt;
  opt.rho_max = rho_max;
  opt.r_lo = std::min(opt.r_lo, rho_max);
  MatrixXd A = core::normal_dynamics(N, rng, opt);
  const double sc = 1.0 / std::sqrt(double(N));
  MatrixXd B = rng.normal_matrix(N, d, sc);
  MatrixXd C = rng.normal_matrix(p, N, sc);
  return make_ssm(std::move(A), std::move(B), std::move(C));
}

Setting base(const std::string& id, int n, int p, int d, int N, int k, std::string dyn) {
  Setting s;
  s.id = id;
  s.n = n;
  s.p = p;
  s.d = d;
  s.N = N;
  s.k_pred = k;
  s.dynamics = std::move(dyn);
  return s;
}

std::string normal_dynamics_text(double rho_max) {
  return fmt::format("normal A (rho_max {}), B, C Gaussian / sqrt(N)", rho_max);
}

}  // namespace

std::vector<std::string> table_setting_ids() { return {"S1", "S2", "S3", "S4", "S5", "S6", "S7", "Z1", "Z2"}; }

exp::ParamSpec rho_max_param() {
  return exp::real_param("rho_max",
                         "bound on |eigenvalue| of the randomly drawn dynamics A (S2-S4, S7, the random grid SSMs; "
                         "spec 0.95): small values make the SSM forget within a few steps, so L_n loses its k-th "
                         "singular value and the gap condition fails",
                         kRhoMax, kRhoMax, 0.01, 0.99, true);
}

Setting make_setting(const std::string& id, PhiloxStream& rng, double rho_max) {
  namespace th = theory::ssm_heads;
  if (id == "S1" || id == "Z2") {
    const bool s1 = id == "S1";
    Setting s = base(id, 16, 2, 2, 2, s1 ? 2 : 1,
                     s1 ? "A = 0.9 R(pi/3), B = C = I2" : "A = 0.9 R(0) = 0.9 I2, B = C = I2");
    const double theta = s1 ? std::numbers::pi / 3 : 0.0;
    draw_under_gap(
        s,
        [&](PhiloxStream&) {
          return make_ssm(0.9 * core::rotation2(theta), MatrixXd::Identity(2, 2), MatrixXd::Identity(2, 2));
        },
        rng, false);
    return s;
  }
  if (id == "S2" || id == "S3" || id == "S4") {
    const int n = id == "S3" ? 8 : 32;
    const int p = id == "S2" ? 3 : (id == "S3" ? 4 : 1);
    const int d = id == "S2" ? 4 : (id == "S3" ? 4 : 3);
    const int N = id == "S2" ? 6 : (id == "S3" ? 12 : 8);
    Setting s = base(id, n, p, d, N, th::generic_required_heads(n, N, p, d, false), normal_dynamics_text(rho_max));
    draw_under_gap(s, [&](PhiloxStream& r) { return draw_normal_ssm(p, d, N, r, rho_max); }, rng, true);
    return s;
  }
  if (id == "S5") {
    Setting s = base(id, 16, 2, 1, 4, 2, "shift A, B = e1, C = [(1,0),(3,0),(0,1),(0,2)] (stalled growth)");
    draw_under_gap(
        s,
        [&](PhiloxStream&) {
          MatrixXd B = MatrixXd::Zero(4, 1);
          B(0, 0) = 1;
          MatrixXd C(2, 4);
          C << 1, 3, 0, 0, 0, 0, 1, 2;  // columns (1,0), (3,0), (0,1), (0,2)
          return make_ssm(core::shift_matrix(4), std::move(B), std::move(C));
        },
        rng, false);
    return s;
  }
  if (id == "S6") {
    Setting s = base(id, 16, 2, 2, 1, 2, "A = 0.5, B, C Gaussian, D Gaussian (k = N + 1)");
    draw_under_gap(
        s,
        [&](PhiloxStream& r) {
          MatrixXd A = MatrixXd::Constant(1, 1, 0.5);
          MatrixXd B = r.normal_matrix(1, 2);
          MatrixXd C = r.normal_matrix(2, 1);
          MatrixXd D = r.normal_matrix(2, 2);
          return make_ssm(std::move(A), std::move(B), std::move(C), std::move(D));
        },
        rng, true);
    return s;
  }
  if (id == "S7") {
    Setting s = base(id, 32, 4, 4, 16, 4,
                     fmt::format("channel-wise: four diagonal 4x4 blocks, eigenvalues U(-{0}, {0}); block c reads "
                                 "input c, writes output c (Gaussian / sqrt(N))",
                                 rho_max));
    draw_under_gap(
        s,
        [&](PhiloxStream& r) {
          MatrixXd A = MatrixXd::Zero(16, 16);
          for (int q = 0; q < 16; ++q) A(q, q) = r.uniform(-rho_max, rho_max);
          const double sc = 1.0 / std::sqrt(16.0);
          MatrixXd B = MatrixXd::Zero(16, 4), C = MatrixXd::Zero(4, 16);
          for (int c = 0; c < 4; ++c)
            for (int q = 0; q < 4; ++q) B(4 * c + q, c) = sc * r.normal();
          for (int c = 0; c < 4; ++c)
            for (int q = 0; q < 4; ++q) C(c, 4 * c + q) = sc * r.normal();
          return make_ssm(std::move(A), std::move(B), std::move(C));
        },
        rng, true);
    return s;
  }
  if (id == "Z1") {
    Setting s = base(id, 32, 3, 3, 6, 1, "A = 0.8 I6 (scalar-identity), B, C Gaussian / sqrt(N)");
    draw_under_gap(
        s,
        [&](PhiloxStream& r) {
          const double sc = 1.0 / std::sqrt(6.0);
          MatrixXd B = r.normal_matrix(6, 3, sc);
          MatrixXd C = r.normal_matrix(3, 6, sc);
          return make_ssm(0.8 * MatrixXd::Identity(6, 6), std::move(B), std::move(C));
        },
        rng, true);
    return s;
  }
  throw std::invalid_argument("ssm_heads: unknown setting '" + id + "' (S1..S7, Z1, Z2)");
}

Setting make_random_setting(const std::string& label, int n, int p, int d, int N, PhiloxStream& rng,
                            double rho_max) {
  Setting s = base(label, n, p, d, N, theory::ssm_heads::generic_required_heads(n, N, p, d, false),
                   normal_dynamics_text(rho_max));
  draw_under_gap(s, [&](PhiloxStream& r) { return draw_normal_ssm(p, d, N, r, rho_max); }, rng, true);
  return s;
}

VectorXd lag_weights(int n) {
  VectorXd w(n);
  for (int m = 0; m < n; ++m) w(m) = double(n - m);
  return w;
}

int measured_k(const LinearSSM<double>& ssm, int n) {
  return core::numerical_rank<double>(core::lag_matrix(ssm.impulse_response(n)), kRankTol);
}

PositionalModel svd_positional_model(const std::vector<MatrixXd>& K, int H, VectorXd* sigma_w) {
  if (K.empty()) throw std::invalid_argument("svd_positional_model: no lag operators");
  const MatrixXd L = core::lag_matrix(K);
  const auto svd = core::thin_svd<double>(MatrixXd(core::weighted_lag_matrix(K)));
  if (sigma_w) *sigma_w = svd.s;
  if (H < 0) throw std::invalid_argument("svd_positional_model: H < 0");
  const int Hc = std::min<int>(H, static_cast<int>(svd.U.cols()));
  PositionalModel m;
  m.p = static_cast<int>(K[0].rows());
  m.d = static_cast<int>(K[0].cols());
  m.V = svd.U.leftCols(Hc);
  m.c = m.V.transpose() * L;  // c_h(m) = <V_h, K_m>_F = vec(V_h) . vec(K_m)
  return m;
}

core::FactorizedLayer<double> positional_layer(const PositionalModel& m, int H_max) {
  const int H = H_max < 0 ? m.heads() : std::min(H_max, m.heads());
  const int n = static_cast<int>(m.c.cols());
  core::FactorizedLayer<double> layer;
  for (int h = 0; h < H; ++h) {
    layer.alpha.push_back(core::toeplitz_causal<double>(VectorXd(m.c.row(h).transpose()), n));
    layer.V.push_back(core::unvec<double>(VectorXd(m.V.col(h)), m.p, m.d));
  }
  return layer;
}

double relative_operator_residual(const PositionalModel& m, const std::vector<MatrixXd>& K) {
  const MatrixXd L = core::lag_matrix(K);
  const int n = static_cast<int>(L.cols());
  if (m.c.cols() != n || m.V.rows() != L.rows()) throw std::invalid_argument("relative_operator_residual: shapes");
  const VectorXd w = lag_weights(n);
  const MatrixXd W = m.V * m.c;  // column m = vec W(m), the operator of every pair with lag m
  double E = 0, ref = 0;
  for (int j = 0; j < n; ++j) {
    E += w(j) * (W.col(j) - L.col(j)).squaredNorm();
    ref += w(j) * L.col(j).squaredNorm();
  }
  return ref > 0 ? std::sqrt(E / ref) : std::numeric_limits<double>::quiet_NaN();
}


}  // namespace attnlab::exp::ssm_heads
