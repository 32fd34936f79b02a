"""tensor_attention figures: factored identity, Taylor error vs degree, degree budget, threshold
map (theory only), cost scaling, Match3 accuracy, TPA cache."""
import math
import os

import numpy as np

import style

EPS = 2.220446049250313e-16
FLOOR = 1e-18


def _rows(table):
    keys = list(table.keys())
    count = len(table[keys[0]]) if keys else 0
    return [{k: table[k][i] for k in keys} for i in range(count)]


def _fig_dir(expdir):
    return os.path.join(expdir, "figures")


def _pos(v):
    return v if isinstance(v, float) and math.isfinite(v) and v > 0 else float("nan")


def identity(expdir, csv_path, stem):
    """Claim 1: delta_out and delta_A per case (grouped by t, then g), control in grey, 2^12 eps line."""
    rows = _rows(style.read_csv(csv_path))
    own = [r for r in rows if r["control"] == 0]
    ctl = [r for r in rows if r["control"] == 1]
    key = lambda r: (r["t"], r["g"], r["d"], r["family"], r["seed"])
    own.sort(key=key)
    index = {key(r): i for i, r in enumerate(own)}
    fig, ax = style.figure(width=9.0, height=4.2)
    x = np.arange(len(own))
    ax.semilogy(x, [max(_pos(r["delta_out"]), FLOOR) for r in own], "o", ms=3, color=style.PALETTE[0],
                label=r"$\delta_{out}$ (factored vs materialised)")
    xa = [i for i, r in enumerate(own) if _pos(r["delta_A"]) == _pos(r["delta_A"])]
    ax.semilogy(xa, [max(own[i]["delta_A"], FLOOR) for i in xa], "s", ms=3, mfc="none", color=style.PALETTE[1],
                label=r"$\delta_A$ (low-rank matrix vs $P_g(S)$)")
    xc = [index.get(key(r), np.nan) for r in ctl]
    ax.semilogy(xc, [_pos(r["delta_out"]) for r in ctl], "x", ms=4, color="#7f7f7f",
                label="control: swapped value pairing")
    tol = own[0]["tolerance"] if own else 4096 * EPS
    style.criterion_line(ax, tol, r"criterion $2^{12}\varepsilon$ = %.2e" % tol)
    # group boundaries by t
    ts = [r["t"] for r in own]
    for i in range(1, len(ts)):
        if ts[i] != ts[i - 1]:
            ax.axvline(i - 0.5, color="k", lw=0.6, alpha=0.5)
    for t in sorted(set(ts)):
        idx = [i for i, v in enumerate(ts) if v == t]
        ax.text(np.mean(idx), 2e-17, "t = %d" % t, ha="center", fontsize=9)
    ax.set_ylim(1e-17, 10)
    ax.set_xlabel("case (grouped by order t, then degree g; d, family, seed within)")
    ax.set_ylabel("relative difference")
    ax.set_title("Factored polynomial tensor attention equals the materialised one")
    ax.legend(loc="center right")
    style.save(fig, _fig_dir(expdir), stem)


