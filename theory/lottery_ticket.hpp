// What "The Strong Lottery Ticket Hypothesis for Multi-Head Attention Mechanisms" (H. Otsuka,
// D. Chijiwa, Y. Okoshi, D. Fujiki, S. Takeuchi, M. Motomura, arXiv:2511.04217, AAAI 2026)
// [OCO25] predicts, with the subset-sum lemma of G. S. Lueker (Random Struct. Alg. 12(1), 1998,
// Cor. 3.3) [Lue98] as used by A. Pensia et al., "Optimal lottery tickets via subset sum"
// (NeurIPS 2020, arXiv:2006.07990) [PRN20]. Pure functions; never a simulation.
#pragma once
#include <vector>

namespace attnlab::theory::lottery_ticket {

// Interpretation: the paper never fixes the universal subset-sum constant C; the suite uses
// C_ref = 3 (about twice 1/log 2, rounded up). A project constant, never tuned per run.
inline constexpr double C_REF = 3.0;

struct Widths {
  double tau_QK = 0, tau_VO = 0;  // per-entry tolerances of the merged weights
  int m_K = 0, m_V = 0;           // pool sizes per merged entry
  int n_K = 0, n_V = 0;           // source widths d m_K, d m_V
};

// [OCO25] Theorem 3 (= Theorem 9) with the proof's tolerances (constants reconstructed from
// the proof steps, number not confirmed):
//   tau_QK = eps / (8 H alpha^3 d^{3/2}),  m_K = ceil(C log(1/tau_QK)),  n_K = d m_K,
//   tau_VO = eps / (2 H alpha d sqrt(d_out)),  m_V = ceil(C log(1/tau_VO)),  n_V = d m_V.
Widths required_widths(int H, int d, int d_out, double alpha, double eps, double C);

struct BlockWidths {
  int m_MHA = 0, m_FC = 0;  // pool sizes per entry
  int n_MHA = 0, n_FC = 0;  // d m
};
// [OCO25] Theorem 11 (one block without normalization, target FC depth L):
//   n_MHA >= d C log(32 alpha^3 H d^{3/2} / eps),  n_FC >= d C log(24 alpha L H d^{5/2} / eps).
BlockWidths block_widths(int H, int d, int L, double alpha, double eps, double C);

// The suite's propagation bound ([OCO25] Lemma 5 (= Lemma 8) and Steps 2-3 of the proof of
// Theorem 9), from the realized merged-weight errors tau_QK[j] = max|A_j - A^_j|,
// tau_VO[j] = max|B_j - B^_j|:
//   B_prop = sum_j [ sqrt(d) alpha (exp(2 alpha^2 d tau_QK[j]) - 1) + alpha d sqrt(d_out) tau_VO[j] ].
// Independent of the sequence length and the attention mask.
double propagation_bound(const std::vector<double>& tau_QK, const std::vector<double>& tau_VO, int d, int d_out,
                         double alpha);

// Lemma 5 (= Lemma 8): sum_k |p_k - p'_k| <= exp(2 e_max) - 1 for logits perturbed by at most e_max.
double softmax_l1_bound(double e_max);

// Interpretation (not in the paper): the predicted mean log best subset-sum error (P) of m iid
// samples with second moment sigma2 against a target with second moment Ez2:
//   E[log err_m] ~ -gamma_E - log 2 - m log 2 + 1/2 log(2 pi m sigma2 / 4) + 1/2 + 2 Ez2 / (m sigma2).
double subset_sum_mean_log_error(double m, double sigma2, double Ez2);

// Asymptotic slope of (P) per added sample: -log 2.
double asymptotic_log_rate();

// [OCO25] Fig. 4: the paper's fit for a trained target, 0.8 exp(-0.06 n), n = n_K = n_V
// (reference curve only; not a criterion).
double paper_fit_mha(double n);

// The theorem's input radius alpha = max(sqrt(d), sqrt(d_out)) (tokens in [-1,1]^d).
double input_radius(int d, int d_out);

}  // namespace attnlab::theory::lottery_ticket
