// Shared draws and simulators of the rank_collapse claims (see settings.hpp).
#include "experiments/rank_collapse/settings.hpp"

#include "core/multiprecision.hpp"
#include "theory/rank_collapse.hpp"

#include <cmath>
#include <stdexcept>

namespace attnlab::exp::rank_collapse {

core::PhiloxStream shared_rng(const Context& ctx, const std::string& family, std::uint64_t index) {
  const std::string key = "rank_collapse/" + family;
  return core::PhiloxStream(ctx.seed(), core::stream_id(core::hash64(key.c_str()), index));
}

namespace {

template <class S> core::Mat<S> to(const core::MatrixXd& A) { return A.cast<S>(); }
template <class S> core::Vec<S> tov(const core::VectorXd& v) { return v.cast<S>(); }

template <class S> double lg(const S& x) {
  using std::log10;
  if (!(x > S(0))) return -std::numeric_limits<double>::infinity();
  return static_cast<double>(log10(x));
}

template <class S, unsigned D>
SanTrial san_trial(const Context& ctx, const std::string& family, std::uint64_t trial, const SanSpec& sp) {
  using std::sqrt;
  auto rng = shared_rng(ctx, family, trial);
  const int n = sp.n, d = sp.d;
  const double ws = 1.0 / std::sqrt(double(d));
  // Input first, then the weights layer by layer (fixed order).
  const core::VectorXd mu = rng.normal_vector(d);
  const core::MatrixXd Z = rng.normal_matrix(n, d);
  core::Mat<S> X(n, d);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < d; ++j) X(i, j) = S(mu(j)) + S(sp.input_eps) * S(Z(i, j));
  std::vector<core::Block<S>> blocks(sp.L);
  for (int l = 0; l < sp.L; ++l) {
    core::Block<S>& b = blocks[l];
    for (int h = 0; h < sp.H; ++h) {
      core::AttnHead<S> hd;
      hd.WQ = to<S>(rng.normal_matrix(d, d, ws));
      hd.WK = to<S>(rng.normal_matrix(d, d, ws));
      hd.WV = to<S>(rng.normal_matrix(d, d, ws));  // merged W_h (d_v = d)
      if (sp.biases) {
        hd.bQ = tov<S>(rng.normal_vector(d, ws));
        hd.bK = tov<S>(rng.normal_vector(d, ws));
      }
      b.attn.heads.push_back(std::move(hd));
    }
    if (sp.biases) b.attn.b = tov<S>(rng.normal_vector(d, ws));
    if (sp.mlp) {
      b.mlp = true;
      b.f.W1 = to<S>(rng.normal_matrix(d, 2 * d, ws));
      b.f.W2 = to<S>(rng.normal_matrix(2 * d, d, 1.0 / std::sqrt(2.0 * d)));
      b.f.b1 = tov<S>(rng.normal_vector(2 * d));
      b.f.b2 = tov<S>(rng.normal_vector(d));
    }
    b.skip = sp.mode == SanMode::skip;
  }
  // Run.
  std::vector<core::Mat<S>> xs{X};
  std::vector<core::Mat<S>> P1;
  for (int l = 0; l < sp.L; ++l) {
    if (sp.mode == SanMode::frozen) {
      if (l == 0) xs.push_back(blocks[0].forward(xs.back(), &P1));
      else xs.push_back(blocks[l].forward(xs.back(), nullptr, &P1));
    } else {
      xs.push_back(blocks[l].forward(xs.back()));
    }
  }
  // Measure and bound.
  const S floor_rho = S(std::pow(10.0, -double(int(D) - 20)));
  SanTrial out;
  std::vector<S> cs;
  S m0 = core::residual_measure<S>(xs[0]), cmax = S(0);
  S chained = m0, prev = m0;
  for (int l = 0; l <= sp.L; ++l) {
    SanLayer r;
    r.layer = l;
    const S m = core::residual_measure<S>(xs[l]);
    const S rho = m / core::norm_1inf<S>(xs[l]);
    r.log10_m = lg(m);
    r.log10_rho = lg(rho);
    r.censored = rho < floor_rho;
    if (l >= 1) {
      const auto k = theory::dong2021::layer_constants<S>(blocks[l - 1].attn, xs[l - 1],
                                                          sp.mlp ? &blocks[l - 1].f : nullptr);
      cs.push_back(k.c);
      if (k.c > cmax) cmax = k.c;
      const S lb = theory::dong2021::layer_bound<S>(k.c, prev);
      const S lb1 = theory::dong2021::layer_bound<S>(k.c_gamma1, prev);
      chained = theory::dong2021::layer_bound<S>(k.c, chained);
      r.log10_c = lg(k.c);
      r.log10_c_g1 = lg(k.c_gamma1);
      r.M = static_cast<double>(k.M);
      r.log10_layer_bound = lg(lb);
      r.log10_layer_bound_g1 = lg(lb1);
      r.log10_chained = lg(chained);
      r.holds_layer = m <= lb;
      r.holds_layer_g1 = m <= lb1;
      r.holds_chained = m <= chained;
    } else {
      r.log10_layer_bound = r.log10_layer_bound_g1 = r.log10_chained = r.log10_m;
    }
    prev = m;
    out.layers.push_back(r);
  }
  for (int l = 1; l <= sp.L; ++l)
    out.layers[l].log10_paper = lg(theory::dong2021::paper_form_bound<S>(cmax, m0, l));
  out.layers[0].log10_paper = out.layers[0].log10_m;
  out.log10_sqrt_c_m0 = lg(sqrt(cmax) * m0);
  return out;
}

}  // namespace

