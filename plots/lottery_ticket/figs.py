"""lottery_ticket figures (spec: shared/claims/lottery_ticket.md, 'Figures to regenerate')."""
import math
import os

import numpy as np

import style

LOG2 = math.log(2.0)
GAMMA = 0.5772156649015329
C_REF = 3.0


def _rows(table):
    keys = list(table.keys())
    count = len(table[keys[0]]) if keys else 0
    return [{k: table[k][i] for k in keys} for i in range(count)]


def _read(path):
    return _rows(style.read_csv(path)) if os.path.exists(path) else []


def _figdir(expdir):
    return os.path.join(expdir, "figures")


def _mean_ci(values):
    v = np.array([x for x in values if isinstance(x, float) and math.isfinite(x)])
    if len(v) == 0:
        return float("nan"), float("nan")
    if len(v) < 2:
        return float(v.mean()), 0.0
    return float(v.mean()), float(1.96 * v.std(ddof=1) / math.sqrt(len(v)))


def _pred_P(m, sigma2, ez2):
    """(P) of the spec (Interpretation): mean log best subset-sum error."""
    return (-GAMMA - LOG2 - m * LOG2 + 0.5 * math.log(2 * math.pi * m * sigma2 / 4.0) + 0.5
            + 2.0 * ez2 / (m * sigma2))


def subset_sum_rate(expdir, csv_path, stem):
    rows = _rows(style.read_csv(csv_path))
    fig, ax = style.figure()
    laws = [("uniform", style.PALETTE[0], 1.0 / 3.0, "U[-1,1]"),
            ("product", style.PALETTE[1], 1.0 / 9.0, "U*U' (product)"),
            ("one_signed_samples", style.CONTROL["color"], None, "control: U[0,1]")]
    ms_all = sorted({r["m"] for r in rows})
    for law, color, s2, label in laws:
        ms = sorted({r["m"] for r in rows if r["law"] == law})
        mean, ci = zip(*[_mean_ci([r["log_err"] for r in rows if r["law"] == law and r["m"] == m]) for m in ms])
        ax.errorbar(ms, mean, yerr=ci, color=color, marker="o" if s2 else "x", capsize=3,
                    label=label + " (mean log err, 95% CI)")
        if s2:
            grid = np.linspace(min(ms), max(ms), 100)
            ax.plot(grid, [_pred_P(m, s2, 1.0 / 3.0) for m in grid], color=color, linestyle="--", linewidth=1,
                    label="(P) prediction, " + label)
    rc = _read(os.path.join(expdir, "data", "coverage_radius.csv"))
    for law, color, _, label in laws[:2]:
        ms = sorted({r["m"] for r in rc if r["law"] == law})
        if ms:
            mean = [_mean_ci([r["log_radius"] for r in rc if r["law"] == law and r["m"] == m])[0] for m in ms]
            ax.plot(ms, mean, color=color, linestyle="-.", marker="s", markersize=3,
                    label="coverage radius r_m, " + label)
    m0 = min(ms_all)
    u0 = _pred_P(m0, 1.0 / 3.0, 1.0 / 3.0)
    ax.plot([m0, max(ms_all)], [u0, u0 - LOG2 * (max(ms_all) - m0)], color="k", linestyle=":", linewidth=1,
            label="slope -log 2 (reference)")
    ax.set_xlabel("pool size m")
    ax.set_ylabel("mean of log err_m (natural log)")
    ax.set_title("Best subset-sum error vs pool size; criterion: slope CI in [-0.85, -0.55]")
    sec = ax.secondary_yaxis("right", functions=(lambda y: y / math.log(10), lambda y: y * math.log(10)))
    sec.set_ylabel("log10 err")
    ax.legend(loc="lower left")
    style.save(fig, _figdir(expdir), stem)


