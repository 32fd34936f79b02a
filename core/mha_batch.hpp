// Batched multi-head self-attention (no mask, no bias) over B sequences of n tokens of width d,
// H heads of width dh = d / H, forward and hand-written backward:
//   [Q K V] = X [W_Q W_K W_V]            (per token; head h uses columns [h dh, (h + 1) dh)),
//   O_h = softmax(Q_h K_h^T / sqrt(dh)) V_h   (row maximum subtracted),
//   Y = [O_0 ... O_{H-1}] W_O.
// X, Y and their cotangents are (B n) x d row-major matrices: token i of sequence b is row b n + i,
// the memory layout of a C-contiguous [B, n, d] array. Weights are d x d (column-major Eigen).
//
// Backward (for G = dL/dY): dO = G W_O^T, dW_O = O^T G; per sequence and head, with P the softmax,
//   dV_h = P^T dO_h,  dP = dO_h V_h^T,  dS_ij = P_ij (dP_ij - sum_k P_ik dP_ik),
//   dQ_h = dS K_h / sqrt(dh),  dK_h = dS^T Q_h / sqrt(dh);
//   dX = dQ W_Q^T + dK W_K^T + dV W_V^T,  dW_Q = X^T dQ (and likewise for K, V).
//
// Layout of the work: the batch is cut into fixed chunks of whole sequences (the chunk size depends
// on n only, never on the thread count). A chunk's projections are one matrix product over all of
// its tokens (chunk rows x d times d x 3d, and chunk rows x d times d x d), its per-head score and
// value products are per sequence. OpenMP runs over chunks; every chunk is computed by one thread
// in a fixed order and weight gradients are summed over chunks in chunk order after the parallel
// loop, so results are bit-identical for any thread count. Batches under 4 MFLOP run on the calling thread (waking a team costs more).
// The 1/sqrt(dh) scale is folded into the copy of W_Q used for the products. The projections and
// the backward's products use Eigen's GEMM (EIGEN_DONT_PARALLELIZE: single-threaded inside a
// chunk); the forward's per-head products Q K^T and P V use the AVX2/FMA tiles below when n and dh
// are multiples of the vector width (Eigen otherwise), and the exponentials core/vexp.hpp's
// vectorised exp. Templated on float and double.
#pragma once
#include "core/linalg.hpp"
#include "core/vexp.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include <omp.h>

