// Claim 4, lottery_ticket.length_independent_bound: for every trial, sequence length and mask
// pattern, the ticket's output error never exceeds the length-independent propagation bound
// B_prop computed from the realized merged-weight errors. Spec: shared/claims/lottery_ticket.md.
#include "experiments/common/context.hpp"
#include "experiments/lottery_ticket/claims.hpp"
#include "experiments/lottery_ticket/ticket.hpp"
#include "theory/lottery_ticket.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <tuple>

namespace attnlab::exp::lottery_ticket {

namespace {
struct Job {
  int mi, trial, Ti, mask, seq;
};
}  // namespace

Claim length_independent_bound() {
  Claim c;
  c.id = "lottery_ticket.length_independent_bound";
  c.kind = Kind::bound;
  c.source = std::string(kSource) + ", Lemma 5 (= Lemma 8) and Steps 2-3 of the proof of Theorem 9; Fig. 5";
  c.statement =
      "For every trial, sequence length and attention-mask pattern, the ticket's output error never exceeds the "
      "length-independent propagation bound B_prop computed from the realized merged-weight errors.";
  c.criterion =
      "max over trials, T, masks (full, causal) and sequences of E / B_prop <= 1, with B_prop = sum_j [sqrt(d) alpha "
      "(exp(2 alpha^2 d tau_QK_j) - 1) + alpha d sqrt(d_out) tau_VO_j], alpha = max(sqrt d, sqrt d_out).";
  c.control_name = "unnormalized_attention";
  c.control_description =
      "sigma replaced by the raw weights a_k exp(z_k) (no denominator) in target and source, same ticket: errors add "
      "up over positions and grow roughly like T, exceeding B_prop at T = 1024.";
  c.params = {
      int_param("H", "heads", 2, 2, 1, 16),
      int_param("d", "token dimension (d_out = d)", 2, 2, 1, 16),
      int_param("dK", "target d_K = d_V", 4, 4, 1, 64),
      int_param("trials", "tickets per m", 20, 100, 1, 100000),
      int_param("sequences", "sequences per (trial, T, mask)", 1, 4, 1, 1000),
      int_param("T_max_log2", "largest T = 2^k", 10, 13, 2, 16),
      real_param("token_scale",
                 "tokens drawn U[-s, s]^d (s = 1: the spec's tokens, norm <= sqrt(d) = the theorem's input radius; "
                 "s = 0: every token zero, both outputs 0)",
                 1, 1, 0, 1),
  };
  c.figures = {"length_independence"};
  c.units = true;  // each (ticket, T, mask, sequence) evaluation is a unit of work; the tickets are rebuilt per shard
  c.run = [](Context& ctx) {
    const int H = int(ctx.integer("H")), d = int(ctx.integer("d")), dK = int(ctx.integer("dK"));
    const int trials = int(ctx.integer("trials")), seqs = int(ctx.integer("sequences"));
    const int kmax = int(ctx.integer("T_max_log2"));
    const double token_scale = ctx.real("token_scale");
    const int d_out = d;
    const double alpha = theory::lottery_ticket::input_radius(d, d_out);
    const std::vector<int> ms = ctx.quick() ? std::vector<int>{12} : std::vector<int>{10, 20};
    std::vector<int> Ts;
    if (ctx.quick()) {
      for (int k = 2; k <= kmax; k += 2) Ts.push_back(1 << k);
    } else {
      for (int k = 3; k <= kmax; ++k) Ts.push_back(1 << k);
    }
    // Tickets: one per (m, trial), from stream (m, trial); sequences from their own streams.
    struct Ticket {
      std::vector<MatrixXd> Ah, Bh, At, Bt;
      double Bprop = 0;
    };
    std::vector<Ticket> tk(ms.size() * trials);
#pragma omp parallel num_threads(ctx.threads())
    {
      core::SubsetSumWorkspace ws;
#pragma omp for schedule(dynamic, 1)
      for (long k = 0; k < long(tk.size()); ++k) {
        const int mi = int(k / trials), t = int(k % trials), m = ms[mi];
        core::PhiloxStream rng = ctx.rng(fmt::format("ticket/m{}", m), t);
        std::vector<TargetHead> tg;
        std::vector<SourceHead> sr;
        for (int j = 0; j < H; ++j) tg.push_back(draw_target_head(d, dK, dK, d_out, rng));
        for (int j = 0; j < H; ++j) sr.push_back(draw_source_head(d, m, m, d_out, SourceLaw::uniform, rng));
        std::vector<double> tq, tv;
        for (int j = 0; j < H; ++j) {
          build_ticket(tg[j], sr[j], ws);
          const HeadErrors e = head_errors(tg[j], sr[j]);
          tq.push_back(e.tauQK);
          tv.push_back(e.tauVO);
          tk[k].Ah.push_back(sr[j].A_hat());
          tk[k].Bh.push_back(sr[j].B_hat());
          tk[k].At.push_back(tg[j].A);
          tk[k].Bt.push_back(tg[j].B);
        }
        tk[k].Bprop = theory::lottery_ticket::propagation_bound(tq, tv, d, d_out, alpha);
      }
    }
    std::vector<Job> jobs;
    // largest T first: better load balance
    for (int Ti = int(Ts.size()) - 1; Ti >= 0; --Ti)
      for (int mi = 0; mi < int(ms.size()); ++mi)
        for (int t = 0; t < trials; ++t)
          for (int mk = 0; mk < 2; ++mk)
            for (int q = 0; q < seqs; ++q) jobs.push_back({mi, t, Ti, mk, q});
    std::vector<double> E(jobs.size()), Ec(jobs.size());
#pragma omp parallel for schedule(dynamic, 1) num_threads(ctx.threads())
    for (long k = 0; k < long(jobs.size()); ++k) {
      const Job& jb = jobs[k];
      const int T = Ts[jb.Ti];
      // One unit of work per (m, T, mask, seq, trial) (a sharded run spreads them), keyed like its stream:
      // sequences: one fresh sequence per (trial, T, mask, seq), from its own stream
      const std::string family = fmt::format("tokens/m{}/T{}/{}/{}", ms[jb.mi], T, jb.mask, jb.seq);
      const std::vector<double> v = ctx.unit(family, std::uint64_t(jb.trial), 2, [&] {
        core::PhiloxStream rng = ctx.rng(family, jb.trial);
        const MatrixXd X = draw_tokens(T, d, rng, token_scale);
        const Ticket& tt = tk[size_t(jb.mi) * trials + jb.trial];
        const MaskKind mask = jb.mask == 0 ? MaskKind::full : MaskKind::causal;
        return std::vector<double>{
            max_row_distance(merged_forward(tt.Ah, tt.Bh, X, mask), merged_forward(tt.At, tt.Bt, X, mask)),
            max_row_distance(merged_forward(tt.Ah, tt.Bh, X, mask, false),
                             merged_forward(tt.At, tt.Bt, X, mask, false))};
      });
      E[k] = v[0];
      Ec[k] = v[1];
    }
    auto& csv = ctx.csv("length_independence.csv", {"m", "trial", "T", "mask", "seq", "E", "B_prop", "ratio", "variant"});
    // Rows in a fixed order (m, trial, T, mask, seq, variant), independent of the job order.
    std::vector<size_t> order(jobs.size());
    for (size_t k = 0; k < jobs.size(); ++k) order[k] = k;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      const Job &x = jobs[a], &y = jobs[b];
      return std::tie(x.mi, x.trial, x.Ti, x.mask, x.seq) < std::tie(y.mi, y.trial, y.Ti, y.mask, y.seq);
    });
    double rmax = 0, rcmax = 0, Emin = 1e300, rc_at_Tmax_min = 1e300;
    std::string worst, worst_c;
    for (size_t k : order) {
      const Job& jb = jobs[k];
      const Ticket& tt = tk[size_t(jb.mi) * trials + jb.trial];
      const int T = Ts[jb.Ti];
      const char* mn = jb.mask == 0 ? "full" : "causal";
      const double r = E[k] / tt.Bprop, rc = Ec[k] / tt.Bprop;
      csv.row({ms[jb.mi], jb.trial, T, mn, jb.seq, E[k], tt.Bprop, r, "ticket"});
      csv.row({ms[jb.mi], jb.trial, T, mn, jb.seq, Ec[k], tt.Bprop, rc, "unnormalized_attention"});
      if (!(r <= rmax)) {
        rmax = r;
        worst = fmt::format("m {} trial {} T {} {}", ms[jb.mi], jb.trial, T, mn);
      }
      if (!(rc <= rcmax)) {
        rcmax = rc;
        worst_c = fmt::format("m {} trial {} T {} {}", ms[jb.mi], jb.trial, T, mn);
      }
      Emin = std::min(Emin, E[k]);
      if (jb.Ti == int(Ts.size()) - 1) rc_at_Tmax_min = std::min(rc_at_Tmax_min, rc);
    }
    Outcome o;
    o.guard = Check::at_least(Emin, 1e-14, "smallest E (above rounding, so the ratio is meaningful)");
    o.check = Check::at_most(rmax, 1.0, "max E / B_prop (at " + worst + ")");
    o.controls = {{"unnormalized_attention",
                   Check::at_most(rcmax, 1.0,
                                  fmt::format("max E / B_prop, raw exp weights (at {}; min over trials at T = {}: {:.3g})",
                                              worst_c, Ts.back(), rc_at_Tmax_min))}};
    return o;
  };
  return c;
}

}  // namespace attnlab::exp::lottery_ticket
