// Predictions of the three papers of the rank_collapse experiment (spec: shared/claims/rank_collapse.md).
//  - dong2021: Y. Dong, J.-B. Cordonnier, A. Loukas, "Attention is not all you need: pure attention loses rank
//    doubly exponentially with depth", ICML 2021, arXiv:2103.03404. Lemma 2.1, Theorem 2.2, Corollaries 2.3
//    and 3.2, Claim 3.1, Theorem 2.1 (paths). gamma is not confirmed: Interpretation gamma_l = exp(2 max|E|).
//  - cirrincione2026: G. Cirrincione, "Rank, Head-Channel Non-Identifiability, and Symmetry Breaking",
//    arXiv:2604.23681 (v1). Theorem numbers not confirmed; every formula here is an Interpretation.
//  - masumura_taki2025: T. Masumura, M. Taki, "On the Role of Hidden States of Modern Hopfield Network in
//    Transformer", NeurIPS 2025, arXiv:2511.20698 (constants not confirmed).
// Pure functions: they read weights and a layer's input, never run a network.
#pragma once
#include "core/layers.hpp"
#include "core/linalg.hpp"

#include <cmath>
#include <vector>

namespace attnlab::theory {

template <class S> using Mat = core::Mat<S>;

namespace dong2021 {

// Per-layer constants of the collapse bound (spec, Background "The collapse bound", Interpretation).
template <class S> struct LayerConstants {
  S M;       // max_h max_ij |E_h|, E_h = R W_QK,h R^T * scale, R = C_n X
  S gamma;   // exp(2 M)
  S beta;    // max_h ||W_QK,h||_1 * sqrt(max_h ||W_h||_1 * max_h ||W_h||_inf)
  S lambda;  // MLP factor (1 without MLP)
  S c;       // 4 gamma H beta scale * lambda   (scale = 1/sqrt(d_qk) in [D])
  S c_gamma1;  // the same with gamma = 1 (the gamma-free published form)
};

// lambda = (2(n-1)/n) sqrt(||W1||_1 ||W2||_1 ||W1||_inf ||W2||_inf)   ([D] Cor. 3.2, mean-centring factor ours).
template <class S> S mlp_lambda(const core::ReluMlp<S>& f, Eigen::Index n) {
  using std::sqrt;
  return S(2.0 * double(n - 1) / double(n)) *
         sqrt(core::norm_1<S>(f.W1) * core::norm_1<S>(f.W2) * core::norm_inf<S>(f.W1) * core::norm_inf<S>(f.W2));
}

// Constants of one attention layer on its own input X (gamma uses the layer's input).
template <class S>
LayerConstants<S> layer_constants(const core::AttnLayer<S>& layer, const Mat<S>& X, const core::ReluMlp<S>* mlp = nullptr) {
  using std::exp;
  using std::sqrt;
  const Mat<S> R = core::centre_tokens<S>(X);
  const S scale = layer.score_scale();
  S M = S(0), bqk = S(0), w1 = S(0), winf = S(0);
  for (const auto& h : layer.heads) {
    const Mat<S> WQK = h.qk();
    const Mat<S> E = (R * WQK * R.transpose()) * scale;
    const S m = core::max_abs<S>(E);
    if (m > M) M = m;
    const S q = core::norm_1<S>(WQK);
    if (q > bqk) bqk = q;
    const Mat<S> W = h.merged();
    const S a = core::norm_1<S>(W), b = core::norm_inf<S>(W);
    if (a > w1) w1 = a;
    if (b > winf) winf = b;
  }
  LayerConstants<S> k;
  k.M = M;
  k.gamma = exp(S(2) * M);
  k.beta = bqk * sqrt(w1 * winf);
  k.lambda = mlp ? mlp_lambda<S>(*mlp, X.rows()) : S(1);
  const S H = S(double(layer.heads.size()));
  k.c = S(4) * k.gamma * H * k.beta * scale * k.lambda;
  k.c_gamma1 = S(4) * H * k.beta * scale * k.lambda;
  return k;
}

// layer_bound(c_l, m_prev) = c_l m_prev^3.
template <class S> S layer_bound(const S& c, const S& m_prev) { return c * m_prev * m_prev * m_prev; }
// chained_bound = prod_l c_l^{3^{L-l}} * m_0^{3^L}.
template <class S> S chained_bound(const std::vector<S>& c, const S& m0) {
  S b = m0;
  for (const S& cl : c) b = layer_bound<S>(cl, b);  // same product, evaluated layer by layer
  return b;
}
// paper_form_bound(c, m0, L) = c^{(3^L-1)/2} m0^{3^L}.
template <class S> S paper_form_bound(const S& c, const S& m0, int L) {
  using std::pow;
  double e = 1;
  for (int l = 0; l < L; ++l) e *= 3;
  return pow(c, S((e - 1) / 2)) * pow(m0, S(e));
}

// Theorem 2.2: residual exponent 3^L, i.e. ln m_{l+1} ~ 3 ln m_l.
constexpr double collapse_rate_exponent() { return 3.0; }

// Theorem 2.1 with skips: number of paths of length k among (1+H)^L: C(L,k) H^k (as double).
double path_count(int L, int H, int k);
// Share of paths of length k: C(L,k) H^k / (1+H)^L, k = 0..L (computed in log space).
std::vector<double> path_length_shares(int L, int H);

}  // namespace dong2021

namespace cirrincione2026 {

// Paper (Interpretation): zero-bias LN keeps the matrix rank: predicted rank(LN_{b=0}(X)) = rank(X).
int ln_matrix_rank_paper(const core::MatrixXd& X);
// Exact: rank(LN_{b=0}(X)) = rank(X Pi_d) (any nonzero gains, eps >= 0).
core::RankDecision ln_zero_bias_rank(const core::MatrixXd& X);
// Paper (Interpretation): aff(LN(X)) = aff(X).
int ln_affine_rank_paper(const core::MatrixXd& X);
// Exact: aff(LN(X)) = rank(X Pi_d) - [s in col(X Pi_d)], s_i = sqrt(sigma_i^2 + eps). The membership is
// decided as rank([X Pi_d | s]) == rank(X Pi_d). `ambiguous` is set when either rank decision is.
int ln_affine_rank_exact(const core::MatrixXd& X, double eps, bool* ambiguous = nullptr);

// Span recursion S_0 = row(X), S_l = S_{l-1} (+ if skip) + sum_h S_{l-1} W^l_h. `basis` is d x k
// (orthonormal columns); W[l][h] the merged d x d maps. Returns the bases of S_0..S_L (rank by the gap rule).
std::vector<core::MatrixXd> attention_span_bases(const core::MatrixXd& basis0,
                                                 const std::vector<std::vector<core::MatrixXd>>& W, bool skip);

// Head-summing map with a shared d_k-wide channel: nullity n (H - 1) d_k; general n (H d_k - rank W_O).
long long head_channel_nullity(long long n, long long H, long long dk);
long long head_channel_nullity_general(long long n, long long H, long long dk, long long rank_WO);

// PG-OP overhead (Interpretation: gate from the position embedding, u_h in R^d and c_h per head):
// extra H(d+1) over the output projection H d_k d + d with d = H d_k: ratio H/d exactly.
double pgop_overhead_ratio(long long d, long long H);
long long pgop_extra_parameters(long long d, long long H);
long long output_projection_parameters(long long d, long long H);
// Alternative reading: a per-position table gamma_{i,h}: n_max H / (d^2 + d).
double pgop_table_ratio(long long d, long long H, long long n_max);

// Generic rank after a residual post-LN attention stack (Interpretation: exact rank kept): min(n, d).
int generic_rank_after_residual_stack(int n, int d);

}  // namespace cirrincione2026

namespace masumura_taki2025 {
// Sign of log10 rho(X^L)|_{a'>0} - log10 rho(X^L)|_{a'=0}: +1 (the hidden state keeps more residual).
constexpr int hidden_state_gain_sign() { return +1; }
// The published bound's form (constants not confirmed): max over m = 0..L of
// (r(1-a')C1)^{(3^m-1)/2} (r a' C2)^{3^m (L-m)} res0^{3^m}, in log10 for given log10 constants.
double published_bound_log10(double log10_r1c1, double log10_r2c2, double log10_res0, int L);
}  // namespace masumura_taki2025

}  // namespace attnlab::theory