namespace attnlab::core {

template <class S> using RowMat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Weights of one layer: W_Q, W_K, W_V, W_O, each d x d; H heads.
template <class S> struct MhaWeights {
  int H = 1;
  Mat<S> WQ, WK, WV, WO;
  int d() const { return int(WQ.rows()); }
};

// Gradients of the weights (same shapes).
template <class S> struct MhaGrads {
  Mat<S> WQ, WK, WV, WO;
};

// Sequences per chunk: about 512 tokens per chunk (at least one sequence, at most B).
inline int mha_chunk_sequences(int B, int n) { return std::max(1, std::min(B, 512 / std::max(1, n))); }

namespace detail {

template <class S> using MapRM = Eigen::Map<RowMat<S>, 0, Eigen::OuterStride<>>;
template <class S> using CMapRM = Eigen::Map<const RowMat<S>, 0, Eigen::OuterStride<>>;

template <class S> void mha_check(const MhaWeights<S>& w, int B, int n, const RowMat<S>& X) {
  const int d = w.d();
  if (w.H < 1 || d % w.H != 0) throw std::invalid_argument("mha: d must be a multiple of H");
  if (w.WK.rows() != d || w.WV.rows() != d || w.WO.rows() != d || w.WQ.cols() != d || w.WK.cols() != d ||
      w.WV.cols() != d || w.WO.cols() != d)
    throw std::invalid_argument("mha: weights must be d x d");
  if (B < 0 || n < 1 || X.rows() != Eigen::Index(B) * n || X.cols() != d)
    throw std::invalid_argument("mha: X must be (B n) x d");
}

// [W_Q / sqrt(dh), W_K, W_V] (d x 3d).
template <class S> Mat<S> mha_packed_qkv(const MhaWeights<S>& w) {
  using std::sqrt;
  const int d = w.d(), dh = d / w.H;
  Mat<S> W(d, 3 * d);
  W.leftCols(d) = w.WQ * (S(1) / sqrt(S(dh)));
  W.middleCols(d, d) = w.WK;
  W.rightCols(d) = w.WV;
  return W;
}

// Per-thread scratch.
template <class S> struct MhaScratch {
  RowMat<S> QKV, O, dO, dQKV, P, dP, KT;
  Eigen::Matrix<S, Eigen::Dynamic, 1> rinv;
};

// Row-wise softmax of the n x n scores in place, unnormalised (exp(s - max)), given the row
// maxima in rinv; returns 1/row sums in rinv. One fused pass per row (shift, exponential, sum)
// with core/vexp.hpp's exponential (within 2 ulp of std::exp; Eigen 3.4's double exp was half of
// the whole forward at n = 64).
template <class S> void softmax_rows_from_max(RowMat<S>& P, Eigen::Matrix<S, Eigen::Dynamic, 1>& rinv) {
  const Eigen::Index n = P.cols();
  for (Eigen::Index i = 0; i < P.rows(); ++i) rinv(i) = S(1) / exp_shift_sum(P.data() + i * n, n, rinv(i));
}

// The two per-head products of the forward, hand-vectorised for AVX2/FMA when the head width dh and
// the sequence length n are multiples of the vector width (4 doubles, 8 floats); otherwise Eigen.
// At dh = 8 Eigen's GEMM spends most of its time packing and on the output block (8 multiply-adds
// per output), about 40 % of the FMA peak; these keep the output block in registers.
//   scores_rowmax:  P = Q K^T (n x n, contiguous), rmax(i) = max_j P(i, j);
//   pv_scaled:      O = diag(rinv) P V (n x dh, row stride os).
// Q, K, V are n x dh blocks of the packed QKV rows (row stride qs); KT is scratch for K^T.
#ifdef ATTNLAB_SIMD_AVX2
template <class S, int MR, int NV>
inline void qk_tile(const S* Q, Eigen::Index qs, const S* KT, int n, int dh, int i0, int j0, S* P,
                    typename simd::Simd<S>::V* rmax) {
  using O = simd::Simd<S>;
  constexpr int W = O::W;
  typename O::V acc[MR][NV];
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < NV; ++v) acc[r][v] = O::zero();
  for (int k = 0; k < dh; ++k) {
    typename O::V kv[NV];
    for (int v = 0; v < NV; ++v) kv[v] = O::load(KT + Eigen::Index(k) * n + j0 + v * W);
    for (int r = 0; r < MR; ++r) {
      const typename O::V q = O::set1(Q[Eigen::Index(i0 + r) * qs + k]);
      for (int v = 0; v < NV; ++v) acc[r][v] = O::fmadd(q, kv[v], acc[r][v]);
    }
  }
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < NV; ++v) {
      O::store(P + Eigen::Index(i0 + r) * n + j0 + v * W, acc[r][v]);
      rmax[r] = O::max(rmax[r], acc[r][v]);
    }
}

template <class S, int MR>
inline void qk_rows(const S* Q, Eigen::Index qs, const S* KT, int n, int dh, int i0, S* P, S* rowmax) {
  using O = simd::Simd<S>;
  constexpr int W = O::W;
  typename O::V rmax[MR];
  for (int r = 0; r < MR; ++r) rmax[r] = O::set1(-std::numeric_limits<S>::infinity());
  int j0 = 0;
  for (; j0 + 2 * W <= n; j0 += 2 * W) qk_tile<S, MR, 2>(Q, qs, KT, n, dh, i0, j0, P, rmax);
  for (; j0 < n; j0 += W) qk_tile<S, MR, 1>(Q, qs, KT, n, dh, i0, j0, P, rmax);
  for (int r = 0; r < MR; ++r) rowmax[i0 + r] = O::hmax(rmax[r]);
}

