"""The eight figures of nw_ensemble (shared/claims/nw_ensemble.md, "Figures to regenerate").
Each draws the measured series, the predicted curve or bound, the criterion, and the negative
control in grey, from the CSVs alone."""
import math
import os

import matplotlib.ticker
import numpy as np

import style

GREY = "#7f7f7f"


def _rows(table):
    keys = list(table.keys())
    count = len(table[keys[0]]) if keys else 0
    return [{k: table[k][i] for k in keys} for i in range(count)]


def _is_ctl(r):
    return r.get("control") in (1.0, 1, "1", "true")


def _figdir(expdir):
    return os.path.join(expdir, "figures")


def _floor(v, lo=1e-3):
    return max(v, lo) if isinstance(v, float) and math.isfinite(v) else np.nan


def softmax_is_nw(expdir, csv_path, stem):
    """Claim 1: error / (eps S) against Lambda for the three variants; tolerance 32 (1 + Lambda)."""
    rows = _rows(style.read_csv(csv_path))
    fig, ax = style.figure()
    colors = {"exp_dot": style.PALETTE[0], "gaussian_keynorm": style.PALETTE[1], "projected": style.PALETTE[2]}
    labels = {"exp_dot": "(i) dot product vs exp kernel", "gaussian_keynorm": "(ii) key-norm bias vs Gaussian",
              "projected": "(iii) projected, h = d_k^{1/4}/g"}
    for v, col in colors.items():
        pts = [r for r in rows if r["variant"] == v]
        ax.scatter([r["Lambda"] for r in pts], [_floor(r["max_err_over_eps_S"]) for r in pts], s=8, color=col,
                   label=labels[v], alpha=0.7)
        fl = [r for r in rows if r["variant"] == v + "_float"]
        if fl:
            ax.scatter([r["Lambda"] for r in fl], [_floor(r["max_err_over_eps_S"]) for r in fl], s=10, marker="s",
                       facecolors="none", edgecolors=col, label=labels[v] + ", float (units of eps_float)", alpha=0.5)
    ctl = [r for r in rows if _is_ctl(r)]
    ax.scatter([r["Lambda"] for r in ctl], [_floor(r["max_err_over_eps_S"]) for r in ctl], s=10, marker="x", color=GREY,
               label="control: dot product vs Gaussian")
    lam = style.finite([r["Lambda"] for r in rows])
    xs = np.linspace(0, max(lam) * 1.05 if lam else 1, 100)
    ax.plot(xs, 32 * (1 + xs), **dict(style.CRITERION, label="criterion 32 (1 + Lambda)"))
    ax.set_yscale("log")
    ax.set_xlabel("Lambda (largest |exponent| passed to exp)")
    ax.set_ylabel("max_j e_j / (eps S_j)  (floor 1e-3)")
    ax.set_title("softmax attention = Nadaraya-Watson (exact zeros drawn at the floor)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    style.save(fig, _figdir(expdir), stem)


def mha_is_nw_ensemble(expdir, csv_path, stem):
    """Claim 2: error / (eps S) against H (jittered), tolerance bars per point, control in grey."""
    rows = _rows(style.read_csv(csv_path))
    fig, ax = style.figure()
    rng = np.random.default_rng(0)
    for kind, col, lab in (("mha", style.PALETTE[0], "MHA vs NW ensemble"),
                           ("readout", style.PALETTE[1], "regression read-out vs sum a_a f_a"),
                           ("control_single_wide_head", GREY, "control: single wide head")):
        pts = [r for r in rows if r["kind"] == kind]
        if not pts:
            continue
        jit = rng.uniform(-0.15, 0.15, len(pts)) + (0.2 if kind == "readout" else 0)
        x = np.log2([r["H"] for r in pts]) + jit
        ax.scatter(x, [_floor(r["max_err_over_eps_S"]) for r in pts], s=8, color=col, label=lab,
                   marker="x" if kind.startswith("control") else "o", alpha=0.7)
        if not kind.startswith("control"):
            ax.hlines([r["tol_over_eps_S"] for r in pts], x - 0.06, x + 0.06, color=style.CRITERION["color"], lw=0.8)
    ax.plot([], [], color=style.CRITERION["color"], label="criterion 32 (1 + Lambda) per instance")
    ax.set_yscale("log")
    ax.set_xticks([0, 1, 2, 3])
    ax.set_xticklabels(["1", "2", "4", "8"])
    ax.set_xlabel("number of heads H (jittered)")
    ax.set_ylabel("max_j e_j / (eps S_j)  (floor 1e-3)")
    ax.set_title("multi-head attention = ensemble of NW heads")
    ax.legend(loc="center right")
    style.save(fig, _figdir(expdir), stem)


def bvc_identity(expdir, csv_path, stem):
    """Claim 3: stacked BVC terms per HDI (uniform alpha) with theory markers; residuals in eps S."""
    rows = _rows(style.read_csv(csv_path))
    fig, (a1, a2) = style.figure(ncols=2, width=11.0, height=4.2)
    uni = [r for r in rows if r["alpha_id"] == "uniform" and not _is_ctl(r)]
    x = np.arange(len(uni))
    b2 = np.array([r["bias2"] for r in uni])
    vt = np.array([r["var_term"] for r in uni])
    ct = np.array([r["cov_term"] for r in uni])
    a1.bar(x, b2, color=style.PALETTE[0], label="bias^2")
    a1.bar(x, vt, bottom=b2, color=style.PALETTE[1], label="v/H")
    a1.bar(x, ct, bottom=b2 + vt, color=style.PALETTE[2], label="(1 - 1/H) c")
    a1.scatter(x, [r["lhs"] for r in uni], marker="D", color="k", zorder=3, label="sample MSE")
    tb = np.array([r["theory_bias"] for r in uni])
    tv = np.array([r["theory_var"] for r in uni])
    tc = np.array([r["theory_cov"] for r in uni])
    a1.scatter(x, tb, marker="o", facecolors="none", edgecolors=style.PALETTE[0], zorder=3, label="large-n bias^2")
    a1.scatter(x, tb + tv, marker="s", facecolors="none", edgecolors=style.PALETTE[1], zorder=3, label="+ var")
    a1.scatter(x, tb + tv + tc, marker="^", facecolors="none", edgecolors=style.PALETTE[2], zorder=3, label="+ cov")
    a1.set_xticks(x)
    a1.set_xticklabels(["%g" % r["hdi"] for r in uni])
    a1.set_xlabel("HDI")
    a1.set_ylim(0.97 * min(b2.min(), tb.min()), 1.02 * max((b2 + vt + ct).max(), (tb + tv + tc).max()))
    a1.set_ylabel("MSE terms (uniform alpha; y axis cut below)")
    a1.set_title("bias-variance-covariance split")
    a1.legend(fontsize=7)
    for ctl, col, mk, lab in ((False, style.PALETTE[0], "o", "|LHS - RHS|"), (True, GREY, "x", "control: no covariance term")):
        pts = [r for r in rows if _is_ctl(r) == ctl]
        xx = [r["hdi"] + (0.02 if r["alpha_id"] == "skewed" else -0.02) for r in pts]
        a2.scatter(xx, [_floor(r["resid_over_epsS"], 1e-2) for r in pts], color=col, marker=mk, label=lab)
    style.criterion_line(a2, 256, "criterion 256")
    a2.set_yscale("log")
    a2.set_xlabel("HDI (left: uniform alpha, right: skewed)")
    a2.set_ylabel("|LHS - RHS| / (eps S)  (floor 1e-2)")
    a2.set_title("identity residual")
    a2.legend(fontsize=7)
    style.save(fig, _figdir(expdir), stem)


def angle_decorrelation(expdir, csv_path, stem):
    """Claim 4: VR against HDI, predicted VR_inf, naive line, 1/H, control crosses; one panel per config."""
    rows = _rows(style.read_csv(csv_path))
    cfgs = []
    for r in rows:
        k = (r["H"], r["dk"], r["h"])
        if k not in cfgs:
            cfgs.append(k)
    ncols = min(len(cfgs), 3)
    nrows = int(math.ceil(len(cfgs) / ncols))
    fig, axes = style.figure(ncols=ncols, nrows=nrows, width=max(6.4, 5.0 * ncols), height=4.6 * nrows, squeeze=False)
    flat = list(axes.ravel())
    for ax in flat[len(cfgs):]:
        ax.set_visible(False)
    fig.subplots_adjust(hspace=0.6, wspace=0.3)
    if len(cfgs) > 1:
        fig.suptitle("variance reduction vs head diversity; criterion |VR - VR_inf| <= 0.01 + 3 SE at every point")
    for ax, (H, dk, h) in zip(flat, cfgs):
        pts = [r for r in rows if (r["H"], r["dk"], r["h"]) == (H, dk, h)]
        main = [r for r in pts if not _is_ctl(r)]
        ctl = [r for r in pts if _is_ctl(r)]
        ax.errorbar([r["hdi"] for r in main], [r["vr_meas"] for r in main], yerr=[2 * r["vr_se"] for r in main],
                    fmt="o", color=style.PALETTE[0], label="measured +- 2 SE")
        t = np.linspace(0, 1, 101)
        u = 1 / h ** 2
        rho = ((1 + 2 * u) / ((1 + u) ** 2 - (1 - t) * u ** 2)) ** (dk / 2)
        ax.plot(t, 1 / H + (1 - 1 / H) * rho, **dict(style.PREDICTED, label="VR_inf (principal angles)"))
        ax.plot(t, 1 / H + (1 - 1 / H) * (1 - t), color="k", linestyle=":", label="naive: rho = mean cos^2")
        ax.axhline(1 / H, color="k", linestyle="--", lw=0.8, label="1/H")
        ax.scatter([r["hdi"] for r in ctl], [r["vr_meas"] for r in ctl], marker="x", color=GREY,
                   label="control: equicorrelated inputs")
        ax.set_xlabel("HDI")
        ax.set_ylabel("variance-reduction factor VR")
        ax.set_title(("H=%d, d_k=%d, h=%g" % (H, dk, h)) +
                     ("" if len(cfgs) > 1 else " (criterion |VR - VR_inf| <= 0.01 + 3 SE)"), fontsize=9)
        top = ax.secondary_xaxis("top", functions=(lambda x: np.degrees(np.arccos(np.sqrt(np.clip(1 - x, 0, 1)))),
                                                   lambda d: 1 - np.cos(np.radians(d)) ** 2))
        top.set_xticks([0, 30, 45, 60, 75, 90])
        top.set_xlabel("principal angle theta (deg)")
        if ax is flat[0]:
            ax.legend(fontsize=7)
    style.save(fig, _figdir(expdir), stem)


def mse_vs_hdi(expdir, csv_path, stem):
    """Claim 5: MSE against HDI, measured +- 2 SE, MSE_inf, control flat; random configs (full) on the right."""
    rows = _rows(style.read_csv(csv_path))
    rnd_path = os.path.join(expdir, "data", "mse_vs_hdi_random.csv")
    has_rnd = os.path.exists(rnd_path)
    fig, axes = style.figure(ncols=2 if has_rnd else 1, width=11.0 if has_rnd else 6.4, height=4.2, squeeze=False)
    fig.subplots_adjust(wspace=0.5)
    ax = axes[0][0]
    main = [r for r in rows if not _is_ctl(r)]
    ctl = [r for r in rows if _is_ctl(r)]
    ax.errorbar([r["hdi"] for r in main], [r["mse_meas"] for r in main], yerr=[2 * r["mse_se"] for r in main], fmt="o",
                color=style.PALETTE[0], label="measured +- 2 SE (common designs)")
    ax.plot([r["hdi"] for r in main], [r["mse_pred"] for r in main], **dict(style.PREDICTED, label="MSE_inf (large n)"))
    ax.set_xlabel("HDI")
    ax.set_ylabel("ensemble MSE")
    ax.set_title("MSE decreases in HDI (criterion: Delta z <= -3, no step z > 3)", fontsize=9)
    ax2 = ax.twinx()
    ax2.plot([r["hdi"] for r in ctl], [r["mse_meas"] for r in ctl], color=GREY, marker="x",
             label="control: uniform attention (right axis)")
    ax2.set_ylabel("control MSE", color=GREY)
    ax2.grid(False)
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=7)
    if has_rnd:
        rr = _rows(style.read_csv(rnd_path))
        tau_path = os.path.join(expdir, "data", "mse_vs_hdi_random_tau.csv")
        tau = _rows(style.read_csv(tau_path))[0] if os.path.exists(tau_path) else {"tau_pred": float("nan"),
                                                                                    "tau_meas": float("nan")}
        b = axes[0][1]
        b.scatter([r["hdi"] for r in rr], [r["mse_pred"] for r in rr], s=10, color=style.PALETTE[3],
                  label="MSE_inf (tau %.3f)" % tau["tau_pred"])
        b.scatter([r["hdi"] for r in rr], [r["mse_meas"] for r in rr], s=18, facecolors="none",
                  edgecolors=style.PALETTE[0], label="measured (tau %.3f)" % tau["tau_meas"])
        b.set_xlabel("HDI")
        b.set_ylabel("ensemble MSE")
        b.set_title("random configurations (diagnostic)")
        b.legend(fontsize=7)
    style.save(fig, _figdir(expdir), stem)