def error_vs_degree(expdir, csv_path, stem):
    """Claim 2: entrywise and output errors against degree, with rho_g, the lower bound and E_g."""
    rows = _rows(style.read_csv(csv_path))
    fig, axes = style.figure(ncols=2, width=11.0, height=4.4)
    Bs = sorted(set(r["B"] for r in rows))
    # one (t, d) combination is drawn if several: the first one (t = 3 preferred)
    combos = sorted(set((r["t"], r["d"]) for r in rows), key=lambda c: (c[0] != 3, c))
    t0, d0 = combos[0]
    rows = [r for r in rows if r["t"] == t0 and r["d"] == d0]
    for k, B in enumerate(Bs):
        c = style.PALETTE[k % len(style.PALETTE)]
        sub = [r for r in rows if r["B"] == B and r["control"] == 0]
        if not sub:
            continue
        gs = sorted(set(r["g"] for r in sub))
        for ax, meas, pred in ((axes[0], "eps_ent", "rho"), (axes[1], "eps_out", "E")):
            for fam, mfc in (("extremal", c), ("uniform", "none")):
                pts = [r for r in sub if r["family"] == fam]
                ax.semilogy([r["g"] for r in pts], [max(_pos(r[meas]), FLOOR) for r in pts], "o", ms=3.5, mfc=mfc,
                            color=c, linestyle="none")
            ax.semilogy(gs, [next(r[pred] for r in sub if r["g"] == g) for g in gs], "-", color=c,
                        label="B = %g (beta = %.3g)" % (B, sub[0]["beta"]))
        axes[0].semilogy(gs, [max(next(r["lower"] for r in sub if r["g"] == g), FLOOR) for g in gs], "--", color=c, lw=1)
    for ax, meas in ((axes[0], "eps_ent"), (axes[1], "eps_out")):
        cr = [r for r in rows if r["control"] == 1]
        ax.semilogy([r["g"] for r in cr], [max(_pos(r[meas]), FLOOR) for r in cr], "x", ms=3, color="#9a9a9a",
                    linestyle="none", label="control: entries in [-2B, 2B]")
        ax.set_xlabel("degree g")
    axes[0].set_ylabel(r"entrywise relative error $\max|P_g(S)/e^S - 1|$")
    axes[1].set_ylabel(r"output error $\|\tilde T_g - T\|_\infty$")
    axes[0].set_title(r"t=%d, d=%d: filled extremal, hollow uniform; solid $\rho_g(B^t)$, dashed lower" % (t0, d0),
                      fontsize=9)
    axes[1].set_title(r"solid $E_g(B^t) = 2\rho/(1-\rho)$ (criterion: measured below)", fontsize=9)
    axes[0].set_ylim(1e-13, 1e20)
    axes[1].set_ylim(1e-19, 1e3)
    axes[1].legend(loc="lower left", fontsize=7)
    style.save(fig, _fig_dir(expdir), stem)


