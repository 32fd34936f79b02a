#include "experiments/icl_regression/models.hpp"

#include "core/stats.hpp"
#include "experiments/common/fsutil.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <stdexcept>

namespace attnlab::exp::icl_regression {

std::string Recipe::key() const {
  std::string k = fmt::format("{}/H{}/d{}/n{}/s2{}/rho{}/B{}/T{}/lr{}/snap{}", kind == core::ScoreKind::softmax ? "softmax" : "linear",
                               H, d, n, s2, rho, B, T, lr, snapshot_every);
  if (paper) k += "/paper-adam";
  for (const auto& sup : supports) {
    k += "/S";
    for (int c : sup) k += fmt::format("{},", c);
  }
  return k;
}

MatrixXd sigma_matrix(int d, double rho) {
  MatrixXd S(d, d);
  for (int i = 0; i < d; ++i)
    for (int j = 0; j < d; ++j) S(i, j) = std::pow(rho, std::abs(i - j));
  return S;
}

core::RegressionTask Recipe::task(int n_override) const {
  core::RegressionTask t;
  t.d = d, t.n = n_override > 0 ? n_override : n, t.k = supports.empty() ? 1 : int(supports.size()), t.s2 = s2;
  t.supports = supports;
  if (rho != 0) t.sqrt_sigma = core::symmetric_sqrt(sigma_matrix(d, rho));
  return t;
}

Recipe quick_recipe(int H, double s2, double rho, core::ScoreKind kind) {
  Recipe r;
  r.H = H, r.s2 = s2, r.rho = rho, r.kind = kind;
  r.lr = kind == core::ScoreKind::softmax ? 0.05 : 0.002;
  return r;
}

Recipe paper_recipe(int H, long T, double s2, double rho) {
  Recipe r = quick_recipe(H, s2, rho);
  r.paper = true;
  r.B = 256;
  r.T = T;
  r.lr = 1e-3;
  r.snapshot_every = std::max<long>(1, T / 100);
  return r;
}

Recipe multitask_recipe(int H) {
  Recipe r = quick_recipe(H);
  r.d = 6, r.n = 48;
  r.supports = {{0, 1, 2, 3}, {2, 3, 4, 5}};
  r.snapshot_every = 0;
  return r;
}

namespace {

struct Entry {
  std::once_flag once;
  std::shared_ptr<const Trained> value;
};
std::mutex g_mu;
std::map<std::string, std::shared_ptr<Entry>> g_cache;

std::shared_ptr<Trained> train_one(const Recipe& r, int s, std::uint64_t run_seed, const Checkpoints& ck) {
  const auto t0 = std::chrono::steady_clock::now();
  auto out = std::make_shared<Trained>();
  out->recipe = r;
  out->seed = s;
  const core::RegressionTask task = r.task();
  core::TrainState st;
  st.model = core::AttentionModel::zeros(r.kind, r.paper, r.H, task.D(), task.k);
  core::PhiloxStream init(run_seed, core::stream_id(core::hash64(("icl_regression/init/" + r.key()).c_str()), s));
  if (r.paper)
    st.model.init_pytorch_default(init);
  else
    st.model.init_uniform(init, 0.01);
  core::TrainConfig cfg;
  cfg.steps = r.T;
  if (r.paper) {
    cfg.adam = true;
    cfg.adam_opt.lr = r.lr;
    st.adam = core::Adam(cfg.adam_opt);
    cfg.schedule = {r.lr, {}, 1.0};
  } else {
    cfg.schedule = {r.lr, {long(0.8 * double(r.T))}, 0.1};
  }
  cfg.snapshot_every = r.snapshot_every;
  if (r.paper && !ck.dir.empty()) {
    const std::string meta =
        fmt::format("icl_regression checkpoint; mode={}; run_seed={}; seed={}; recipe={}", ck.mode, run_seed, s, r.key());
    const auto path = ck.dir / fmt::format("{:016x}.ckpt", core::hash64(meta.c_str()));
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) {
      try {
        core::restore_checkpoint_bytes(fsutil::read_text(path), meta, st);  // false (ignored) when stale
      } catch (const std::exception&) {
        // unreadable or corrupt: train from scratch and overwrite it
      }
    }
    cfg.checkpoint_every = ck.every;
    cfg.checkpoint_sink = [path, meta](const core::TrainState& cur) {
      fsutil::write_atomic(path, core::checkpoint_bytes(cur, meta));
    };
  }
  const std::uint64_t tag = core::hash64(("icl_regression/train/" + r.key()).c_str());
  auto batch = [&](long t, core::PromptBatch& b) {
    core::PhiloxStream rng(run_seed, core::stream_id(tag, (std::uint64_t(s) << 32) | std::uint64_t(t)));
    core::sample_regression_batch(task, r.B, rng, b);
  };
  const int D = task.D();
  auto snap = [&](long t, const core::AttentionModel& m) {
    Snapshot sn;
    sn.step = t;
    sn.KQ.resize(r.H * D, D);
    sn.OV.resize(r.H, D);
    for (int h = 0; h < r.H; ++h) {
      sn.KQ.middleRows(h * D, D) = m.KQ(h);
      sn.OV.row(h) = m.OV(h);
    }
    out->snaps.push_back(std::move(sn));
  };
  if (r.snapshot_every > 0 && task.k == 1)
    core::train(st, cfg, batch, snap);
  else
    core::train(st, cfg, batch);
  double tail = 0;
  const size_t k = std::min<size_t>(100, st.losses.size());
  for (size_t i = st.losses.size() - k; i < st.losses.size(); ++i) tail += st.losses[i];
  out->final_train_loss = k ? tail / double(k) : 0;
  out->model = std::move(st.model);
  out->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

std::shared_ptr<Entry> entry(const std::string& key) {
  std::lock_guard<std::mutex> lk(g_mu);
  auto& e = g_cache[key];
  if (!e) e = std::make_shared<Entry>();
  return e;
}

}  // namespace

std::shared_ptr<const Trained> trained(const Recipe& r, int s, std::uint64_t run_seed, const Checkpoints& ck) {
  auto e = entry(fmt::format("{}#{}#{}", r.key(), s, run_seed));
  std::call_once(e->once, [&] { e->value = train_one(r, s, run_seed, ck); });
  return e->value;
}

void train_all(const std::vector<std::pair<Recipe, int>>& jobs, std::uint64_t run_seed, int threads,
               const Checkpoints& ck) {
  const int J = int(jobs.size());
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (int j = 0; j < J; ++j) trained(jobs[j].first, jobs[j].second, run_seed, ck);
}

std::vector<Risk> test_risk(const std::vector<const core::AttentionModel*>& models, const core::RegressionTask& task,
                            long N, std::uint64_t run_seed, int threads) {
  constexpr long kChunk = 1000;
  const long C = (N + kChunk - 1) / kChunk;
  const int M = int(models.size());
  std::string tk = fmt::format("icl_regression/test/d{}/n{}/k{}/s2{}/", task.d, task.n, task.k, task.s2);
  for (Eigen::Index i = 0; i < task.sqrt_sigma.size(); ++i) tk += fmt::format("{},", task.sqrt_sigma.data()[i]);
  const std::uint64_t tag = core::hash64(tk.c_str());
  std::vector<double> s1(size_t(C) * M, 0.0), s2v(size_t(C) * M, 0.0);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (long c = 0; c < C; ++c) {
    const int B = int(std::min(kChunk, N - c * kChunk));
    core::PhiloxStream rng(run_seed, core::stream_id(tag, std::uint64_t(c)));
    core::PromptBatch b;
    core::sample_regression_batch(task, B, rng, b);
    for (int m = 0; m < M; ++m) {
      const MatrixXd F = core::forward(*models[m], b);
      const Eigen::RowVectorXd e2 = (F - b.Y).colwise().squaredNorm();
      s1[size_t(c) * M + m] = e2.sum();
      s2v[size_t(c) * M + m] = e2.array().square().sum();
    }
  }
  std::vector<Risk> out(M);
  for (int m = 0; m < M; ++m) {
    double a = 0, q = 0;
    for (long c = 0; c < C; ++c) a += s1[size_t(c) * M + m], q += s2v[size_t(c) * M + m];
    const double mean = a / double(N), var = std::max(0.0, q / double(N) - mean * mean);
    out[m].mean = mean;
    out[m].se = std::sqrt(var / double(N));
    out[m].finite = std::isfinite(mean) && std::isfinite(out[m].se);
  }
  return out;
}

namespace {
bool all_finite(const std::vector<double>& x) {
  for (double v : x)
    if (!std::isfinite(v)) return false;
  return x.size() >= 2;
}
}  // namespace

double t_upper(const std::vector<double>& x) {
  return all_finite(x) ? core::one_sided_upper(x) : std::numeric_limits<double>::quiet_NaN();
}
double t_lower(const std::vector<double>& x) {
  return all_finite(x) ? core::one_sided_lower(x) : std::numeric_limits<double>::quiet_NaN();
}

double cosine(const MatrixXd& A, const MatrixXd& B) {
  const double den = A.norm() * B.norm();
  return den > 0 ? (A.cwiseProduct(B).sum() / den) : 0.0;
}

PatternMetrics pattern_metrics(const core::AttentionModel& m, int d) {
  PatternMetrics pm;
  const int H = m.H;
  double csum = 0, musum = 0, muabs = 0;
  for (int h = 0; h < H; ++h) {
    const MatrixXd KQ = m.KQ(h), OV = m.OV(h);
    HeadMetrics hm;
    const MatrixXd A = KQ.topLeftCorner(d, d);
    const VectorXd bvec = KQ.row(d).head(d).transpose();
    hm.omega = A.trace() / d;
    hm.mu = OV(0, d);
    hm.c = std::abs(hm.mu * hm.omega);
    const VectorXd diag = A.diagonal();
    hm.r_diag = A.norm() > 0 ? diag.norm() / A.norm() : 0;
    const double mean = diag.mean();
    const double sd = std::sqrt((diag.array() - mean).square().mean());
    hm.cv = mean != 0 ? sd / std::abs(mean) : std::numeric_limits<double>::infinity();
    const double ab = std::sqrt(A.squaredNorm() + bvec.squaredNorm());
    hm.r_b = ab > 0 ? bvec.norm() / ab : 0;
    hm.r_ov = OV.norm() > 0 ? std::abs(hm.mu) / OV.row(0).norm() : 0;
    csum += hm.c;
    musum += hm.mu;
    muabs += std::abs(hm.mu);
    pm.eta_hat += hm.mu * hm.omega;
    pm.heads.push_back(hm);
  }
  pm.Z = muabs > 0 ? std::abs(musum) / muabs : 1.0;
  pm.min_r_diag = pm.min_r_ov = std::numeric_limits<double>::infinity();
  pm.max_cv = pm.max_r_b = 0;
  double wmax = 0, wmin = std::numeric_limits<double>::infinity();
  bool pos = false, neg = false, agree = true;
  for (auto& hm : pm.heads) {
    hm.active = csum > 0 && hm.c >= 0.1 * csum;
    if (!hm.active) continue;
    ++pm.n_active;
    pm.min_r_diag = std::min(pm.min_r_diag, hm.r_diag);
    pm.min_r_ov = std::min(pm.min_r_ov, hm.r_ov);
    pm.max_cv = std::max(pm.max_cv, hm.cv);
    pm.max_r_b = std::max(pm.max_r_b, hm.r_b);
    wmax = std::max(wmax, std::abs(hm.omega));
    wmin = std::min(wmin, std::abs(hm.omega));
    if (hm.omega > 0) pos = true;
    if (hm.omega < 0) neg = true;
    if ((hm.mu > 0) != (hm.omega > 0)) agree = false;
  }
  pm.hom = pm.n_active > 0 && wmin > 0 ? wmax / wmin : std::numeric_limits<double>::infinity();
  pm.sign_split = pos && neg && agree;
  return pm;
}

}  // namespace attnlab::exp::icl_regression