def optimal_allocation(expdir, csv_path, stem):
    """Claim 6: composed MSE against d_k (H on top), theory curve, vertices, aligned control in grey."""
    rows = _rows(style.read_csv(csv_path))
    vpath = os.path.join(expdir, "data", "optimal_allocation_vertex.csv")
    verts = _rows(style.read_csv(vpath)) if os.path.exists(vpath) else []
    ns = []
    for r in rows:
        if r["n"] not in ns:
            ns.append(r["n"])
    ncols = min(len(ns), 2)
    nrows = int(math.ceil(len(ns) / ncols))
    fig, axes = style.figure(ncols=ncols, nrows=nrows, width=6.4 if ncols == 1 else 12.0, height=4.4 * nrows,
                             squeeze=False)
    fig.subplots_adjust(hspace=0.6, wspace=0.25)
    flat = list(axes.ravel())
    for ax in flat[len(ns):]:
        ax.set_visible(False)
    for ax, n in zip(flat, ns):
        main = [r for r in rows if r["n"] == n and not _is_ctl(r)]
        ctl = [r for r in rows if r["n"] == n and _is_ctl(r)]
        ax.errorbar([r["dk"] for r in main], [r["mse_meas"] for r in main], yerr=[2 * r["mse_se"] for r in main],
                    fmt="o", color=style.PALETTE[0], label="measured +- 2 SE (orthogonal blocks)")
        ax.plot([r["dk"] for r in main], [r["mse_pred"] for r in main], **dict(style.PREDICTED, label="large-n theory"))
        ax.plot([r["dk"] for r in ctl], [r["mse_meas"] for r in ctl], color=GREY, marker="x",
                label="control: aligned heads")
        dpath = os.path.join(expdir, "data", "optimal_allocation_direct.csv")
        if os.path.exists(dpath):
            dd = [r for r in _rows(style.read_csv(dpath)) if r["n"] == n]
            ax.errorbar([r["dk"] for r in dd], [r["mse_direct"] for r in dd], yerr=[2 * r["mse_direct_se"] for r in dd],
                        fmt="s", mfc="none", color="k", label="direct MHA, H = D/d_k real heads")
        lo = min(min(r["mse_meas"] for r in main), min(r["mse_pred"] for r in main))
        ax.set_ylim(lo * 0.97, lo * 1.5)
        v = [x for x in verts if x["n"] == n]
        if v:
            ax.axvline(v[0]["vertex_meas"], color=style.PALETTE[0], lw=0.8, label="measured vertex %.2f" % v[0]["vertex_meas"])
            ax.axvline(v[0]["vertex_pred"], color=style.PALETTE[3], lw=0.8, linestyle="--",
                       label="predicted vertex %.2f (+-0.75 band)" % v[0]["vertex_pred"])
            ax.axvspan(v[0]["vertex_pred"] - 0.75, v[0]["vertex_pred"] + 0.75, color=style.CRITERION["color"], alpha=0.1)
        D = main[0]["H"] * main[0]["dk"]
        top = ax.secondary_xaxis("top", functions=(lambda x, D=D: D / np.maximum(x, 1e-9),
                                                   lambda H, D=D: D / np.maximum(H, 1e-9)))
        top.set_xticks([D / k for k in (1, 2, 4, 8, 12)])
        top.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%.3g"))
        top.set_xlabel("H = D / d_k")
        ax.set_xlabel("head dimension d_k")
        ax.set_ylabel("composed MSE (y clipped at 1.5x min)")
        ax.set_title("n = %d, D = %d" % (n, D), fontsize=9)
        ax.legend(fontsize=7, loc="lower right")
    style.save(fig, _figdir(expdir), stem)