template <class S, int MR, int NV>
inline void pv_tile(const S* P, int n, const S* V, Eigen::Index vs, const S* rinv, int i0, int c0, S* Out,
                    Eigen::Index os) {
  using O = simd::Simd<S>;
  constexpr int W = O::W;
  typename O::V acc[MR][NV];
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < NV; ++v) acc[r][v] = O::zero();
  for (int k = 0; k < n; ++k) {
    typename O::V vv[NV];
    for (int v = 0; v < NV; ++v) vv[v] = O::load(V + Eigen::Index(k) * vs + c0 + v * W);
    for (int r = 0; r < MR; ++r) {
      const typename O::V p = O::set1(P[Eigen::Index(i0 + r) * n + k]);
      for (int v = 0; v < NV; ++v) acc[r][v] = O::fmadd(p, vv[v], acc[r][v]);
    }
  }
  for (int r = 0; r < MR; ++r) {
    const typename O::V s = O::set1(rinv[i0 + r]);
    for (int v = 0; v < NV; ++v) O::store(Out + Eigen::Index(i0 + r) * os + c0 + v * W, O::mul(acc[r][v], s));
  }
}

template <class S, int MR>
inline void pv_rows(const S* P, int n, const S* V, Eigen::Index vs, const S* rinv, int dh, int i0, S* Out,
                    Eigen::Index os) {
  constexpr int W = simd::Simd<S>::W;
  int c0 = 0;
  for (; c0 + 2 * W <= dh; c0 += 2 * W) pv_tile<S, MR, 2>(P, n, V, vs, rinv, i0, c0, Out, os);
  for (; c0 < dh; c0 += W) pv_tile<S, MR, 1>(P, n, V, vs, rinv, i0, c0, Out, os);
}
#endif

template <class S> bool head_kernels_apply(int n, int dh) {
#ifdef ATTNLAB_SIMD_AVX2
  constexpr int W = simd::Simd<S>::W;
  return n % W == 0 && dh % W == 0;
#else
  (void)n, (void)dh;
  return false;
#endif
}

// P = Qh Kh^T and its row maxima (into rmax). KT: scratch, dh x n.
template <class S>
void scores_rowmax(const CMapRM<S>& Qh, const CMapRM<S>& Kh, RowMat<S>& KT, RowMat<S>& P,
                   Eigen::Matrix<S, Eigen::Dynamic, 1>& rmax) {
#ifdef ATTNLAB_SIMD_AVX2
  const int n = int(Qh.rows()), dh = int(Qh.cols());
  if (head_kernels_apply<S>(n, dh)) {
    KT = Kh.transpose();
    int i0 = 0;
    // n is a multiple of the vector width (4 or 8), so 4-row tiles cover every row
    for (; i0 < n; i0 += 4) qk_rows<S, 4>(Qh.data(), Qh.outerStride(), KT.data(), n, dh, i0, P.data(), rmax.data());
    return;
  }
#endif
  (void)KT;
  P.noalias() = Qh * Kh.transpose();
  rmax = P.rowwise().maxCoeff();
}

// Oh = diag(rinv) P Vh.
template <class S>
void pv_scaled(const RowMat<S>& P, const CMapRM<S>& Vh, const Eigen::Matrix<S, Eigen::Dynamic, 1>& rinv, MapRM<S>& Oh) {
#ifdef ATTNLAB_SIMD_AVX2
  const int n = int(P.rows()), dh = int(Vh.cols());
  if (head_kernels_apply<S>(n, dh)) {
    int i0 = 0;
    for (; i0 + 6 <= n; i0 += 6) pv_rows<S, 6>(P.data(), n, Vh.data(), Vh.outerStride(), rinv.data(), dh, i0, Oh.data(), Oh.outerStride());
    for (; i0 < n; ++i0) pv_rows<S, 1>(P.data(), n, Vh.data(), Vh.outerStride(), rinv.data(), dh, i0, Oh.data(), Oh.outerStride());
    return;
  }
#endif
  Oh.noalias() = P * Vh;
  Oh = rinv.asDiagonal() * Oh;
}

