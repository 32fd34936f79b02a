// The lottery-ticket construction of [OCO25] (proof of Lemma 4 / Lemma 7) and the simulators the
// six claims share: target and source multi-head attention (tokens as rows), the ticket builder
// (structured first-factor masks, exact subset-sum second-factor masks), merged-form and
// network-form forwards with full or causal attention masks, and the transformer block without
// normalization with the paired-ReLU FC ticket of [PRN20]. Spec: shared/claims/lottery_ticket.md.
#pragma once
#include "core/stats.hpp"
#include "core/linalg.hpp"
#include "core/rng.hpp"
#include "core/subset_sum.hpp"

#include <string>
#include <vector>

namespace attnlab::exp::lottery_ticket {

using core::MatrixXd;
using core::VectorXd;

enum class MaskKind { full, causal };
const char* mask_name(MaskKind m);

// Target head: W_Q, W_K (d x d_K), W_V (d x d_V), W_O (d_V x d_out), each a Gaussian matrix
// divided by its largest singular value; merged A = W_Q W_K^T / sqrt(d_K), B = W_V W_O.
struct TargetHead {
  MatrixXd WQ, WK, WV, WO, A, B;
};
MatrixXd unit_spectral_gaussian(int rows, int cols, core::PhiloxStream& rng);
TargetHead draw_target_head(int d, int dK, int dV, int d_out, core::PhiloxStream& rng);

enum class SourceLaw { uniform, one_signed };

// Source head of key width n_K = d m_K and value width n_V = d m_V. Qp, Kp hold Q', K' (entries
// U[-1,1], or U[0,1] one-signed); the network weights are Q~ = n_K^{1/4} Q', K~ = n_K^{1/4} K'.
// V (d x n_V), O (n_V x d_out) U[-1,1] (U[0,1] one-signed). Masks are 0/1 matrices.
struct SourceHead {
  int mK = 0, mV = 0, nK = 0, nV = 0;
  MatrixXd Qp, Kp, V, O;
  MatrixXd MQ, MK, MV, MO;
  // the solver's selected sums, s*(a,b) (d x d) and t*(a,c) (d x d_out)
  MatrixXd s_star, t_star;
  MatrixXd Qt() const;  // n_K^{1/4} Q'
  MatrixXd Kt() const;
  MatrixXd A_hat() const;  // (Q' . MQ)(K' . MK)^T
  MatrixXd B_hat() const;  // (V . MV)(O . MO)
};
SourceHead draw_source_head(int d, int mK, int mV, int d_out, SourceLaw law, core::PhiloxStream& rng);

// Ticket (steps 1-5 of the construction): M_K[b,k] = [b = blk(k)], M_V[a,k] = [a = blk(k)],
// M_Q and M_O from the exact subset sums against A and B. Fills s_star, t_star.
void build_ticket(const TargetHead& t, SourceHead& s, core::SubsetSumWorkspace& ws);

// Realized merged-weight errors of one head: max|A - A^|, max|B - B^|; and mask densities.
struct HeadErrors {
  double tauQK = 0, tauVO = 0, densQ = 0, densO = 0;
};
HeadErrors head_errors(const TargetHead& t, const SourceHead& s);

// Merged-form MHA: out_i = sum_j sigma(x_i A_j X^T; a_i) X B_j, evaluated row by row (O(T d)
// memory per query); `normalize` = false replaces sigma by the raw weights a_k exp(z_k) (control).
MatrixXd merged_forward(const std::vector<MatrixXd>& A, const std::vector<MatrixXd>& B, const MatrixXd& X,
                        MaskKind mask, bool normalize = true);

// Network-form MHA: head j has projections Q_j, K_j (d x n), V_j (d x n_v), O_j (n_v x d_out) and
// logit scale c_j: out_i = sum_j sigma(c_j x_i Q_j (X K_j)^T; a_i) (X V_j) O_j.
struct NetHead {
  MatrixXd Q, K, V, O;
  double scale = 1;
};
MatrixXd network_forward(const std::vector<NetHead>& heads, const MatrixXd& X, MaskKind mask);
NetHead target_net(const TargetHead& t);
// The pruned source as a network: (Q~ . MQ), (K~ . MK), (V . MV), (O . MO); scale 1/sqrt(n_K)
// unless `scale` > 0 is given (the logit_scale_dK control).
NetHead source_net(const SourceHead& s, double scale = -1);

// Max over positions of the row-wise Euclidean distance.
double max_row_distance(const MatrixXd& Y1, const MatrixXd& Y2);

// Tokens iid U[-1,1]^d, T rows, times `scale` (the token_scale parameter; 1: the spec's tokens, inside the
// theorem's input radius alpha = sqrt(d); 0: every token zero).
MatrixXd draw_tokens(int T, int d, core::PhiloxStream& rng, double scale = 1.0);

// --- Transformer block without normalization ---------------------------------------------------
// Target FC F_T(y) = W_F y; source FC F_S(y) = (W2 . M2) ReLU((W1 . M1) y) with W1 (n_FC x d),
// W2 (d x n_FC) iid U[-1,1] (W1 ~ U[0,1] one-signed). Paired-ReLU ticket: unit k belongs to input
// coordinate j(k) = floor(k / m_F); each coordinate's units split by the sign of u_k = W1[k, j(k)]
// into P_j, N_j, each capped at its first `cap` units in index order; entry (i,j) solves one
// subset sum per sign pool with samples W2[i,k] u_k against W_F[i,j].
struct FcTicket {
  MatrixXd W1, W2, M1, M2;
};
FcTicket draw_fc_source(int d, int mF, bool one_signed_first, core::PhiloxStream& rng);
void build_fc_ticket(const MatrixXd& WF, FcTicket& f, int cap, core::SubsetSumWorkspace& ws);
MatrixXd fc_forward(const FcTicket& f, const MatrixXd& Y);  // rows: F_S(y_i)

// One-sided Clopper-Pearson lower confidence bound for a binomial proportion (k of n).
using core::clopper_pearson_lower;  // core/stats.hpp

}  // namespace attnlab::exp::lottery_ticket