def merge_identity(expdir, csv_path, stem):
    rows = _rows(style.read_csv(csv_path))
    fig, ax = style.figure(width=7.5)
    variants = [("ticket", style.PALETTE[0], "ticket"),
                ("dense_first_factor_masks", style.PALETTE[3], "control: dense M_K, M_V (affects r2)"),
                ("logit_scale_dK", style.PALETTE[4], "control: logit scale 1/sqrt(d_K) (affects r1)")]
    qty = ["r1", "r2", "r3"]
    rng = np.random.default_rng(0)
    for vi, (v, color, label) in enumerate(variants):
        for qi, q in enumerate(qty):
            vals = [max(r[q], 1e-18) for r in rows if r["variant"] == v]
            if (v == "dense_first_factor_masks" and q != "r2") or (v == "logit_scale_dK" and q != "r1"):
                continue
            x = qi + (vi - 1) * 0.25 + rng.uniform(-0.06, 0.06, len(vals))
            ax.scatter(x, np.log10(vals), s=10, color=color, label=label if (qi == 0 or vi > 0) else None)
    ax.axhline(-12, label="tolerance 1e-12", **style.CRITERION)
    ax.set_xticks(range(3))
    ax.set_xticklabels(["r1: source network vs merged", "r2: merged entry vs subset sum", "r3: target proj. vs merged"])
    ax.set_ylabel("log10 relative discrepancy")
    ax.set_title("Merged form (R) identity (0 in exact arithmetic)")
    handles, labels = ax.get_legend_handles_labels()
    uniq = dict(zip(labels, handles))
    ax.legend(uniq.values(), uniq.keys(), loc="center right")
    style.save(fig, _figdir(expdir), stem)


def mha_error_vs_width(expdir, csv_path, stem):
    rows = _rows(style.read_csv(csv_path))
    fig, ax = style.figure(width=7.0, height=4.6)
    configs = []
    for r in rows:
        if r["config"] not in configs and r["config"] != "paper_like":
            configs.append(r["config"])
    fit_from = 8
    for ci, cfg in enumerate(configs):
        for variant, ls, mk in [("ticket", "-", "o"), ("one_signed_source", "--", "x")]:
            sub = [r for r in rows if r["config"] == cfg and r["variant"] == variant]
            if not sub:
                continue
            d = int(sub[0]["d"])
            ns = sorted({r["nK"] for r in sub})
            gm, lo, hi = [], [], []
            for n in ns:
                mu, c = _mean_ci([math.log(max(r["E"], 1e-300)) for r in sub if r["nK"] == n])
                gm.append(math.exp(mu)); lo.append(math.exp(mu - c)); hi.append(math.exp(mu + c))
            color = style.PALETTE[ci] if variant == "ticket" else style.CONTROL["color"]
            label = ("%s ticket (geometric mean, 95%% band)" % cfg) if variant == "ticket" else \
                ("%s control: one-signed source" % cfg)
            ax.plot(ns, gm, color=color, linestyle=ls, marker=mk, label=label)
            ax.fill_between(ns, lo, hi, color=color, alpha=0.2)
            if variant == "ticket":
                n0 = min(n for n in ns if n >= d * fit_from)
                g0 = gm[ns.index(n0)]
                ax.plot([n0, max(ns)], [g0, g0 * math.exp(-LOG2 / d * (max(ns) - n0))], color=color, linestyle=":",
                        linewidth=1, label="slope -log2/d reference (%s)" % cfg)
                # Theorem 3 widths at eps = 0.1, 0.01 (C_ref = 3; n_K = n_V taken as max)
                H = int(sub[0]["H"])
                alpha = math.sqrt(d)
                for eps in (0.1, 0.01):
                    tq = eps / (8 * H * alpha ** 3 * d ** 1.5)
                    tv = eps / (2 * H * alpha * d * math.sqrt(d))
                    n_req = d * max(math.ceil(C_REF * math.log(1 / tq)), math.ceil(C_REF * math.log(1 / tv)))
                    ax.axvline(n_req, color=color, linestyle="-.", linewidth=0.8, alpha=0.7)
                    ax.text(n_req, 0.98, " Thm 3, eps=%g" % eps, transform=ax.get_xaxis_transform(), fontsize=7,
                            rotation=90, va="top", color=color)
                    ax.axhline(eps, color=style.CRITERION["color"], linestyle=":", linewidth=0.6)
    paper = [r for r in rows if r["config"] == "paper_like"]
    if paper:
        ns = sorted({r["nK"] for r in paper})
        mean = [float(np.mean([r["E"] for r in paper if r["nK"] == n])) for n in ns]
        sd = [float(np.std([r["E"] for r in paper if r["nK"] == n], ddof=1)) for n in ns]
        ax.errorbar(ns, mean, yerr=[[min(s, 0.95 * m) for m, s in zip(mean, sd)], sd], color=style.PALETTE[5],
                    marker="D", markersize=3, capsize=2, linestyle="-",
                    label="paper-like (H=1, d=2, d_out=1, random target): mean +- sd")
    ngrid = sorted({r["nK"] for r in rows})
    grid = np.linspace(min(ngrid), max(ngrid), 50)
    ax.plot(grid, 0.8 * np.exp(-0.06 * grid), color="k", linestyle="--", linewidth=1,
            label="paper's trained-target fit 0.8 exp(-0.06 n) (reference only)")
    ax.set_yscale("log")
    ax.set_xlabel("source width n_K = n_V = d m")
    ax.set_ylabel("E = max_i ||Attn_S(x_i) - Attn_T(x_i)||")
    ax.set_title("Ticket error vs width; criterion: slope of log E on m in [-1.00, -0.50]")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7)
    style.save(fig, _figdir(expdir), stem)


