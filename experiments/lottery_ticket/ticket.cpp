// Ticket construction and simulators of the lottery_ticket experiment; see ticket.hpp.
#include "experiments/lottery_ticket/ticket.hpp"

#include <boost/math/special_functions/beta.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace attnlab::exp::lottery_ticket {

const char* mask_name(MaskKind m) { return m == MaskKind::full ? "full" : "causal"; }

MatrixXd unit_spectral_gaussian(int rows, int cols, core::PhiloxStream& rng) {
  MatrixXd G = rng.normal_matrix(rows, cols);
  const double s = core::spectral_norm(G);
  if (!(s > 0) || !std::isfinite(s)) throw std::runtime_error("unit_spectral_gaussian: degenerate draw");
  return G / s;
}

TargetHead draw_target_head(int d, int dK, int dV, int d_out, core::PhiloxStream& rng) {
  TargetHead t;
  t.WQ = unit_spectral_gaussian(d, dK, rng);
  t.WK = unit_spectral_gaussian(d, dK, rng);
  t.WV = unit_spectral_gaussian(d, dV, rng);
  t.WO = unit_spectral_gaussian(dV, d_out, rng);
  t.A = t.WQ * t.WK.transpose() / std::sqrt(double(dK));
  t.B = t.WV * t.WO;
  return t;
}

namespace {
MatrixXd uniform_matrix(int r, int c, double lo, double hi, core::PhiloxStream& rng) {
  MatrixXd M(r, c);
  for (int i = 0; i < r; ++i)
    for (int j = 0; j < c; ++j) M(i, j) = rng.uniform(lo, hi);  // row-major draw order
  return M;
}
}  // namespace

SourceHead draw_source_head(int d, int mK, int mV, int d_out, SourceLaw law, core::PhiloxStream& rng) {
  SourceHead s;
  s.mK = mK;
  s.mV = mV;
  s.nK = d * mK;
  s.nV = d * mV;
  const double lo = law == SourceLaw::uniform ? -1.0 : 0.0;
  s.Qp = uniform_matrix(d, s.nK, lo, 1.0, rng);
  s.Kp = uniform_matrix(d, s.nK, lo, 1.0, rng);
  s.V = uniform_matrix(d, s.nV, lo, 1.0, rng);
  s.O = uniform_matrix(s.nV, d_out, lo, 1.0, rng);
  s.MQ = MatrixXd::Zero(d, s.nK);
  s.MK = MatrixXd::Zero(d, s.nK);
  s.MV = MatrixXd::Zero(d, s.nV);
  s.MO = MatrixXd::Zero(s.nV, d_out);
  return s;
}

MatrixXd SourceHead::Qt() const { return std::pow(double(nK), 0.25) * Qp; }
MatrixXd SourceHead::Kt() const { return std::pow(double(nK), 0.25) * Kp; }
MatrixXd SourceHead::A_hat() const { return Qp.cwiseProduct(MQ) * Kp.cwiseProduct(MK).transpose(); }
MatrixXd SourceHead::B_hat() const { return V.cwiseProduct(MV) * O.cwiseProduct(MO); }

void build_ticket(const TargetHead& t, SourceHead& s, core::SubsetSumWorkspace& ws) {
  const int d = int(t.A.rows()), d_out = int(t.B.cols());
  // Step 1 / 3: structured first-factor masks.
  s.MK.setZero();
  s.MV.setZero();
  for (int k = 0; k < s.nK; ++k) s.MK(k / s.mK, k) = 1.0;
  for (int k = 0; k < s.nV; ++k) s.MV(k / s.mV, k) = 1.0;
  s.MQ.setZero();
  s.MO.setZero();
  s.s_star = MatrixXd::Zero(d, d);
  s.t_star = MatrixXd::Zero(d, d_out);
  std::vector<double> pool;
  // Step 2: query mask, entry (a, b) from block b of the key side.
  pool.resize(s.mK);
  for (int a = 0; a < d; ++a)
    for (int b = 0; b < d; ++b) {
      for (int r = 0; r < s.mK; ++r) {
        const int k = b * s.mK + r;
        pool[r] = s.Qp(a, k) * s.Kp(b, k);
      }
      const core::SubsetSumResult res = core::best_subset_sum(pool, t.A(a, b), ws);
      for (int r = 0; r < s.mK; ++r)
        if ((res.mask >> r) & 1u) s.MQ(a, b * s.mK + r) = 1.0;
      s.s_star(a, b) = res.sum;
    }
  // Step 4: output mask, entry (a, c) from block a of the value side.
  pool.resize(s.mV);
  for (int a = 0; a < d; ++a)
    for (int c = 0; c < d_out; ++c) {
      for (int r = 0; r < s.mV; ++r) {
        const int k = a * s.mV + r;
        pool[r] = s.V(a, k) * s.O(k, c);
      }
      const core::SubsetSumResult res = core::best_subset_sum(pool, t.B(a, c), ws);
      for (int r = 0; r < s.mV; ++r)
        if ((res.mask >> r) & 1u) s.MO(a * s.mV + r, c) = 1.0;
      s.t_star(a, c) = res.sum;
    }
}

HeadErrors head_errors(const TargetHead& t, const SourceHead& s) {
  HeadErrors e;
  e.tauQK = (t.A - s.A_hat()).cwiseAbs().maxCoeff();
  e.tauVO = (t.B - s.B_hat()).cwiseAbs().maxCoeff();
  e.densQ = s.MQ.mean();
  e.densO = s.MO.mean();
  return e;
}