inline bool mha_parallel(int threads, int chunks, double flops) { return threads > 1 && chunks > 1 && flops >= 4e6; }

}  // namespace detail

// Y = MHA(X). Y is resized to (B n) x d.
template <class S>
void mha_forward(const MhaWeights<S>& w, int B, int n, const RowMat<S>& X, RowMat<S>& Y, int threads = 1) {
  detail::mha_check(w, B, n, X);
  const int d = w.d(), H = w.H, dh = d / H;
  const Mat<S> Wqkv = detail::mha_packed_qkv(w);
  Y.resize(Eigen::Index(B) * n, d);
  const int cs = mha_chunk_sequences(B, n), chunks = (B + cs - 1) / cs;
  const int nt = std::max(1, threads);
  std::vector<detail::MhaScratch<S>> scratch(static_cast<size_t>(nt));
  const double flops = 8.0 * B * n * double(d) * d + 4.0 * B * double(n) * n * d;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (detail::mha_parallel(nt, chunks, flops))
  for (int c = 0; c < chunks; ++c) {
    auto& ws = scratch[size_t(omp_get_thread_num())];
    const int b0 = c * cs, b1 = std::min(B, b0 + cs);
    const Eigen::Index r0 = Eigen::Index(b0) * n, rows = Eigen::Index(b1 - b0) * n;
    ws.QKV.resize(rows, 3 * d);
    ws.O.resize(rows, d);
    ws.P.resize(n, n);
    ws.rinv.resize(n);
    ws.QKV.noalias() = X.middleRows(r0, rows) * Wqkv;
    for (int b = 0; b < b1 - b0; ++b) {
      const Eigen::Index t0 = Eigen::Index(b) * n;
      for (int h = 0; h < H; ++h) {
        detail::CMapRM<S> Qh(ws.QKV.data() + t0 * 3 * d + h * dh, n, dh, Eigen::OuterStride<>(3 * d));
        detail::CMapRM<S> Kh(ws.QKV.data() + t0 * 3 * d + d + h * dh, n, dh, Eigen::OuterStride<>(3 * d));
        detail::CMapRM<S> Vh(ws.QKV.data() + t0 * 3 * d + 2 * d + h * dh, n, dh, Eigen::OuterStride<>(3 * d));
        detail::MapRM<S> Oh(ws.O.data() + t0 * d + h * dh, n, dh, Eigen::OuterStride<>(d));
        detail::scores_rowmax(Qh, Kh, ws.KT, ws.P, ws.rinv);
        detail::softmax_rows_from_max(ws.P, ws.rinv);
        detail::pv_scaled(ws.P, Vh, ws.rinv, Oh);
      }
    }
    Y.middleRows(r0, rows).noalias() = ws.O * w.WO;
  }
}