def length_independence(expdir, csv_path, stem):
    rows = _rows(style.read_csv(csv_path))
    fig, ax = style.figure(width=7.0)
    ms = sorted({int(r["m"]) for r in rows})
    for mi, m in enumerate(ms):
        color = style.PALETTE[mi]
        for mask, mk in [("full", "o"), ("causal", "s")]:
            sub = [r for r in rows if int(r["m"]) == m and r["mask"] == mask and r["variant"] == "ticket"]
            Ts = sorted({r["T"] for r in sub})
            med = [float(np.median([r["E"] for r in sub if r["T"] == T])) for T in Ts]
            mx = [max(r["E"] for r in sub if r["T"] == T) for T in Ts]
            ax.plot(Ts, med, color=color, marker=mk, label="m=%d %s: median E" % (m, mask))
            ax.plot(Ts, mx, color=color, marker=mk, linestyle=":", label="m=%d %s: max E" % (m, mask))
        bmax = max(r["B_prop"] for r in rows if int(r["m"]) == m)
        ax.axhline(bmax, color=color, linestyle="--", label="m=%d: largest B_prop (criterion E <= B_prop)" % m)
        sub = [r for r in rows if int(r["m"]) == m and r["variant"] == "unnormalized_attention"]
        Ts = sorted({r["T"] for r in sub})
        med = [float(np.median([r["E"] for r in sub if r["T"] == T])) for T in Ts]
        ax.plot(Ts, med, color=style.CONTROL["color"], marker="x",
                label="m=%d control: unnormalized attention (median)" % m)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("sequence length T")
    ax.set_ylabel("E = max_i ||Attn_S(x_i) - Attn_T(x_i)||")
    ax.set_title("Ticket error vs length against the length-independent bound B_prop")
    ax.legend(loc="upper left", fontsize=7)
    style.save(fig, _figdir(expdir), stem)