MatrixXd merged_forward(const std::vector<MatrixXd>& A, const std::vector<MatrixXd>& B, const MatrixXd& X,
                        MaskKind mask, bool normalize) {
  const int T = int(X.rows());
  const int d_out = int(B.at(0).cols());
  MatrixXd Y = MatrixXd::Zero(T, d_out);
  for (size_t j = 0; j < A.size(); ++j) {
    const MatrixXd XAt = X * A[j].transpose();  // row k: (A x_k^T)^T, so z_k = x_i . (A x_k^T) = x_i A x_k^T
    const MatrixXd XB = X * B[j];               // T x d_out
    for (int i = 0; i < T; ++i) {
      const int n = mask == MaskKind::causal ? i + 1 : T;
      // logits z_k = x_i A x_k^T, k < n (one GEMV per query: O(T d) memory)
      const VectorXd z = XAt.topRows(n) * X.row(i).transpose();
      if (normalize) {
        const VectorXd w = (z.array() - z.maxCoeff()).exp().matrix();
        Y.row(i) += (w.transpose() * XB.topRows(n)) / w.sum();
      } else {
        const VectorXd w = z.array().exp().matrix();
        Y.row(i) += w.transpose() * XB.topRows(n);
      }
    }
  }
  return Y;
}

MatrixXd network_forward(const std::vector<NetHead>& heads, const MatrixXd& X, MaskKind mask) {
  const int T = int(X.rows());
  const int d_out = int(heads.at(0).O.cols());
  MatrixXd Y = MatrixXd::Zero(T, d_out);
  for (const NetHead& h : heads) {
    const MatrixXd XQ = X * h.Q, XK = X * h.K;  // T x n
    const MatrixXd XV = X * h.V;                // T x n_v
    for (int i = 0; i < T; ++i) {
      const int n = mask == MaskKind::causal ? i + 1 : T;
      const VectorXd z = h.scale * (XK.topRows(n) * XQ.row(i).transpose());
      const VectorXd w = (z.array() - z.maxCoeff()).exp().matrix();
      Y.row(i) += ((w.transpose() * XV.topRows(n)) / w.sum()) * h.O;
    }
  }
  return Y;
}

NetHead target_net(const TargetHead& t) {
  return NetHead{t.WQ, t.WK, t.WV, t.WO, 1.0 / std::sqrt(double(t.WQ.cols()))};
}

NetHead source_net(const SourceHead& s, double scale) {
  NetHead h;
  h.Q = s.Qt().cwiseProduct(s.MQ);
  h.K = s.Kt().cwiseProduct(s.MK);
  h.V = s.V.cwiseProduct(s.MV);
  h.O = s.O.cwiseProduct(s.MO);
  h.scale = scale > 0 ? scale : 1.0 / std::sqrt(double(s.nK));
  return h;
}

double max_row_distance(const MatrixXd& Y1, const MatrixXd& Y2) { return (Y1 - Y2).rowwise().norm().maxCoeff(); }

MatrixXd draw_tokens(int T, int d, core::PhiloxStream& rng, double scale) {
  MatrixXd X = uniform_matrix(T, d, -1.0, 1.0, rng);
  if (scale != 1) X *= scale;
  return X;
}

FcTicket draw_fc_source(int d, int mF, bool one_signed_first, core::PhiloxStream& rng) {
  FcTicket f;
  const int n = d * mF;
  f.W1 = uniform_matrix(n, d, one_signed_first ? 0.0 : -1.0, 1.0, rng);
  f.W2 = uniform_matrix(d, n, -1.0, 1.0, rng);
  f.M1 = MatrixXd::Zero(n, d);
  f.M2 = MatrixXd::Zero(d, n);
  return f;
}

void build_fc_ticket(const MatrixXd& WF, FcTicket& f, int cap, core::SubsetSumWorkspace& ws) {
  const int d = int(WF.rows());
  const int n = int(f.W1.rows());
  const int mF = n / d;
  f.M1.setZero();
  f.M2.setZero();
  for (int k = 0; k < n; ++k) f.M1(k, k / mF) = 1.0;
  std::vector<int> P, N;
  std::vector<double> pool;
  for (int j = 0; j < d; ++j) {
    P.clear();
    N.clear();
    for (int k = j * mF; k < (j + 1) * mF; ++k) {
      const double u = f.W1(k, j);
      if (u > 0 && int(P.size()) < cap) P.push_back(k);
      if (u < 0 && int(N.size()) < cap) N.push_back(k);
    }
    for (int i = 0; i < d; ++i)
      for (const std::vector<int>* S : {&P, &N}) {
        pool.resize(S->size());
        for (size_t r = 0; r < S->size(); ++r) pool[r] = f.W2(i, (*S)[r]) * f.W1((*S)[r], j);
        const core::SubsetSumResult res = core::best_subset_sum(pool, WF(i, j), ws);
        for (size_t r = 0; r < S->size(); ++r)
          if ((res.mask >> r) & 1u) f.M2(i, (*S)[r]) = 1.0;
      }
  }
}

MatrixXd fc_forward(const FcTicket& f, const MatrixXd& Y) {
  const MatrixXd H = (Y * f.W1.cwiseProduct(f.M1).transpose()).cwiseMax(0.0);  // T x n
  return H * f.W2.cwiseProduct(f.M2).transpose();                                // T x d
}

}  // namespace attnlab::exp::lottery_ticket