def _sweep(ax, x, y, sd, color, label):
    ax.errorbar(x, y, yerr=2 * np.asarray(sd), fmt="o", color=color, label=label)


def dk_log_n(expdir, csv_path, stem):
    """Claim 7: d_k* against n (log), continuous theory, slope-1/ln kappa reference, fit with CI band, control."""
    rows = _rows(style.read_csv(csv_path))
    fig, ax = style.figure()
    n = np.array([r["n"] for r in rows])
    v = np.array([r["vertex"] for r in rows])
    _sweep(ax, n, v, [r["vertex_sd"] for r in rows], style.PALETTE[0], "measured vertex +- 2 bootstrap SD")
    ax.plot(n, [r["theory_cont"] for r in rows], **dict(style.PREDICTED, label="theory continuous d_k*(n)"))
    s_inf = rows[0]["slope_asymptotic"]
    mid = len(n) // 2
    ln = np.log(n)
    ax.plot(n, v[mid] + s_inf * (ln - ln[mid]), color="k", linestyle=":", label="slope 1/ln kappa = %.3f" % s_inf)
    s, lo, hi = rows[0]["slope"], rows[0]["slope_lo"], rows[0]["slope_hi"]
    if all(isinstance(t, float) and math.isfinite(t) for t in (s, lo, hi)):
        c = np.mean(v) - s * np.mean(ln)
        ax.plot(n, c + s * ln, color=style.PALETTE[2], label="fit slope %.3f [%.3f, %.3f]" % (s, lo, hi))
        ax.fill_between(n, np.mean(v) + lo * (ln - np.mean(ln)), np.mean(v) + hi * (ln - np.mean(ln)),
                        color=style.PALETTE[2], alpha=0.15)
    ax.scatter(n, [r["control_vertex"] for r in rows], marker="^", color=GREY, label="control unit gain (censored at grid edge)")
    ax.set_xscale("log")
    ax.set_xlabel("training-set size n")
    ax.set_ylabel("optimal head dimension d_k*")
    ax.set_title("criterion: slope CI inside [0.5, 1.5] / ln kappa = [%.3f, %.3f]" % (0.5 * s_inf, 1.5 * s_inf), fontsize=9)
    ax.legend(fontsize=7)
    style.save(fig, _figdir(expdir), stem)


