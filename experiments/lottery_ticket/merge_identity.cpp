// Claim 2, lottery_ticket.merge_identity: the pruned source MHA computed as a network equals
// its merged form (R); each merged entry equals the subset sum the solver selected for it; the
// target's projection form equals its merged form. Spec: shared/claims/lottery_ticket.md, "Claim 2".
#include "experiments/common/context.hpp"
#include "experiments/lottery_ticket/claims.hpp"
#include "experiments/lottery_ticket/ticket.hpp"

#include <fmt/format.h>

#include <cmath>

namespace attnlab::exp::lottery_ticket {

namespace {

constexpr double kTol = 1e-12;

double rel(const MatrixXd& Y, const MatrixXd& Yref) {
  return (Y - Yref).cwiseAbs().maxCoeff() / std::max(1.0, Yref.cwiseAbs().maxCoeff());
}

struct Case {
  int d, m, T, trial;
};
struct Result {
  double r1[2], r2, r3[2];        // main (per mask for r1, r3)
  double r2_dense, r1_scale[2];   // controls
  double ymax, amax;
};

}  // namespace

Claim merge_identity() {
  Claim c;
  c.id = "lottery_ticket.merge_identity";
  c.kind = Kind::identity;
  c.source = std::string(kSource) + ", Eqs (3)-(5), Sec. 3.2; block construction of the proof of Lemma 7";
  c.statement =
      "The pruned source MHA computed as a network equals its merged form (R), each merged entry equals exactly the "
      "subset sum selected for it, and the target's projection form equals its merged form.";
  c.criterion =
      "r1 (network vs merged source output), r2 (merged entry vs selected subset sum) and r3 (target projection vs "
      "merged output), each relative as max|dy| / max(1, max|y|), are all <= 1e-12 over every trial and mask.";
  c.control_name = "dense_first_factor_masks";
  c.control_description =
      "M_K and M_V all ones (no structured pruning), same M_Q, M_O: merged entries collect products from the other "
      "blocks and no longer equal the chosen subset sums (r2 of order 1). Second control 'logit_scale_dK' (source "
      "logits scaled by 1/sqrt(d_K) instead of 1/sqrt(n_K), r1 of order 0.1-1) is in the CSV and the theorem test.";
  c.params = {
      int_param("H", "heads", 2, 2, 1, 16),
      int_param("dK", "target key/value width d_K = d_V", 4, 4, 1, 64),
      int_param("trials", "trials per (d, m)", 5, 5, 1, 10000),
      real_param("token_scale",
                 "tokens drawn U[-s, s]^d (s = 1: the spec's tokens, norm <= sqrt(d) = the theorem's input radius; "
                 "s = 0: every token zero, both outputs 0)",
                 1, 1, 0, 1),
  };
  c.figures = {"merge_identity"};
  c.run = [](Context& ctx) {
    const int H = int(ctx.integer("H")), dK = int(ctx.integer("dK")), trials = int(ctx.integer("trials"));
    const double token_scale = ctx.real("token_scale");
    std::vector<int> ds = ctx.quick() ? std::vector<int>{3} : std::vector<int>{2, 3, 4, 8};
    std::vector<int> ms = ctx.quick() ? std::vector<int>{4, 8, 12} : std::vector<int>{4, 8, 12, 16, 20, 24};
    std::vector<int> Ts = ctx.quick() ? std::vector<int>{16} : std::vector<int>{16, 256};
    std::vector<Case> cases;
    for (int d : ds)
      for (int m : ms)
        for (int T : Ts)
          for (int t = 0; t < trials; ++t) cases.push_back({d, m, T, t});
    std::vector<Result> res(cases.size());
#pragma omp parallel num_threads(ctx.threads())
    {
      core::SubsetSumWorkspace ws;
#pragma omp for schedule(dynamic, 1)
      for (long k = 0; k < long(cases.size()); ++k) {
        const Case& cs = cases[k];
        const int d = cs.d, d_out = cs.d;
        core::PhiloxStream rng = ctx.rng(fmt::format("d{}/m{}/T{}", d, cs.m, cs.T), cs.trial);
        std::vector<TargetHead> tg;
        std::vector<SourceHead> sr;
        for (int j = 0; j < H; ++j) tg.push_back(draw_target_head(d, dK, dK, d_out, rng));
        for (int j = 0; j < H; ++j) sr.push_back(draw_source_head(d, cs.m, cs.m, d_out, SourceLaw::uniform, rng));
        const MatrixXd X = draw_tokens(cs.T, d, rng, token_scale);
        for (int j = 0; j < H; ++j) build_ticket(tg[j], sr[j], ws);
        Result& r = res[k];
        std::vector<MatrixXd> Ah, Bh, At, Bt;
        std::vector<NetHead> sn, tn, sn_scale;
        r.r2 = 0;
        r.r2_dense = 0;
        r.amax = 0;
        for (int j = 0; j < H; ++j) {
          Ah.push_back(sr[j].A_hat());
          Bh.push_back(sr[j].B_hat());
          At.push_back(tg[j].A);
          Bt.push_back(tg[j].B);
          sn.push_back(source_net(sr[j]));
          sn_scale.push_back(source_net(sr[j], 1.0 / std::sqrt(double(dK))));
          tn.push_back(target_net(tg[j]));
          r.r2 = std::max({r.r2, (Ah.back() - sr[j].s_star).cwiseAbs().maxCoeff(),
                           (Bh.back() - sr[j].t_star).cwiseAbs().maxCoeff()});
          r.amax = std::max(r.amax, Ah.back().cwiseAbs().maxCoeff());
          SourceHead dense = sr[j];
          dense.MK.setOnes();
          dense.MV.setOnes();
          r.r2_dense = std::max({r.r2_dense, (dense.A_hat() - sr[j].s_star).cwiseAbs().maxCoeff(),
                                 (dense.B_hat() - sr[j].t_star).cwiseAbs().maxCoeff()});
        }
        r.ymax = 0;
        for (int mk = 0; mk < 2; ++mk) {
          const MaskKind mask = mk == 0 ? MaskKind::full : MaskKind::causal;
          const MatrixXd ym = merged_forward(Ah, Bh, X, mask);
          r.r1[mk] = rel(network_forward(sn, X, mask), ym);
          r.r1_scale[mk] = rel(network_forward(sn_scale, X, mask), ym);
          const MatrixXd yt = merged_forward(At, Bt, X, mask);
          r.r3[mk] = rel(network_forward(tn, X, mask), yt);
          r.ymax = std::max(r.ymax, ym.cwiseAbs().maxCoeff());
        }
      }
    }
    auto& csv = ctx.csv("merge_identity.csv", {"trial", "d", "m", "T", "mask", "r1", "r2", "r3", "variant"});
    double r1 = 0, r2 = 0, r3 = 0, r2d = 1e300, r1s = 1e300, ymin = 1e300, amin = 1e300;
    for (size_t k = 0; k < cases.size(); ++k) {
      const Case& cs = cases[k];
      const Result& r = res[k];
      for (int mk = 0; mk < 2; ++mk) {
        const char* mn = mk == 0 ? "full" : "causal";
        csv.row({cs.trial, cs.d, cs.m, cs.T, mn, r.r1[mk], r.r2, r.r3[mk], "ticket"});
        csv.row({cs.trial, cs.d, cs.m, cs.T, mn, r.r1[mk], r.r2_dense, r.r3[mk], "dense_first_factor_masks"});
        csv.row({cs.trial, cs.d, cs.m, cs.T, mn, r.r1_scale[mk], r.r2, r.r3[mk], "logit_scale_dK"});
        r1 = std::max(r1, r.r1[mk]);
        r3 = std::max(r3, r.r3[mk]);
        r1s = std::min(r1s, r.r1_scale[mk]);
      }
      r2 = std::max(r2, r.r2);
      r2d = std::min(r2d, r.r2_dense);
      ymin = std::min(ymin, r.ymax);
      amin = std::min(amin, r.amax);
    }
    // The controls: the same three-part check with the mutated quantity. Their worst (largest)
    // case over trials is what the check sees; we report the max for the check and record the
    // min in the reason so a reader sees that every trial fails, not just one.
    double r2d_max = 0, r1s_max = 0;
    for (const auto& r : res) {
      r2d_max = std::max(r2d_max, r.r2_dense);
      r1s_max = std::max({r1s_max, r.r1_scale[0], r.r1_scale[1]});
    }
    Outcome o;
    o.guard = Check::all({Check::at_least(ymin, 1e-3, "smallest max|y_merged| over trials"),
                          Check::at_least(amin, 1e-2, "smallest max|A^| over trials (masks not empty)")},
                         "non-degenerate outputs and tickets");
    o.check = Check::all({Check::at_most(r1, kTol, "r1 network vs merged (source)"),
                          Check::at_most(r2, kTol, "r2 merged entry vs selected subset sum"),
                          Check::at_most(r3, kTol, "r3 target projection vs merged")},
                         "identity (R)");
    Check c_dense = Check::all({Check::at_most(r1, kTol, "r1 network vs merged (source)"),
                                Check::at_most(r2d_max, kTol, fmt::format("r2 with dense M_K, M_V (min over trials {:.3g})", r2d)),
                                Check::at_most(r3, kTol, "r3 target projection vs merged")},
                               "dense first-factor masks");
    Check c_scale = Check::all({Check::at_most(r1s_max, kTol, fmt::format("r1 with logit scale 1/sqrt(d_K) (min over trials {:.3g})", r1s)),
                                Check::at_most(r2, kTol, "r2 merged entry vs selected subset sum"),
                                Check::at_most(r3, kTol, "r3 target projection vs merged")},
                               "logit scale 1/sqrt(d_K)");
    o.controls = {{"dense_first_factor_masks", c_dense}, {"logit_scale_dK", c_scale}};
    return o;
  };
  return c;
}

}  // namespace attnlab::exp::lottery_ticket
