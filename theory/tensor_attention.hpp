// What the tensor-attention papers predict. Pure closed forms, never a simulation.
//  - J. Alman, Z. Song, "How to Capture Higher-order Correlations? Generalizing Matrix Softmax
//    Attention to Kronecker Computation", arXiv:2310.04064, ICLR 2024: approximate tensor
//    attention (Definition 1.2), the polynomial-method upper bound (Section 3.1), the
//    entry-bound dichotomy (theorem numbers not confirmed).
//  - C. Sanford, D. Hsu, M. Telgarsky, "Representational Strengths and Limitations of
//    Transformers", arXiv:2306.02896, NeurIPS 2023 (Match3).
//  - Y. Zhang et al., "Tensor Product Attention Is All You Need", arXiv:2501.06425 (TPA cache).
// Where a formula is this suite's own (spec shared/claims/tensor_attention.md), the comment
// says "Interpretation".
#pragma once

namespace attnlab::theory::tensor_attention {

// ---- Alman-Song 2310.04064 -------------------------------------------------------------
// Score range beta = B^t: entries of Q and every K_k in [-B, B] and the 1/d normalisation give
// |S| <= B^t (Interpretation: the 1/d inside the exponential, as in arXiv:2302.13214).
double score_range(double B, int t);

// Columns of the polynomial factors for degree g in dimension d: r = C(d+g, d) (Interpretation:
// the exact count of the multi-index construction; the paper states a binomial bound whose exact
// form is not confirmed). Throws std::overflow_error when it does not fit in 63 bits.
long long tensor_rank(int d, int g);
// ln C(d+g, d) (no overflow).
double log_tensor_rank(int d, int g);

// Entrywise relative error of the truncated Taylor polynomial on |s| <= beta (Lagrange
// remainder): rho_g(beta) = e^beta beta^{g+1} / (g+1)!, computed in log space.
// (Interpretation: Taylor polynomial in place of the paper's polynomial, same order of degree.)
double taylor_rel_error_bound(int g, double beta);
// Near-attainment at s = -beta: (1 - beta/(g+2)) rho_g(beta) if beta < g+2, else 0.
double taylor_rel_error_lower(int g, double beta);
// Output error bound (own derivation, spec Background): E_g = 2 rho / (1 - rho) * b_V for
// rho < 1, +inf otherwise.
double output_error_bound(int g, double beta, double bV);
// Certified degree: the smallest g with rho_g(beta) < 1/2 and E_g(beta) <= eps.
int degree_needed(double beta, double eps, double bV);

// Operation counts (multiply-adds plus exps) of the spec's cost model, order t.
// Naive: n^t (2d + 2) + 2 sum_{k=2}^{t-1} n^k d + 2 n d.
double ops_naive(double n, double d, int t = 3);
// Factored: t n r d + 2 t n r + (t-2)(r d + r)   (t = 3: 3nrd + 6nr + rd + r).
double ops_fast(double n, double d, double r, int t = 3);
// Materialised low rank (A~ built, t = 3): n^3 r + n^3 (d+1) + 2 n^2 d + 4 n r; order t: n^t in
// place of n^3 and the Khatri-Rao precomputes of keys and values.
double ops_materialized_lowrank(double n, double d, double r, int t = 3);
// Crossover of ops_fast and ops_naive (t = 3, leading terms): sqrt(r (3d + 6) / (2d + 2)).
double crossover_n(double d, double r);

// Break-even entry bound in the paper's regime (illustration only): d = ceil(log2 n), eps = 1/n,
// b_V = 1; the smallest B at which C(d + g_pred(B^t, eps), d) >= n^{t-1}. Takes log2 n.
double breakeven_entry_bound(double log2_n, int t);

// ---- Sanford-Hsu-Telgarsky 2306.02896 (Interpretation: construction and bound are the spec's) --
// Sufficient inverse temperature for one order-3 unit to label every Match3 position:
// lambda_suff = [ln(n^2 - 1) + ln(p*/(1-p*))] / (1 - cos theta), theta = 2 pi / M,
// tau = (1 + cos theta)/2, p* = (1 + tau)/2.
double match3_lambda_suff(int n, int M);
// Decision threshold tau = (1 + cos(2 pi / M)) / 2.
double match3_threshold(int M);

// ---- Zhang et al. 2501.06425 -------------------------------------------------------------
// Scalars cached per token by the factored decoder: (R_K + R_V)(h + d_h).
long long tpa_cache_per_token(int h, int d_h, int R_K, int R_V);
// Against standard MHA's 2 h d_h: 2 h d_h / ((R_K + R_V)(h + d_h)).
double tpa_cache_ratio(int h, int d_h, int R_K, int R_V);

}  // namespace attnlab::theory::tensor_attention