def heads_linear_in_budget(expdir, csv_path, stem):
    """Claim 8: H* against D (log-log), theory D/d_k*(D), slope-1 line, control; second panel d_k*(D)."""
    rows = _rows(style.read_csv(csv_path))
    fig, (a1, a2) = style.figure(ncols=2, width=11.0, height=4.2)
    D = np.array([r["D"] for r in rows])
    H = np.array([r["H_star"] for r in rows])
    v = np.array([r["vertex"] for r in rows])
    sd = np.array([r["vertex_sd"] for r in rows])
    a1.errorbar(D, H, yerr=[H - D / (v + 2 * sd), D / np.maximum(v - 2 * sd, 1e-9) - H], fmt="o",
                color=style.PALETTE[0], label="measured H* (+- 2 SD of d_k*)")
    a1.plot(D, [r["theory_H"] for r in rows], **dict(style.PREDICTED, label="theory D / d_k*(D)"))
    a1.plot(D, H[0] * D / D[0], color="k", linestyle=":", label="slope 1")
    a1.scatter(D, D / np.array([r["control_vertex"] for r in rows]), marker="x", color=GREY,
               label="control unit gain (H* = 2, censored)")
    a1.set_xscale("log")
    a1.set_yscale("log")
    for axis in (a1.xaxis, a1.yaxis, a2.xaxis):
        axis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
        axis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    a1.set_xticks(D)
    a2.set_xticks(D)
    a1.set_yticks([t for t in (2, 4, 8, 16, 32, 64, 128) if t <= 2 * max(H.max(), 2)])
    a1.set_xlabel("width budget D")
    a1.set_ylabel("optimal number of heads H*")
    a1.set_title("slope %.3f, CI [%.3f, %.3f]; criterion [0.85, 1.15]" % (rows[0]["slope"], rows[0]["slope_lo"],
                                                                           rows[0]["slope_hi"]), fontsize=9)
    a1.legend(fontsize=7)
    a2.errorbar(D, v, yerr=2 * sd, fmt="o", color=style.PALETTE[0], label="measured d_k*")
    a2.plot(D, [r["theory_dk"] for r in rows], **dict(style.PREDICTED, label="theory d_k*(D)"))
    a2.set_xscale("log")
    a2.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    a2.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    a2.set_xticks(D)
    a2.set_ylim(0, max(8, max(v) * 1.5))
    a2.set_xlabel("width budget D")
    a2.set_ylabel("optimal head dimension d_k*")
    a2.set_title("d_k* is nearly flat in D", fontsize=9)
    a2.legend(fontsize=7)
    style.save(fig, _figdir(expdir), stem)