// Forward and backward in one pass: Y = MHA(X), and for the cotangent G = dL/dY, dX = dL/dX and the
// weight gradients dW. Y, dX resized to (B n) x d.
template <class S>
void mha_forward_backward(const MhaWeights<S>& w, int B, int n, const RowMat<S>& X, const RowMat<S>& G, RowMat<S>& Y,
                          RowMat<S>& dX, MhaGrads<S>& dW, int threads = 1) {
  using std::sqrt;
  detail::mha_check(w, B, n, X);
  if (G.rows() != X.rows() || G.cols() != X.cols()) throw std::invalid_argument("mha: G must be (B n) x d");
  const int d = w.d(), H = w.H, dh = d / H;
  const Mat<S> Wqkv = detail::mha_packed_qkv(w);
  Y.resize(X.rows(), d);
  dX.resize(X.rows(), d);
  const int cs = mha_chunk_sequences(B, n), chunks = (B + cs - 1) / cs;
  const int nt = std::max(1, threads);
  std::vector<detail::MhaScratch<S>> scratch(static_cast<size_t>(nt));
  std::vector<Mat<S>> dWqkv_c(static_cast<size_t>(chunks)), dWO_c(static_cast<size_t>(chunks));
  const double flops = 24.0 * B * n * double(d) * d + 12.0 * B * double(n) * n * d;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (detail::mha_parallel(nt, chunks, flops))
  for (int c = 0; c < chunks; ++c) {
    auto& ws = scratch[size_t(omp_get_thread_num())];
    const int b0 = c * cs, b1 = std::min(B, b0 + cs);
    const Eigen::Index r0 = Eigen::Index(b0) * n, rows = Eigen::Index(b1 - b0) * n;
    const auto Xc = X.middleRows(r0, rows);
    const auto Gc = G.middleRows(r0, rows);
    ws.QKV.resize(rows, 3 * d);
    ws.O.resize(rows, d);
    ws.dO.resize(rows, d);
    ws.dQKV.resize(rows, 3 * d);
    ws.P.resize(n, n);
    ws.dP.resize(n, n);
    ws.rinv.resize(n);
    ws.QKV.noalias() = Xc * Wqkv;
    ws.dO.noalias() = Gc * w.WO.transpose();
    for (int b = 0; b < b1 - b0; ++b) {
      const Eigen::Index t0 = Eigen::Index(b) * n;
      for (int h = 0; h < H; ++h) {
        const S* base = ws.QKV.data() + t0 * 3 * d;
        S* dbase = ws.dQKV.data() + t0 * 3 * d;
        const Eigen::OuterStride<> s3(3 * d), s1(d);
        detail::CMapRM<S> Qh(base + h * dh, n, dh, s3), Kh(base + d + h * dh, n, dh, s3),
            Vh(base + 2 * d + h * dh, n, dh, s3);
        detail::MapRM<S> dQh(dbase + h * dh, n, dh, s3), dKh(dbase + d + h * dh, n, dh, s3),
            dVh(dbase + 2 * d + h * dh, n, dh, s3);
        detail::MapRM<S> Oh(ws.O.data() + t0 * d + h * dh, n, dh, s1);
        detail::CMapRM<S> dOh(ws.dO.data() + t0 * d + h * dh, n, dh, s1);
        detail::scores_rowmax(Qh, Kh, ws.KT, ws.P, ws.rinv);
        detail::softmax_rows_from_max(ws.P, ws.rinv);
        detail::pv_scaled(ws.P, Vh, ws.rinv, Oh);
        ws.P = ws.rinv.asDiagonal() * ws.P;  // normalised, for the backward
        ws.dP.noalias() = dOh * Vh.transpose();
        dVh.noalias() = ws.P.transpose() * dOh;
        for (Eigen::Index i = 0; i < n; ++i) {
          const S dot = ws.P.row(i).dot(ws.dP.row(i));
          ws.dP.row(i).array() = ws.P.row(i).array() * (ws.dP.row(i).array() - dot);
        }
        dQh.noalias() = ws.dP * Kh;              // gradient wrt the scaled queries
        dKh.noalias() = ws.dP.transpose() * Qh;  // Qh already carries 1/sqrt(dh)
      }
    }
    Y.middleRows(r0, rows).noalias() = ws.O * w.WO;
    dX.middleRows(r0, rows).noalias() = ws.dQKV * Wqkv.transpose();
    dWqkv_c[size_t(c)].noalias() = Xc.transpose() * ws.dQKV;
    dWO_c[size_t(c)].noalias() = ws.O.transpose() * Gc;
  }
  Mat<S> dWqkv = Mat<S>::Zero(d, 3 * d);
  dW.WO.setZero(d, d);
  for (int c = 0; c < chunks; ++c) {
    dWqkv += dWqkv_c[size_t(c)];
    dW.WO += dWO_c[size_t(c)];
  }
  dW.WQ = dWqkv.leftCols(d) * (S(1) / sqrt(S(dh)));
  dW.WK = dWqkv.middleCols(d, d);
  dW.WV = dWqkv.rightCols(d);
}

}  // namespace attnlab::core