SanTrial run_san_trial(const Context& ctx, const std::string& family, std::uint64_t trial, const SanSpec& spec) {
  switch (spec.digits) {
    case 100: return san_trial<core::mpfloat<100>, 100>(ctx, family, trial, spec);
    case 150: return san_trial<core::mpfloat<150>, 150>(ctx, family, trial, spec);
    case 250: return san_trial<core::mpfloat<250>, 250>(ctx, family, trial, spec);
    default: throw std::invalid_argument("run_san_trial: digits must be 100, 150 or 250");
  }
}

SanTrial san_trial_unit(Context& ctx, const std::string& family, std::uint64_t trial, const SanSpec& spec) {
  constexpr std::size_t kPerLayer = 14;
  const char* mode = spec.mode == SanMode::san ? "san" : (spec.mode == SanMode::skip ? "skip" : "frozen");
  const std::size_t size = 1 + kPerLayer * std::size_t(spec.L + 1);
  const std::vector<double> v = ctx.unit(family + "/" + mode, trial, size, [&] {
    const SanTrial t = run_san_trial(ctx, family, trial, spec);
    std::vector<double> p = {t.log10_sqrt_c_m0};
    for (const SanLayer& r : t.layers)
      for (double x : {double(r.layer), r.log10_m, r.log10_rho, r.log10_c, r.log10_c_g1, r.M, r.log10_layer_bound,
                       r.log10_layer_bound_g1, r.log10_chained, r.log10_paper, double(r.holds_layer),
                       double(r.holds_layer_g1), double(r.holds_chained), double(r.censored)})
        p.push_back(x);
    return p;
  });
  SanTrial t;
  t.log10_sqrt_c_m0 = v[0];
  for (int l = 0; l <= spec.L; ++l) {
    const double* q = v.data() + 1 + kPerLayer * std::size_t(l);
    SanLayer r;
    r.layer = int(q[0]);
    r.log10_m = q[1];
    r.log10_rho = q[2];
    r.log10_c = q[3];
    r.log10_c_g1 = q[4];
    r.M = q[5];
    r.log10_layer_bound = q[6];
    r.log10_layer_bound_g1 = q[7];
    r.log10_chained = q[8];
    r.log10_paper = q[9];
    r.holds_layer = q[10] != 0;
    r.holds_layer_g1 = q[11] != 0;
    r.holds_chained = q[12] != 0;
    r.censored = q[13] != 0;
    t.layers.push_back(r);
  }
  return t;
}

std::vector<core::MatrixXd> run_bert_stack(const Context& ctx, const std::string& family, std::uint64_t trial,
                                           const BertSpec& sp) {
  auto rng = shared_rng(ctx, family, trial);
  const int n = sp.n, d = sp.d;
  core::MatrixXd X;
  if (sp.input_rank > 0) {
    const core::MatrixXd Z1 = rng.normal_matrix(n, sp.input_rank);
    const core::MatrixXd Z2 = rng.normal_matrix(sp.input_rank, d);
    X = Z1 * Z2 / std::sqrt(double(sp.input_rank));
  } else {
    X = rng.normal_matrix(n, d);
  }
  if (sp.input_mean != 0) X.array() += sp.input_mean;
  std::vector<core::Block<double>> blocks(sp.L);
  for (int l = 0; l < sp.L; ++l) {
    core::Block<double>& b = blocks[l];
    for (int h = 0; h < sp.H; ++h) {
      core::AttnHead<double> hd;
      hd.WQ = rng.normal_matrix(d, sp.dk, sp.std);
      hd.WK = rng.normal_matrix(d, sp.dk, sp.std);
      hd.WV = rng.normal_matrix(d, sp.dk, sp.std);
      hd.WO = rng.normal_matrix(sp.dk, d, sp.std);
      b.attn.heads.push_back(std::move(hd));
    }
    // MLP weights are always drawn (so that variants with and without MLP share the attention draws).
    b.f.W1 = rng.normal_matrix(d, 4 * d, sp.std);
    b.f.W2 = rng.normal_matrix(4 * d, d, sp.std);
    b.mlp = sp.mlp;
    b.skip = sp.skip;
    b.ln = sp.ln;
    b.ln1.eps = b.ln2.eps = sp.ln_eps;
  }
  if (sp.ln_input) {
    core::LayerNorm<double> ln;
    ln.eps = sp.ln_eps;
    X = ln.apply(X);
  }
  return core::stack_forward<double>(blocks, X);
}

}  // namespace attnlab::exp::rank_collapse

namespace attnlab::exp::rank_collapse {
int san_digits(int depth) { return depth <= 3 ? 100 : 250; }
std::vector<SanCell> san_grid(bool full, int depth) {
  std::vector<SanCell> out;
  const std::vector<int> ns = full ? std::vector<int>{4, 8, 16, 32} : std::vector<int>{8};
  const std::vector<int> ds = full ? std::vector<int>{8, 32} : std::vector<int>{8};
  const std::vector<int> Hs = full ? std::vector<int>{1, 2, 4} : std::vector<int>{1, 2};
  int cell = 0;
  for (int n : ns)
    for (int d : ds)
      for (int H : Hs) {
        SanCell c;
        c.spec.n = n;
        c.spec.d = d;
        c.spec.H = H;
        c.spec.L = depth;
        c.spec.biases = full && (cell % 2 == 1);
        c.spec.digits = san_digits(depth);
        c.family = "san/n" + std::to_string(n) + "d" + std::to_string(d) + "H" + std::to_string(H) + "b" +
                   std::to_string(int(c.spec.biases)) + "L" + std::to_string(depth);
        out.push_back(c);
        ++cell;
      }
  return out;
}
}  // namespace attnlab::exp::rank_collapse