def theorem_width_success(expdir, csv_path, stem):
    summ = _read(os.path.join(expdir, "data", "theorem_width_success_summary.csv"))
    fig, ax = style.figure(width=7.0)
    base = [r for r in summ if int(r["H"]) == 2 and int(r["d"]) == 2 and abs(r["eps"] - 0.1) < 1e-12]
    base.sort(key=lambda r: r["C"])
    Cs = [r["C"] for r in base]
    frac = [r["fraction"] for r in base]
    plo = [r["p_lo"] for r in base]
    ax.plot(Cs, frac, **dict(style.MEASURED, label="success fraction (H=2, d=2, eps=0.1)"))
    ax.vlines(Cs, plo, frac, color=style.MEASURED["color"], linewidth=2, alpha=0.5,
              label="one-sided 95% Clopper-Pearson lower bound")
    ax.plot(Cs, [r["entries_ok_fraction"] for r in base], color=style.PALETTE[1], marker="^", linestyle="--",
            label="diagnostic: every merged entry within tau (proof's event)")
    ax.axhline(0.9, label="criterion: p_lo >= 1 - eps", **style.CRITERION)
    ax.axvline(C_REF, color="k", linestyle=":", linewidth=1)
    ax.text(C_REF, 0.05, " C_ref = 3", transform=ax.get_xaxis_transform(), fontsize=8)
    ctrl = [r for r in base if r["variant"] == "narrow_source"]
    for r in ctrl:
        ax.plot([r["C"]], [r["fraction"]], color=style.CONTROL["color"], marker="x", markersize=9, linestyle="",
                label="control: narrow source (C = 0.5)")
    others = [r for r in summ if r["variant"] == "C_ref" and r not in base]
    for r in others:
        ax.plot([C_REF + 0.05], [r["fraction"]], color=style.PALETTE[2], marker=".", linestyle="")
    if others:
        ax.plot([], [], color=style.PALETTE[2], marker=".", linestyle="", label="other (H, d, eps) at C_ref")
    sec = ax.secondary_xaxis("top", functions=(lambda c: c, lambda c: c))
    sec.set_xticks(Cs)
    sec.set_xticklabels(["n_K=%d" % int(r["nK"]) for r in base], fontsize=7)
    ax.set_xlabel("width constant C (n_K = d ceil(C log(1/tau_QK)))")
    ax.set_ylabel("fraction of trials with E <= eps")
    ax.set_ylim(-0.02, 1.05)
    ax.set_title("Success at Theorem 3 widths", pad=18)
    ax.legend(loc="center right", fontsize=7)
    style.save(fig, _figdir(expdir), stem)


def transformer_error_vs_width(expdir, csv_path, stem):
    rows = _rows(style.read_csv(csv_path))
    fits = _read(os.path.join(expdir, "data", "transformer_error_vs_width_fits.csv"))
    fig, ax = style.figure(width=7.0)
    blocks = sorted({int(r["block"]) for r in rows})
    fit_from = int(fits[0]["fit_from"]) if fits else 12
    shared = [f for f in fits if f["variant"] == "ticket" and f["mask"] == "full" and int(f["block"]) == 1]
    slope1 = shared[0]["slope"] if shared else float("nan")
    for b in blocks:
        color = style.PALETTE[b - 1]
        for variant, ls, mk in [("ticket", "-", "o"), ("one_signed_fc_first_layer", "--", "x")]:
            sub = [r for r in rows if int(r["block"]) == b and r["variant"] == variant and r["mask"] == "full"]
            if not sub:
                continue
            ns = sorted({r["nMHA"] for r in sub})
            gm, lo, hi = [], [], []
            for n in ns:
                mu, c = _mean_ci([math.log(max(r["E"], 1e-300)) for r in sub if r["nMHA"] == n])
                gm.append(math.exp(mu)); lo.append(math.exp(mu - c)); hi.append(math.exp(mu + c))
            if variant == "ticket":
                ax.plot(ns, gm, color=color, marker=mk, linestyle="", label="block %d: geometric mean, 95%% band" % b)
                ax.fill_between(ns, lo, hi, color=color, alpha=0.2)
                # shared slope (depth 1) with this depth's intercept, fitted on m >= fit_from
                d = sub[0]["nMHA"] / sub[0]["m"]
                pts = [(r["m"], math.log(max(r["E"], 1e-300))) for r in sub if r["m"] >= fit_from]
                icpt = np.mean([y - slope1 * m for m, y in pts])
                mgrid = np.array([n / d for n in ns if n / d >= fit_from])
                ax.plot(mgrid * d, np.exp(icpt + slope1 * mgrid), color=color, linestyle="-", linewidth=1,
                        label="block %d: shared slope %.3f/m, own intercept" % (b, slope1))
            else:
                ax.plot(ns, gm, color=color, marker=mk, linestyle=ls, alpha=0.6,
                        label="block %d control: one-signed FC layer 1" % b)
    ax.set_yscale("log")
    ax.set_xlabel("n_MHA = d m  (n_FC = 2 d m)")
    ax.set_ylabel("E_b = max_i ||x_S^(b) - x_T^(b)||")
    ax.set_title("Transformer (no normalization): error after each block vs width")
    ax.legend(loc="lower left", fontsize=7)
    style.save(fig, _figdir(expdir), stem)