def degree_budget(expdir, csv_path, stem):
    """Claim 3: measured and certified degree against beta; rank against B (t = 3) with n^2 lines."""
    rows = _rows(style.read_csv(csv_path))
    own = [r for r in rows if r["control"] == 0]
    fig, axes = style.figure(ncols=2, width=11.0, height=4.4)
    ax = axes[0]
    ts = sorted(set(r["t"] for r in own))
    markers = {2: "o", 3: "s", 4: "^"}
    for k, t in enumerate(ts):
        sub = sorted([r for r in own if r["t"] == t], key=lambda r: r["beta"])
        ax.semilogx([r["beta"] for r in sub], [r["g_meas"] for r in sub], markers.get(t, "o"), color=style.PALETTE[k],
                    linestyle="none", label="g_meas, t = %d (n = %d)" % (t, sub[0]["n"]))
    sub = sorted([r for r in own if r["t"] == ts[0]], key=lambda r: r["beta"])
    ax.step([r["beta"] for r in sub], [r["g_pred"] for r in sub], where="mid", color="#d62728", linestyle="--",
            label=r"g_pred($\beta$, eps = %g) (criterion: g_meas $\leq$ g_pred)" % sub[0]["eps"])
    ax.set_xlabel(r"score range $\beta = B^t$")
    ax.set_ylabel("degree")
    ax.set_title("degree needed for l_inf output error <= eps (extremal inputs)", fontsize=9)
    ax.legend(fontsize=7)
    ax = axes[1]
    sub3 = sorted([r for r in own if r["t"] == 3], key=lambda r: r["B"])
    if sub3:
        ax.semilogy([r["B"] for r in sub3], [r["r_meas"] for r in sub3], "s", color=style.PALETTE[1], linestyle="none",
                    label="r at g_meas (t = 3)")
        ax.semilogy([r["B"] for r in sub3], [r["r_pred"] for r in sub3], "-", color="#d62728",
                    label="r_pred = C(d + g_pred, d)")
        for k, n in enumerate((16, 64, 256, 1024)):
            ax.axhline(n * n, color="#7f7f7f", lw=0.8, linestyle=":")
            ax.text(sub3[0]["B"], n * n * 1.15, "n^2, n = %d" % n, fontsize=7, color="#555555")
    ax.set_xlabel("entry bound B (t = 3)")
    ax.set_ylabel("rank r (feature columns)")
    ax.set_title("factored method beats naive while r < n^2", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    style.save(fig, _fig_dir(expdir), stem)


def threshold_map(expdir, csv_path, stem):
    """Claim 3, theory only: break-even entry bound in the paper's regime against log2 n."""
    rows = _rows(style.read_csv(csv_path))
    fig, ax = style.figure()
    for k, t in enumerate(sorted(set(r["t"] for r in rows))):
        sub = sorted([r for r in rows if r["t"] == t], key=lambda r: r["log2_n"])
        L = np.array([r["log2_n"] for r in sub])
        Bx = np.array([r["B_break"] for r in sub])
        c = style.PALETTE[k]
        ax.plot(L, Bx, "o-", color=c, label="t = %d: break-even B" % t)
        ref = Bx[0] * (L / L[0]) ** (1.0 / t)  # (ln n)^{1/t} through the first point
        ax.plot(L, ref, "--", color=c, lw=1, label=r"$(\ln n)^{1/%d}$ through first point" % t)
    ax.set_xlabel(r"$\log_2 n$  (d = ceil(log2 n), eps = 1/n)")
    ax.set_ylabel(r"B at which C(d + g_pred, d) reaches $n^{t-1}$")
    ax.set_title("Illustration only (no verdict): break-even entry bound of the factored method", fontsize=9)
    ax.legend(fontsize=7, ncol=2)
    style.save(fig, _fig_dir(expdir), stem)


def cost_scaling(expdir, csv_path, stem):
    """Claim 4: operation counts against n with fitted slopes and the predicted formulas; wall times."""
    rows = _rows(style.read_csv(csv_path))
    tpath = os.path.join(os.path.dirname(csv_path), "near_linear_cost_timing.csv")
    timed = os.path.exists(tpath)  # wall times exist in full mode only; quick mode draws the counts alone
    if timed:
        fig, axes = style.figure(ncols=2, width=11.0, height=4.4)
        ax = axes[0]
    else:
        fig, ax = style.figure(width=6.4, height=4.6)
    names = [("naive", "naive (cubic)", style.PALETTE[0]), ("fast", "factored", style.PALETTE[2]),
             ("materialized_low_rank", "control: materialised low rank", "#7f7f7f"),
             ("paper_regime", "factored, paper regime (d = log2 n, eps = 1/n; no verdict)", style.PALETTE[4])]
    for key, label, c in names:
        sub = sorted([r for r in rows if r["series"] == key], key=lambda r: r["n"])
        if not sub:
            continue
        n = np.array([r["n"] for r in sub])
        y = np.array([r["count"] for r in sub])
        slope = np.polyfit(np.log(n), np.log(y), 1)[0]
        ls = ":" if key == "paper_regime" else "none"
        ax.loglog(n, y, "x" if key == "materialized_low_rank" else "o", color=c, linestyle=ls,
                  label="%s, slope %.3f" % (label, slope))
        if key != "paper_regime":
            ax.loglog(n, [r["predicted"] for r in sub], "--", color=c, lw=1)
    nx = rows[0]["crossover_n"]
    ax.axvline(nx, color="#2ca02c", linestyle="-.", lw=1, label="crossover n_x = %.1f" % nx)
    ax.set_xlabel("n (tokens)")
    ax.set_ylabel("operations (multiply-adds + exps)")
    ax.set_title("counts (markers) and cost model (dashed); criterion: slopes 1 and 3 +- 0.03"
                 + ("" if timed else "\n(wall times are measured in full mode only)"), fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
    if timed:
        ax = axes[1]
        trows = _rows(style.read_csv(tpath))
        for key, label, c in names:
            sub = sorted([r for r in trows if r["series"] == key], key=lambda r: r["n"])
            if not sub:
                continue
            n = np.array([r["n"] for r in sub])
            med = np.array([r["median_s"] for r in sub])
            lo = med - np.array([r["q25_s"] for r in sub])
            hi = np.array([r["q75_s"] for r in sub]) - med
            txt = label
            if key == "paper_regime" and len(n) >= 2:
                txt += ", local exponent %.2f" % (math.log(med[-1] / med[-2]) / math.log(n[-1] / n[-2]))
            ax.errorbar(n, med, yerr=[lo, hi], fmt="o" if key != "materialized_low_rank" else "x", color=c,
                        linestyle=":" if key == "paper_regime" else "-", label=txt, ms=3)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylabel("wall time, median of reps (s)")
        ax.set_title("wall time (not part of the verdict)", fontsize=9)
        ax.legend(fontsize=7)
        ax.set_xlabel("n (tokens)")
    style.save(fig, _fig_dir(expdir), stem)


def match3(expdir, csv_path, stem):
    """Claim 5: accuracy against lambda / lambda_suff per n, control dashed, base rate, top axis entry bound."""
    rows = _rows(style.read_csv(csv_path))
    fig, ax = style.figure()
    ns = sorted(set(r["n"] for r in rows))
    for k, n in enumerate(ns):
        c = style.PALETTE[k]
        for ctrl, ls, lab in ((0, "-", "order-3 unit"), (1, "--", "control: pairwise collapse")):
            sub = sorted([r for r in rows if r["n"] == n and r["control"] == ctrl], key=lambda r: r["lambda_ratio"])
            if sub:
                ax.plot([math.log2(r["lambda_ratio"]) for r in sub], [r["accuracy"] for r in sub], "o" if ctrl == 0 else "x",
                        color=c if ctrl == 0 else "#7f7f7f", linestyle=ls, label="%s, n = %d, M = %d" % (lab, n, sub[0]["M"]))
        base = [r for r in rows if r["n"] == n][0]["base_rate"]
        ax.axhline(1 - base, color=c, lw=0.8, linestyle=":", label="1 - base rate (all-negative), n = %d" % n)
    style.criterion_line(ax, 0.0, r"$\lambda = \lambda_{suff}$ (criterion: 0 errors)", horizontal=False)
    ax.set_xlabel(r"$\log_2(\lambda / \lambda_{suff})$")
    ax.set_ylabel("accuracy over all positions")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=6.5, loc="lower right", frameon=True, framealpha=0.92)
    sub = [r for r in rows if r["n"] == ns[0] and r["control"] == 0]
    ls = sub[0]["lambda_suff"]
    top = ax.secondary_xaxis("top", functions=(lambda x: (4 * ls * 2.0 ** np.asarray(x)) ** (1 / 3),
                                               lambda b: np.log2(np.maximum(np.asarray(b), 1e-9) ** 3 / (4 * ls))))
    top.set_xlabel("entry bound (4 lambda)^(1/3), n = %d" % ns[0])
    style.save(fig, _fig_dir(expdir), stem)


def tpa_cache(expdir, csv_path, stem):
    """Claim 6: cache scalars per token (MHA vs TPA) per configuration; inset: identity difference."""
    rows = _rows(style.read_csv(csv_path))
    own = [r for r in rows if r["control"] == 0]
    fig, ax = style.figure(width=7.5, height=4.4)
    x = np.arange(len(own))
    ax.bar(x - 0.2, [r["mha_per_token"] for r in own], 0.35, color=style.PALETTE[0], label="MHA: 2 h d_h")
    ax.bar(x + 0.2, [r["cache_per_token"] for r in own], 0.35, color=style.PALETTE[1],
           label="TPA factored cache (measured)")
    for i, r in enumerate(own):
        ax.text(i + 0.2, r["cache_per_token"] * 1.1, "x%.3g (pred. %.4g)" % (r["ratio_measured"], r["ratio_pred"]),
                ha="center", fontsize=7)
    ax.set_xticks(x)
    ax.set_xticklabels(["h=%d d_h=%d R=%d,%d,%d\nT=%d" % (r["h"], r["d_h"], r["R_Q"], r["R_K"], r["R_V"], r["T"])
                        for r in own], fontsize=7)
    ax.set_yscale("log")
    ax.set_ylim(1, 50 * max(r["mha_per_token"] for r in own))
    ax.set_xlim(-0.7, len(own) - 0.3 + (1.2 if len(own) == 1 else 0.6))
    ax.set_ylabel("cached scalars per token")
    ax.set_title("Tensor Product Attention: factored KV cache", fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
    ins = ax.inset_axes([0.66, 0.62, 0.32, 0.33])
    ins.semilogy(range(len(rows)), [max(_pos(r["rel_diff"]), FLOOR) for r in rows], "o", ms=3, color=style.PALETTE[0])
    for i, r in enumerate(rows):
        if r["control"] == 1:
            ins.semilogy([i], [max(_pos(r["rel_diff"]), FLOOR)], "x", color="#7f7f7f")
    ins.axhline(rows[0]["tolerance"], color="#2ca02c", linestyle="-.", lw=1)
    ins.set_title("identity: rel. l_inf diff (x: control)", fontsize=7)
    ins.set_xlabel("run", fontsize=6)
    ins.tick_params(labelsize=6)
    style.save(fig, _fig_dir(expdir), stem)
