#include "core/training.hpp"

#include <omp.h>

#include <Eigen/Eigenvalues>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <fcntl.h>
#include <stdexcept>
#include <unistd.h>

namespace attnlab::core {

void PromptBatch::resize(int B_, int n_, int D_, int k_) {
  B = B_, n = n_, D = D_, k = k_;
  if (Z.rows() != D || Z.cols() != Eigen::Index(B) * n) Z.resize(D, Eigen::Index(B) * n);
  if (Zq.rows() != D || Zq.cols() != B) Zq.resize(D, B);
  if (Y.rows() != k || Y.cols() != B) Y.resize(k, B);
}

AttentionModel AttentionModel::zeros(ScoreKind kind, bool factored, int H, int D, int k) {
  if (H < 1 || D < 1 || k < 1) throw std::invalid_argument("AttentionModel: H, D, k must be >= 1");
  AttentionModel m;
  m.kind = kind, m.factored = factored, m.H = H, m.D = D, m.k = k;
  if (!factored) {
    for (int h = 0; h < H; ++h) m.blocks.push_back(MatrixXd::Zero(D, D));
    for (int h = 0; h < H; ++h) m.blocks.push_back(MatrixXd::Zero(k, D));
  } else {
    for (int g = 0; g < 3; ++g)
      for (int h = 0; h < H; ++h) m.blocks.push_back(MatrixXd::Zero(D, D));
    for (int h = 0; h < H; ++h) m.blocks.push_back(MatrixXd::Zero(k, D));
  }
  return m;
}

void AttentionModel::init_uniform(PhiloxStream& rng, double a) {
  for (auto& b : blocks)
    for (Eigen::Index j = 0; j < b.cols(); ++j)
      for (Eigen::Index i = 0; i < b.rows(); ++i) b(i, j) = rng.uniform(-a, a);
}

void AttentionModel::init_pytorch_default(PhiloxStream& rng) {
  if (!factored) throw std::invalid_argument("init_pytorch_default: factored models only");
  for (size_t q = 0; q < blocks.size(); ++q) {
    const bool is_o = q >= size_t(3 * H);
    const double a = 1.0 / std::sqrt(double(is_o ? H * D : D));
    MatrixXd& b = blocks[q];
    for (Eigen::Index j = 0; j < b.cols(); ++j)
      for (Eigen::Index i = 0; i < b.rows(); ++i) b(i, j) = rng.uniform(-a, a);
  }
}

MatrixXd AttentionModel::KQ(int h) const {
  if (!factored) return blocks[h];
  return blocks[H + h].transpose() * blocks[h] / std::sqrt(double(D));
}

MatrixXd AttentionModel::OV(int h) const {
  if (!factored) return blocks[H + h];
  return blocks[3 * H + h] * blocks[2 * H + h];
}

long AttentionModel::num_params() const {
  long s = 0;
  for (const auto& b : blocks) s += long(b.size());
  return s;
}

VectorXd flatten(const std::vector<MatrixXd>& blocks) {
  long s = 0;
  for (const auto& b : blocks) s += long(b.size());
  VectorXd x(s);
  long o = 0;
  for (const auto& b : blocks) {
    x.segment(o, b.size()) = Eigen::Map<const VectorXd>(b.data(), b.size());
    o += long(b.size());
  }
  return x;
}

VectorXd AttentionModel::flat() const { return flatten(blocks); }

void AttentionModel::set_flat(const VectorXd& x) {
  if (x.size() != num_params()) throw std::invalid_argument("set_flat: size mismatch");
  long o = 0;
  for (auto& b : blocks) {
    Eigen::Map<VectorXd>(b.data(), b.size()) = x.segment(o, b.size());
    o += long(b.size());
  }
}

std::vector<MatrixXd*> AttentionModel::block_ptrs() {
  std::vector<MatrixXd*> p;
  for (auto& b : blocks) p.push_back(&b);
  return p;
}

namespace {

void check_shapes(const AttentionModel& m, const PromptBatch& b) {
  if (b.D != m.D || b.k != m.k) throw std::invalid_argument("attention model and batch differ in D or k");
  if (b.Z.rows() != b.D || b.Z.cols() != Eigen::Index(b.B) * b.n || b.Zq.cols() != b.B || b.Y.cols() != b.B)
    throw std::invalid_argument("malformed prompt batch");
}

// Stacked merged matrices: KQall ((H D) x D), OVall (k x (H D)).
void merged(const AttentionModel& m, MatrixXd& KQall, MatrixXd& OVall) {
  KQall.resize(Eigen::Index(m.H) * m.D, m.D);
  OVall.resize(m.k, Eigen::Index(m.H) * m.D);
  const double rs = 1.0 / std::sqrt(double(m.D));
  for (int h = 0; h < m.H; ++h) {
    auto KQ = KQall.middleRows(Eigen::Index(h) * m.D, m.D);
    auto OV = OVall.middleCols(Eigen::Index(h) * m.D, m.D);
    if (!m.factored) {
      KQ = m.blocks[h];
      OV = m.blocks[m.H + h];
    } else {
      KQ.noalias() = rs * m.blocks[m.H + h].transpose() * m.blocks[h];
      OV.noalias() = m.blocks[3 * m.H + h] * m.blocks[2 * m.H + h];
    }
  }
}

// Per-prompt products. Layout: ZT ((B n) x D) holds the tokens as rows, so prompt b's block
// ZT_b = ZT.middleRows(b n, n) is n x D with columns contiguous over tokens (vectorised along n).
// Small shapes use Eigen's coefficient-based (lazy) products, which do not pack; large ones GEMM.
template <class Dst, class L, class R> inline void prod(Dst&& dst, const L& l, const R& r, bool lazy) {
  if (lazy)
    dst.noalias() = l.lazyProduct(r);
  else
    dst.noalias() = l * r;
}

inline bool use_lazy(int D, int H, int n) { return D * H <= 64 && n <= 256; }

// Threads for a per-prompt loop (Workspace::threads): one below 1e5 multiply-adds per head and
// token of the batch, where waking a team costs more than it saves.
inline int prompt_threads(const Workspace& ws, int B, int n, int D, int H) {
  return ws.threads > 1 && double(B) * n * D * H >= 1e5 ? ws.threads : 1;
}

// Forward on the batch: fills ws.U ((H D) x B), ws.P (n x (B H): P_b = columns [b H, (b+1) H)),
// ws.V ((H D) x B), ws.F (k x B).
void forward_impl(const AttentionModel& m, const PromptBatch& b, Workspace& ws) {
  const int H = m.H, D = m.D, n = b.n, B = b.B;
  const bool lazy = use_lazy(D, H, n);
  ws.ZT.resize(b.Z.cols(), D);        // filled prompt by prompt in the loop (a whole-batch transpose
  ws.U.noalias() = ws.KQall * b.Zq;  // ran on one thread, out of cache: most of the large point)
  ws.P.resize(n, Eigen::Index(B) * H);
  ws.V.resize(Eigen::Index(H) * D, B);
  const bool soft = m.kind == ScoreKind::softmax;
  const int nt = prompt_threads(ws, B, n, D, H);
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
  for (int j = 0; j < B; ++j) {
    ws.ZT.middleRows(Eigen::Index(j) * n, n) = b.Z.middleCols(Eigen::Index(j) * n, n).transpose();
    const auto ZTb = ws.ZT.middleRows(Eigen::Index(j) * n, n);
    Eigen::Map<const MatrixXd> Ub(ws.U.col(j).data(), D, H);
    auto Pb = ws.P.middleCols(Eigen::Index(j) * H, H);
    prod(Pb, ZTb, Ub, lazy);
    if (soft) {
      for (int h = 0; h < H; ++h) {
        auto c = Pb.col(h);
        const double mx = c.maxCoeff();
        c = (c.array() - mx).exp();
        c *= 1.0 / c.sum();
      }
    }
    Eigen::Map<MatrixXd> Vb(ws.V.col(j).data(), D, H);
    prod(Vb, ZTb.transpose(), Pb, lazy);
  }
  ws.F.noalias() = ws.OVall * ws.V;
}

}  // namespace

MatrixXd forward(const AttentionModel& m, const PromptBatch& b, Workspace* ws) {
  check_shapes(m, b);
  Workspace local;
  Workspace& w = ws ? *ws : local;
  merged(m, w.KQall, w.OVall);
  forward_impl(m, b, w);
  return w.F;
}

double loss_and_grad(const AttentionModel& m, const PromptBatch& b, std::vector<MatrixXd>* grads,
                     const BackwardOptions& opt, Workspace* ws) {
  check_shapes(m, b);
  Workspace local;
  Workspace& w = ws ? *ws : local;
  const int H = m.H, D = m.D, n = b.n, B = b.B;
  merged(m, w.KQall, w.OVall);
  forward_impl(m, b, w);
  w.G = w.F - b.Y;
  const double loss = w.G.squaredNorm() / B;
  if (!grads) return loss;

  w.G *= 2.0 / B;                                 // k x B
  w.dOV.noalias() = w.G * w.V.transpose();        // k x (H D)
  w.dV.noalias() = w.OVall.transpose() * w.G;     // (H D) x B
  w.dU.resize(Eigen::Index(H) * D, B);
  const int nt = prompt_threads(w, B, n, D, H);
  if (int(w.dS.size()) < nt) w.dS.resize(size_t(nt));
  for (int t = 0; t < nt; ++t) w.dS[size_t(t)].resize(n, H);
  const bool lazy = use_lazy(D, H, n);
  const bool soft = m.kind == ScoreKind::softmax;
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
  for (int j = 0; j < B; ++j) {
    MatrixXd& dS = w.dS[size_t(nt > 1 ? omp_get_thread_num() : 0)];
    const auto ZTb = w.ZT.middleRows(Eigen::Index(j) * n, n);
    Eigen::Map<const MatrixXd> dVb(w.dV.col(j).data(), D, H);
    prod(dS, ZTb, dVb, lazy);  // dP (n x H)
    if (soft) {
      const auto Pb = w.P.middleCols(Eigen::Index(j) * H, H);
      for (int h = 0; h < H; ++h) {
        auto c = dS.col(h);
        const auto p = Pb.col(h);
        if (opt.drop_softmax_mean) {
          c = c.cwiseProduct(p);
        } else {
          const double mean = p.dot(c);
          c.array() = p.array() * (c.array() - mean);
        }
      }
    }
    Eigen::Map<MatrixXd> dUb(w.dU.col(j).data(), D, H);
    prod(dUb, ZTb.transpose(), dS, lazy);
  }
  w.dKQ.noalias() = w.dU * b.Zq.transpose();  // (H D) x D

  grads->resize(m.blocks.size());
  const double rs = 1.0 / std::sqrt(double(D));
  for (int h = 0; h < H; ++h) {
    const auto dKQ = w.dKQ.middleRows(Eigen::Index(h) * D, D);
    const auto dOV = w.dOV.middleCols(Eigen::Index(h) * D, D);
    if (!m.factored) {
      (*grads)[h] = dKQ;
      (*grads)[H + h] = dOV;
    } else {
      const MatrixXd& WQ = m.blocks[h];
      const MatrixXd& WK = m.blocks[H + h];
      const MatrixXd& WV = m.blocks[2 * H + h];
      const MatrixXd& WO = m.blocks[3 * H + h];
      (*grads)[h].noalias() = rs * WK * dKQ;
      (*grads)[H + h].noalias() = rs * WQ * dKQ.transpose();
      (*grads)[2 * H + h].noalias() = WO.transpose() * dOV;
      (*grads)[3 * H + h].noalias() = dOV * WV.transpose();
    }
  }
  return loss;
}

double StepSchedule::lr(long t) const {
  double r = base;
  for (long s : milestones)
    if (t >= s) r *= factor;
  return r;
}

void Sgd::step(const std::vector<MatrixXd*>& params, const std::vector<MatrixXd>& grads, double lr) {
  if (params.size() != grads.size()) throw std::invalid_argument("Sgd::step: params and grads differ in count");
  for (size_t q = 0; q < params.size(); ++q) *params[q] -= lr * grads[q];
}

VectorXd central_difference_gradient(const std::function<double(const AttentionModel&)>& loss, const AttentionModel& m,
                                     double h) {
  AttentionModel w = m;
  VectorXd g(m.num_params());
  long o = 0;
  for (auto& b : w.blocks)
    for (Eigen::Index i = 0; i < b.size(); ++i, ++o) {
      const double orig = b.data()[i];
      b.data()[i] = orig + h;
      const double fp = loss(w);
      b.data()[i] = orig - h;
      const double fm = loss(w);
      b.data()[i] = orig;
      g(o) = (fp - fm) / (2 * h);
    }
  return g;
}

double relative_l2_error(const VectorXd& a, const VectorXd& b) {
  const double num = (a - b).norm(), den = b.norm();
  if (den == 0) return num == 0 ? 0.0 : std::numeric_limits<double>::infinity();
  return num / den;
}

MatrixXd symmetric_sqrt(const MatrixXd& S) {
  require_finite(S, "symmetric_sqrt input");
  Eigen::SelfAdjointEigenSolver<MatrixXd> es(S);
  const VectorXd ev = es.eigenvalues().cwiseMax(0.0).cwiseSqrt();
  return es.eigenvectors() * ev.asDiagonal() * es.eigenvectors().transpose();
}

void sample_regression_batch(const RegressionTask& t, int B, PhiloxStream& rng, PromptBatch& out) {
  const int d = t.d, n = t.n, k = t.k, D = t.D();
  out.resize(B, n, D, k);
  const double sn = std::sqrt(t.s2);
  const bool aniso = t.sqrt_sigma.size() > 0;
  // Normals per prompt, in this order: beta (support sizes), covariates x_1..x_n, x_q (column-major
  // d x (n + 1)), noise (k x (n + 1), column-major). All drawn at once (PhiloxStream::fill_normal).
  int nbeta = 0;
  for (int q = 0; q < k; ++q)
    nbeta += (t.supports.empty() || t.supports[q].empty()) ? d : int(t.supports[q].size());
  const long per = long(nbeta) + long(d) * (n + 1) + long(k) * (n + 1);
  thread_local std::vector<double> buf;
  thread_local MatrixXd X, beta, Yc;
  buf.resize(size_t(per) * size_t(B));
  rng.fill_normal(buf.data(), buf.size());
  beta.setZero(d, k);
  for (int j = 0; j < B; ++j) {
    const double* p = buf.data() + size_t(per) * size_t(j);
    for (int q = 0; q < k; ++q) {
      if (t.supports.empty() || t.supports[q].empty()) {
        const double sc = 1.0 / std::sqrt(double(d));
        for (int c = 0; c < d; ++c) beta(c, q) = sc * *p++;
      } else {
        const double sc = 1.0 / std::sqrt(double(t.supports[q].size()));
        for (int c : t.supports[q]) beta(c, q) = sc * *p++;
      }
    }
    Eigen::Map<const MatrixXd> G(p, d, n + 1);
    p += long(d) * (n + 1);
    Eigen::Map<const MatrixXd> E(p, k, n + 1);
    auto Zb = out.Z.middleCols(Eigen::Index(j) * n, n);
    if (aniso) {
      X.noalias() = t.sqrt_sigma * G;
      Zb.topRows(d) = X.leftCols(n);
      out.Zq.col(j).head(d) = X.col(n);
      Yc.noalias() = beta.transpose() * X;  // k x (n + 1)
    } else {
      Zb.topRows(d) = G.leftCols(n);
      out.Zq.col(j).head(d) = G.col(n);
      Yc.noalias() = beta.transpose() * G;
    }
    Yc += sn * E;
    Zb.bottomRows(k) = Yc.leftCols(n);
    out.Zq.col(j).tail(k).setZero();
    out.Y.col(j) = Yc.col(n);
  }
}

long train(TrainState& st, const TrainConfig& cfg, const std::function<void(long, PromptBatch&)>& batch,
           const std::function<void(long, const AttentionModel&)>& snapshot) {
  if (cfg.adam && st.adam.steps() == 0 && st.adam.first_moments().empty()) st.adam = Adam(cfg.adam_opt);
  if (!cfg.checkpoint_path.empty() && !cfg.checkpoint_sink) load_checkpoint(cfg.checkpoint_path, st);
  PromptBatch b;
  Workspace ws;
  std::vector<MatrixXd> g;
  const auto ptrs = st.model.block_ptrs();
  long done_here = 0;
  while (st.step < cfg.steps) {
    if (cfg.stop_after >= 0 && st.step >= cfg.stop_after) break;
    batch(st.step, b);
    const double L = loss_and_grad(st.model, b, &g, {}, &ws);
    st.losses.push_back(L);
    const double lr = cfg.schedule.lr(st.step);
    if (cfg.adam) {
      st.adam.set_lr(lr);
      st.adam.step(ptrs, g);
    } else {
      Sgd::step(ptrs, g, lr);
    }
    ++st.step;
    ++done_here;
    if (snapshot && (st.step == 1 || (cfg.snapshot_every > 0 && st.step % cfg.snapshot_every == 0)))
      snapshot(st.step, st.model);
    if (cfg.checkpoint_every > 0 && st.step % cfg.checkpoint_every == 0) {
      if (cfg.checkpoint_sink)
        cfg.checkpoint_sink(st);
      else if (!cfg.checkpoint_path.empty())
        save_checkpoint(cfg.checkpoint_path, st);
    }
  }
  if (done_here > 0) {
    if (cfg.checkpoint_sink)
      cfg.checkpoint_sink(st);
    else if (!cfg.checkpoint_path.empty())
      save_checkpoint(cfg.checkpoint_path, st);
  }
  return st.step;
}

namespace {

constexpr char kMagic[8] = {'A', 'T', 'L', 'C', 'K', 'P', 'T', '2'};

void put_i64(std::string& s, long long v) { s.append(reinterpret_cast<const char*>(&v), sizeof v); }
void put_mat(std::string& s, const MatrixXd& m) {
  put_i64(s, m.rows());
  put_i64(s, m.cols());
  s.append(reinterpret_cast<const char*>(m.data()), sizeof(double) * size_t(m.size()));
}

struct Reader {
  const std::string& s;
  size_t o = 0;
  long long i64() {
    if (o + 8 > s.size()) throw std::runtime_error("checkpoint truncated");
    long long v;
    std::memcpy(&v, s.data() + o, 8);
    o += 8;
    return v;
  }
  MatrixXd mat() {
    const long long r = i64(), c = i64();
    if (r < 0 || c < 0 || r > (1 << 24) || c > (1 << 24)) throw std::runtime_error("checkpoint corrupt");
    MatrixXd m(r, c);
    const size_t bytes = sizeof(double) * size_t(r * c);
    if (o + bytes > s.size()) throw std::runtime_error("checkpoint truncated");
    std::memcpy(m.data(), s.data() + o, bytes);
    o += bytes;
    return m;
  }
};

}  // namespace

std::string checkpoint_bytes(const TrainState& st, const std::string& meta) {
  std::string s(kMagic, 8);
  put_i64(s, static_cast<long long>(meta.size()));
  s += meta;
  const AttentionModel& m = st.model;
  put_i64(s, m.kind == ScoreKind::softmax ? 0 : 1);
  put_i64(s, m.factored ? 1 : 0);
  put_i64(s, m.H);
  put_i64(s, m.D);
  put_i64(s, m.k);
  put_i64(s, st.step);
  put_i64(s, static_cast<long long>(m.blocks.size()));
  for (const auto& b : m.blocks) put_mat(s, b);
  put_i64(s, st.adam.steps());
  const auto& M1 = st.adam.first_moments();
  const auto& M2 = st.adam.second_moments();
  put_i64(s, static_cast<long long>(M1.size()));
  for (size_t q = 0; q < M1.size(); ++q) {
    put_mat(s, M1[q]);
    put_mat(s, M2[q]);
  }
  return s;
}

bool restore_checkpoint_bytes(const std::string& s, const std::string& meta, TrainState& st) {
  if (s.size() < 8 || std::memcmp(s.data(), kMagic, 8) != 0) throw std::runtime_error("not a checkpoint");
  Reader rd{s, 8};
  const long long ml = rd.i64();
  if (ml < 0 || size_t(ml) > s.size() - rd.o) throw std::runtime_error("checkpoint corrupt");
  if (s.compare(rd.o, size_t(ml), meta) != 0 || size_t(ml) != meta.size()) return false;
  rd.o += size_t(ml);
  AttentionModel m;
  m.kind = rd.i64() == 0 ? ScoreKind::softmax : ScoreKind::linear;
  m.factored = rd.i64() != 0;
  m.H = int(rd.i64());
  m.D = int(rd.i64());
  m.k = int(rd.i64());
  const long step = long(rd.i64());
  const long long nb = rd.i64();
  if (nb < 0 || nb > 4096) throw std::runtime_error("checkpoint corrupt");
  for (long long q = 0; q < nb; ++q) m.blocks.push_back(rd.mat());
  const AttentionModel& cur = st.model;
  if (!cur.blocks.empty()) {
    if (cur.kind != m.kind || cur.factored != m.factored || cur.H != m.H || cur.D != m.D || cur.k != m.k ||
        cur.blocks.size() != m.blocks.size())
      throw std::runtime_error("checkpoint holds a different model shape");
    for (size_t q = 0; q < m.blocks.size(); ++q)
      if (cur.blocks[q].rows() != m.blocks[q].rows() || cur.blocks[q].cols() != m.blocks[q].cols())
        throw std::runtime_error("checkpoint holds a different model shape");
  }
  const long t = long(rd.i64());
  const long long na = rd.i64();
  if (na < 0 || na > 4096) throw std::runtime_error("checkpoint corrupt");
  std::vector<MatrixXd> M1, M2;
  for (long long q = 0; q < na; ++q) {
    M1.push_back(rd.mat());
    M2.push_back(rd.mat());
  }
  if (rd.o != s.size()) throw std::runtime_error("checkpoint has trailing bytes");
  st.model = std::move(m);
  st.step = step;
  st.adam.restore(t, std::move(M1), std::move(M2));
  return true;
}

void save_checkpoint(const std::string& path, const TrainState& st) {
  const std::string s = checkpoint_bytes(st);
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) throw std::runtime_error("cannot write checkpoint " + tmp);
  size_t off = 0;
  while (off < s.size()) {
    const ssize_t w = ::write(fd, s.data() + off, s.size() - off);
    if (w <= 0) {
      ::close(fd);
      throw std::runtime_error("write failed for checkpoint " + tmp);
    }
    off += size_t(w);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) throw std::runtime_error("fsync/close failed for checkpoint " + tmp);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw std::runtime_error("rename failed for checkpoint " + path);
}

bool load_checkpoint(const std::string& path, TrainState& st) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  std::string s;
  char buf[1 << 16];
  size_t r;
  while ((r = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, r);
  std::fclose(f);
  try {
    return restore_checkpoint_bytes(s, "", st);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string(e.what()) + ": " + path);
  }
}

}  // namespace attnlab::core
