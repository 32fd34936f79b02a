"""Figure functions of icl_regression (claims 1-4). Each reads CSVs under <expdir>/data/ and
writes <expdir>/figures/<stem>.png and .pdf through style.save."""
import math
import os

import numpy as np

import style

plt = style.plt


def _rows(path):
    cols = style.read_csv(path)
    if not cols:
        return []
    names = list(cols)
    return [dict(zip(names, vals)) for vals in zip(*(cols[n] for n in names))]


def _data(expdir, name):
    p = os.path.join(expdir, "data", name + ".csv")
    return _rows(p) if os.path.exists(p) else []


def _figdir(expdir):
    return os.path.join(expdir, "figures")


def gradient_check(expdir, csv_path, stem):
    rows = _rows(csv_path)
    fig, ax = style.figure(width=7.5)
    names = [r["variant"] for r in rows]
    vals = [max(r["rel_error"], 1e-17) for r in rows]
    colours = [style.CONTROL["color"] if r["control"] == 1.0 else style.MEASURED["color"] for r in rows]
    ax.bar(range(len(rows)), vals, color=colours)
    ax.set_yscale("log")
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels(names, rotation=60, ha="right", fontsize=7)
    style.criterion_line(ax, 1e-6, "criterion: rel. error <= 1e-6")
    from matplotlib.patches import Patch
    handles = ax.get_legend_handles_labels()[0] + [
        Patch(color=style.MEASURED["color"], label="hand-written backward vs central differences"),
        Patch(color=style.CONTROL["color"], label="control: softmax Jacobian without mean term")]
    ax.set_ylabel("$\\|g_{hand}-g_{FD}\\|_2/\\|g_{FD}\\|_2$")
    ax.set_title("Gradient check (predicted 0; O(h^2) + O(eps/h))")
    ax.legend(handles=handles, loc="center left")
    style.save(fig, _figdir(expdir), stem)


def dgd_limit(expdir, csv_path, stem):
    rows = [r for r in _rows(csv_path) if r["prompt"] == "spec"]
    fig, ax = style.figure()
    for series, st, lab in (("construction", style.MEASURED, "two heads $\\pm\\omega J$, $\\pm\\mu$ (zero-sum)"),
                            ("control", style.CONTROL, "control: $+\\mu,+\\mu$")):
        rs = sorted([r for r in rows if r["series"] == series], key=lambda r: r["omega"])
        w = np.array([r["omega"] for r in rs])
        e = np.array([r["err"] for r in rs])
        kw = dict(st)
        kw["label"] = "%s (slope %.4f)" % (lab, rs[0]["slope"])
        ax.plot(w, e, **kw)
        if series == "construction":
            ref = e[-1] * (w / w[-1]) ** 2
            ax.plot(w, ref, color=style.PREDICTED["color"], linestyle="--", label="predicted slope 2")
            fd = abs(rs[0]["f_dgd"])
            ax.plot([w[0]], [1e-4 * fd], marker="v", color=style.CRITERION["color"], linestyle="none",
                    label="criterion: err($\\omega_{min}$) <= 1e-4 |f_DGD|")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("KQ scale $\\omega$ (at fixed $\\eta=2\\omega\\mu$)")
    ax.set_ylabel("$|f(\\omega)-f_{DGD}(\\eta)|$")
    ax.set_title("Two opposite heads approach debiased GD like $\\omega^2$ (criterion: slope CI in [1.9, 2.1])")
    ax.legend()
    style.save(fig, _figdir(expdir), stem)


def _matrices(rows, model, step=None):
    """{head: (KQ, OV)} of seed 0 of `model` at `step` (default: last step)."""
    rs = [r for r in rows if r["model"] == model and r["seed"] == 0.0]
    if not rs:
        return {}, None
    rs = [r for r in rs if r["H"] == rs[0]["H"]]  # full mode: the first (judged) head count of `model`
    steps = sorted(set(r["step"] for r in rs))
    step = steps[-1] if step is None else step
    rs = [r for r in rs if r["step"] == step]
    out = {}
    D = int(max(r["col"] for r in rs)) + 1
    for r in rs:
        h = int(r["head"])
        kq, ov = out.setdefault(h, (np.zeros((D, D)), np.zeros((1, D))))
        (kq if r["matrix"] == "KQ" else ov)[int(r["row"]), int(r["col"])] = r["value"]
    return out, step


def _heat(ax, M, title, hatch_last_col=False):
    v = max(np.max(np.abs(M)), 1e-12)
    im = ax.imshow(M, cmap="RdBu_r", vmin=-v, vmax=v)
    if hatch_last_col:
        ax.add_patch(plt.Rectangle((M.shape[1] - 1.5, -0.5), 1, M.shape[0], fill=False, hatch="//", color="0.4",
                                   linewidth=0))
    ax.set_title(title, fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    return im


def patterns_heatmaps(expdir, csv_path, stem):
    rows = _rows(csv_path)
    models = [m for m in ("isotropic", "single", "anisotropic", "paper") if _matrices(rows, m)[0]]
    H = max(len(_matrices(rows, m)[0]) for m in models)
    fig, axes = plt.subplots(2 * len(models), H, figsize=(2.4 * H, 2.8 * len(models)),
                             gridspec_kw={"height_ratios": [5, 1] * len(models)}, squeeze=False)
    for mi, m in enumerate(models):
        mats, step = _matrices(rows, m)
        for h in range(H):
            a1, a2 = axes[2 * mi, h], axes[2 * mi + 1, h]
            if h in mats:
                _heat(a1, mats[h][0], "head %d: KQ (step %d)" % (h, step), hatch_last_col=True)
                if h == 0:
                    a1.set_ylabel(m, fontsize=9)
                _heat(a2, mats[h][1], "OV")
            else:
                a1.axis("off")
                a2.axis("off")
    fig.suptitle("Trained KQ_h (last column hatched: multiplies the query's zero label) and OV_h, seed 0\n"
                 "predicted: KQ covariate block proportional to I, OV reads only the label (last entry)", fontsize=9)
    style.save(fig, _figdir(expdir), stem)


def _first_h(rows):
    """Rows of the first-written head count (full mode writes H = 2, 8 after the judged H = 4)."""
    return [r for r in rows if r["H"] == rows[0]["H"]] if rows else rows


def patterns_snapshots(expdir, csv_path, stem):
    rows = _first_h([r for r in _rows(csv_path) if r["model"] == "isotropic" and r["seed"] == 0.0])
    if not rows:
        return
    steps = sorted(set(r["step"] for r in rows))
    mats0, _ = _matrices(rows, "isotropic", steps[0])
    H = len(mats0)
    fig, axes = plt.subplots(len(steps), H, figsize=(2.0 * H, 2.1 * len(steps)), squeeze=False)
    for si, st in enumerate(steps):
        mats, _ = _matrices(rows, "isotropic", st)
        for h in range(H):
            _heat(axes[si, h], mats[h][0], "step %d, head %d" % (st, h), hatch_last_col=True)
    fig.suptitle("KQ_h of one seed (H = 4) at step 1, 0.1 T and T", fontsize=9)
    style.save(fig, _figdir(expdir), stem)


def patterns_metrics(expdir, csv_path, stem):
    rows = _rows(csv_path)
    metrics = [("min_r_diag", "min $r_{diag}$", 0.95, ">="), ("min_r_ov", "min $r_{OV}$", 0.95, ">="),
               ("max_cv", "max cv", 0.15, "<="), ("Z", "Z (zero-sum index)", 0.05, "<=")]
    groups = []
    for m in ("single", "isotropic", "anisotropic", "paper"):
        for H in sorted(set(r["H"] for r in rows if r["model"] == m)):
            rs = [r for r in rows if r["model"] == m and r["H"] == H]
            name = "%s H=%d" % ("paper recipe" if m == "paper" else m, int(H))
            if int(H) == 2:
                name += " (reported)"
            groups.append((name, rs))
    fig, axes = style.figure(ncols=4, width=12, height=3.4)
    for ax, (key, lab, thr, op) in zip(axes, metrics):
        for gi, (name, rs) in enumerate(groups):
            v = np.array([r[key] for r in rs], dtype=float)
            ax.bar(gi, v.mean(), yerr=v.std(), color=style.PALETTE[gi], label=name, capsize=3)
        style.criterion_line(ax, thr, "criterion %s %g" % (op, thr))
        ax.set_xticks(range(len(groups)))
        ax.set_xticklabels([g[0] for g in groups], rotation=30, ha="right", fontsize=7)
        ax.set_title(lab)
    axes[0].set_ylabel("mean $\\pm$ s.d. over seeds")
    axes[-1].legend(fontsize=7)
    fig.suptitle("Pattern metrics (predicted: r = 1, cv = 0, Z = 0 for multi-head isotropic)", fontsize=9)
    style.save(fig, _figdir(expdir), stem)


def patterns_dynamics(expdir, csv_path, stem):
    rows = _first_h([r for r in _rows(csv_path) if r["model"] == "isotropic" and r["seed"] == 0.0])
    if not rows:
        return
    H = int(rows[0]["H"])
    fig, axes = style.figure(ncols=2, width=11, height=3.8)
    for h in range(H):
        rs = sorted([r for r in rows if r["head"] == h], key=lambda r: r["step"])
        s = [r["step"] for r in rs]
        axes[0].plot(s, [r["omega"] for r in rs], color=style.PALETTE[h], label="head %d" % h)
        axes[1].plot(s, [r["mu"] for r in rs], color=style.PALETTE[h], label="head %d" % h)
    steps = sorted(set(r["step"] for r in rows))
    mu_sum = [sum(r["mu"] for r in rows if r["step"] == st) for st in steps]
    axes[1].plot(steps, mu_sum, color="black", linestyle="--", label="$\\sum_h \\mu_h$ (predicted 0)")
    axes[0].set_ylabel("$\\omega_h = tr(A_h)/d$")
    axes[1].set_ylabel("$\\mu_h$ (OV label weight)")
    for ax in axes:
        ax.set_xlabel("SGD step")
        ax.axhline(0, color="0.5", linewidth=0.6)
        ax.legend(fontsize=7)
    fig.suptitle("KQ scale and OV weight dynamics, H = 4, seed 0: heads split into +/- branches", fontsize=9)
    style.save(fig, _figdir(expdir), stem)


def risk_vs_n(expdir, csv_path, stem):
    rows = _rows(csv_path)
    th = _data(expdir, "risk_vs_n_theory")
    fig, ax = style.figure(width=7.2, height=4.4)
    for model, colour, lab in (("multi", style.PALETTE[0], "trained multi-head (H = 4)"),
                               ("single", style.PALETTE[1], "trained single head")):
        rs = [r for r in rows if r["model"] == model]
        ns = sorted(set(r["n_test"] for r in rs))
        m = [np.mean([r["risk"] for r in rs if r["n_test"] == n]) for n in ns]
        sd = [np.std([r["risk"] for r in rs if r["n_test"] == n]) for n in ns]
        ax.errorbar(ns, m, yerr=sd, color=colour, marker="o", label=lab + " (mean $\\pm$ s.d.)")
    if th:
        n = [r["n_test"] for r in th]
        ax.plot(n, [r["r_dgd_eta_hat"] for r in th], color=style.PREDICTED["color"], linestyle="--",
                label="$R_{DGD}(\\hat\\eta; n)$")
        ax.plot(n, [r["r_dgd_opt"] for r in th], color="black", linestyle=":", label="$R^*_{DGD}(n)$")
        ax.plot(n, [r["r_gd_eta_hat"] for r in th], color=style.PALETTE[4], linestyle="-.",
                label="$R_{GD}(\\hat\\eta/40; n)$")
        ax.plot(n, [r["reduced_single"] for r in th], color=style.PALETTE[1], linestyle="--", alpha=0.6,
                label="single head, reduced objective (approximate)")
        ax.plot(n, [r["bayes_mc"] for r in th], color=style.PALETTE[2], linestyle="-", alpha=0.8,
                label="Bayes (ridge), Monte Carlo")
    ax.axvline(40, color="0.5", linewidth=0.8, label="training length n = 40")
    ax.set_ylim(0, 1.2)
    ax.set_xlabel("test prompt length $n$")
    ax.set_ylabel("test risk $E(f-y_q)^2$")
    ax.set_title("Risk vs prompt length (criterion at n = 40: R/R*_DGD in [0.95, 1.06])")
    ax.legend(fontsize=7)
    style.save(fig, _figdir(expdir), stem)


def length_generalization(expdir, csv_path, stem):
    rows = _rows(csv_path)
    fig, ax = style.figure(width=7.0, height=4.4)
    for model, colour, lab, plab in (("softmax", style.PALETTE[0], "softmax H = 4", "$R_{DGD}(\\hat\\eta; n')$"),
                                     ("linear", style.PALETTE[1], "linear attention H = 1",
                                      "$R_{GD}(\\hat a; n')$")):
        rs = [r for r in rows if r["model"] == model]
        ns = sorted(set(r["n_test"] for r in rs))
        m = [np.mean([r["risk"] for r in rs if r["n_test"] == n]) for n in ns]
        sd = [np.std([r["risk"] for r in rs if r["n_test"] == n]) for n in ns]
        p = [np.mean([r["predicted"] for r in rs if r["n_test"] == n]) for n in ns]
        ax.errorbar(ns, m, yerr=sd, color=colour, marker="o", label="measured, %s (mean $\\pm$ s.d.)" % lab)
        ax.plot(ns, p, color=colour, linestyle="--", label="predicted %s" % plab)
    ax.axvline(40, color="0.5", linewidth=0.8, label="training length n = 40")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("test prompt length $n'$")
    ax.set_ylabel("test risk")
    ax.set_title("Length generalization (criterion: softmax R(n')/R(40) <= 1.02, |R/R_DGD - 1| <= 0.08)")
    ax.legend(fontsize=7)
    style.save(fig, _figdir(expdir), stem)


def preconditioned_heatmaps(expdir, csv_path, stem):
    rows = _rows(csv_path)

    def mat(model, name):
        rs = [r for r in rows if r["model"] == model and r["matrix"] == name]
        if not rs:
            return None
        d = int(max(r["row"] for r in rs)) + 1
        M = np.zeros((d, d))
        for r in rs:
            M[int(r["row"]), int(r["col"])] = r["value"]
        return M

    def norm(M):
        return M * (M.shape[0] / np.trace(M))

    P, G, Si = mat("anisotropic", "P"), mat("theory", "gamma_star"), mat("theory", "sigma_inv")
    heads = [mat("anisotropic", "A%d" % h) for h in range(16)]
    heads = [A for A in heads if A is not None]
    ncols = max(4, len(heads))
    fig, axes = plt.subplots(2, ncols, figsize=(2.3 * ncols, 5.0), squeeze=False)
    panels = [(norm(P), "learned P (trace d)"), (norm(G), "$\\Gamma^*$ (trace d), predicted"),
              (norm(P) - norm(G), "P - $\\Gamma^*$"), (norm(Si), "$\\Sigma^{-1}$ (trace d)")]
    for ax, (M, title) in zip(axes[0], panels):
        _heat(ax, M, title)
        for (i, j), v in np.ndenumerate(M):
            ax.text(j, i, "%.2f" % v, ha="center", va="center", fontsize=6)
    for ax in axes[0][len(panels):]:
        ax.axis("off")
    for h, ax in enumerate(axes[1]):
        if h < len(heads):
            _heat(ax, heads[h], "head %d: $A_h$" % h)
        else:
            ax.axis("off")
    fig.suptitle("Correlated covariates ($\\Sigma_{ij}=0.5^{|i-j|}$), seed 0: criterion cos(P, $\\Gamma^*$) >= 0.99",
                 fontsize=9)
    style.save(fig, _figdir(expdir), stem)


def near_bayes(expdir, csv_path, stem):
    rows = _rows(csv_path)
    fig, ax = style.figure(width=6.8, height=4.4)
    for model, colour, lab in (("multi", style.PALETTE[0], "trained multi-head (H = 4)"),
                               ("single", style.PALETTE[1], "trained single head (control)")):
        rs = [r for r in rows if r["model"] == model]
        s2s = sorted(set(r["s2"] for r in rs))
        m = [np.mean([r["excess_ratio"] for r in rs if r["s2"] == s]) for s in s2s]
        sd = [np.std([r["excess_ratio"] for r in rs if r["s2"] == s]) for s in s2s]
        ax.errorbar(s2s, m, yerr=sd, color=colour, marker="o", linestyle="none", capsize=3,
                    label=lab + " (mean $\\pm$ s.d.)")
    d = 5
    xs = np.logspace(-1.2, 0.6, 60)
    ax.plot(xs, (1 + xs + 1.0 / d) / xs, **dict(style.BOUND, label="bound F(s2, d) = (1 + s2 + 1/d)/s2 (criterion)"))
    ax.plot(xs, 1 + 1 / xs, color="0.4", linestyle="--", label="proportional limit 1 + 1/s2")
    pts = sorted(set((r["s2"], r["dgd_opt_ratio"]) for r in rows))
    ax.plot([p[0] for p in pts], [p[1] for p in pts], color=style.PREDICTED["color"], marker="s", linestyle="--",
            label="optimal DGD (theory / MC Bayes)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("noise variance $s^2$")
    ax.set_ylabel("$(R - s^2)/(R_{Bayes} - s^2)$")
    ax.set_title("Excess risk relative to Bayes (d = 5, n = 40)")
    ax.legend(fontsize=7)
    style.save(fig, _figdir(expdir), stem)


def multitask_P(expdir, csv_path, stem):
    rows = _rows(csv_path)
    models = [(m, h) for m, h in (("main", 3.0), ("control", 2.0)) if any(r["model"] == m for r in rows)]
    fig, axes = style.figure(ncols=2 * len(models), width=3.2 * 2 * len(models), height=3.4)
    axes = np.atleast_1d(axes)
    i = 0
    for m, H in models:
        for task in (1.0, 2.0):
            ax = axes[i]
            i += 1
            rs = [r for r in rows if r["model"] == m and r["task"] == task]
            coords = sorted(set(int(r["coord"]) for r in rs))
            seeds = sorted(set(r["seed"] for r in rs))
            for si, s in enumerate(seeds):
                v = [next(r["P_diag"] for r in rs if r["seed"] == s and int(r["coord"]) == c) for c in coords]
                ax.plot(np.array(coords) + 1, v, marker="o", color=style.PALETTE[si], alpha=0.8,
                        label="measured seed %d" % int(s))
            tgt = [next(r["eta_opt_target"] for r in rs if int(r["coord"]) == c) for c in coords]
            ax.plot(np.array(coords) + 1, tgt, color=style.PREDICTED["color"], linestyle="--", marker="s",
                    label="predicted $\\eta^*_k 1_{S_k}$")
            ax.set_title("%s H = %d: diag P_%d" % (m, int(H), int(task)), fontsize=9)
            ax.set_xlabel("coordinate")
    axes[0].set_ylabel("diagonal of $P_k=\\sum_h OV_h[k,d+k] A_h$")
    axes[0].legend(fontsize=6)
    fig.suptitle("Multi-task preconditioners (criterion: cos(P_k, diag 1_S_k) >= 0.95; H = 2 is the control)",
                 fontsize=9)
    style.save(fig, _figdir(expdir), stem)


def risk_vs_heads(expdir, csv_path, stem):
    """Risk vs prompt length for every trained head count (quick: H = 1, 4; full: 1, 2, 4, 8)."""
    rows = _rows(csv_path)
    th = _data(expdir, "risk_vs_n_theory")
    fig, ax = style.figure(width=7.2, height=4.4)
    Hs = sorted(set(r["H"] for r in rows))
    for i, H in enumerate(Hs):
        rs = [r for r in rows if r["H"] == H]
        ns = sorted(set(r["n_test"] for r in rs))
        m = [np.mean([r["risk"] for r in rs if r["n_test"] == n]) for n in ns]
        sd = [np.std([r["risk"] for r in rs if r["n_test"] == n]) for n in ns]
        S = len(set(r["seed"] for r in rs))
        ax.errorbar(ns, m, yerr=sd, color=style.PALETTE[i], marker="o", markersize=3,
                    label="trained H = %d (mean $\\pm$ s.d., %d seeds)" % (int(H), S))
    if th:
        n = np.array([r["n_test"] for r in th])
        rstar = np.array([r["r_dgd_opt"] for r in th])
        ax.plot(n, rstar, color=style.PREDICTED["color"], linestyle="--", label="predicted $R^*_{DGD}(n)$ (H $\\geq$ 2)")
        ax.plot(n, [r["reduced_single"] for r in th], color="0.3", linestyle=":",
                label="predicted single head, reduced objective (approximate)")
        ax.plot(n, [r["bayes_mc"] for r in th], color="0.55", linestyle="-", alpha=0.9,
                label="Bayes (ridge), Monte Carlo")
        i40 = int(np.argmin(np.abs(n - 40)))
        ax.plot([40, 40], [0.95 * rstar[i40], 1.06 * rstar[i40]], color=style.CRITERION["color"], linewidth=4,
                alpha=0.6, label="criterion at n = 40: R/R*_DGD in [0.95, 1.06]")
    ax.axvline(40, color="0.6", linewidth=0.8)
    ax.set_ylim(0, 1.2)
    ax.set_xlabel("test prompt length $n$ (trained at n = 40)")
    ax.set_ylabel("test risk $E(f-y_q)^2$")
    ax.set_title("Risk vs prompt length by number of heads")
    ax.legend(fontsize=7)
    style.save(fig, _figdir(expdir), stem)


def reduced_loss(expdir, csv_path, stem):
    """Reduced objective of a symmetric pair (theory) and exact-minus-reduced (Monte Carlo)."""
    rows = _rows(csv_path)
    om = np.array(sorted(set(r["omega"] for r in rows)))
    mu = np.array(sorted(set(r["mu"] for r in rows)))
    red = np.full((len(mu), len(om)), np.nan)
    ex = np.full((len(mu), len(om)), np.nan)
    for r in rows:
        i, j = int(np.argmin(np.abs(mu - r["mu"]))), int(np.argmin(np.abs(om - r["omega"])))
        red[i, j], ex[i, j] = r["reduced"], r["exact_mc"]
    fig, axes = style.figure(ncols=2, width=10.5, height=4.2)
    ext = [om[0] - 0.01, om[-1] + 0.01, mu[0] - 0.25, mu[-1] + 0.25]
    im0 = axes[0].imshow(np.minimum(red, 1.5), origin="lower", aspect="auto", extent=ext, cmap="viridis")
    fig.colorbar(im0, ax=axes[0], label="$\\tilde L(\\omega, \\mu)$ (clipped at 1.5)")
    w = np.linspace(om[0], om[-1], 100)
    mstar = {r["omega"]: r["mu_star"] for r in rows}
    axes[0].plot(om, [mstar[o] for o in om], color="white", marker="o", markersize=3,
                 label="predicted best $\\mu^*(\\omega)$ (reduced)")
    eta = np.array([r["eta_pair_opt"] for r in rows if r["mu"] == mu[0]])
    axes[0].plot(om, eta / (2 * om), color="orange", linestyle="--",
                 label="$\\mu = \\eta(\\omega)/(2\\omega)$, pair optimum")
    axes[0].set_ylim(ext[2], ext[3])
    axes[0].set_xlabel("KQ scale $\\omega$")
    axes[0].set_ylabel("OV label weight $\\mu$")
    axes[0].set_title("reduced objective of a symmetric pair (theory)", fontsize=9)
    axes[0].legend(fontsize=7, loc="upper right")
    diff = ex - red
    v = np.nanmax(np.abs(diff))
    im1 = axes[1].imshow(diff, origin="lower", aspect="auto", extent=ext, cmap="RdBu_r", vmin=-v, vmax=v)
    fig.colorbar(im1, ax=axes[1], label="exact (Monte Carlo) $-$ reduced")
    axes[1].set_xlabel("KQ scale $\\omega$")
    axes[1].set_ylabel("OV label weight $\\mu$")
    axes[1].set_title("exact risk minus reduced objective (no criterion)", fontsize=9)
    del w
    style.save(fig, _figdir(expdir), stem)


def multitask_heads(expdir, csv_path, stem):
    """Per head: diagonal of A_h (bars over coordinates, supports shaded) and the two label weights."""
    rows = _rows(csv_path)
    Hs = sorted(set(r["H"] for r in rows))
    models = [(r["model"], r["H"]) for r in rows]
    models = sorted(set(models), key=lambda x: x[1])
    seed0 = min(r["seed"] for r in rows)
    maxH = int(max(Hs))
    fig, axes = style.figure(ncols=maxH, nrows=len(models), width=3.0 * maxH, height=3.6 * len(models))
    axes = np.array(axes).reshape(len(models), maxH)
    for mi, (model, H) in enumerate(models):
        rs = [r for r in rows if r["model"] == model and r["H"] == H and r["seed"] == seed0]
        d = int(max(r["coord"] for r in rs)) + 1
        for h in range(maxH):
            ax = axes[mi, h]
            if h >= int(H):
                ax.axis("off")
                continue
            hr = sorted([r for r in rs if int(r["head"]) == h], key=lambda r: r["coord"])
            ax.axvspan(0.5, 4.5, color=style.PALETTE[0], alpha=0.08, label="support $S_1$")
            ax.axvspan(2.5, 6.5, color=style.PALETTE[1], alpha=0.08, label="support $S_2$")
            ax.bar(np.arange(1, d + 1), [r["A_diag"] for r in hr], color="0.4", label="diag $A_h$")
            ax.axhline(0, color="black", linewidth=0.6)
            o1, o2 = hr[0]["ov_task1"], hr[0]["ov_task2"]
            sel = min(abs(o1), abs(o2)) / max(abs(o1), abs(o2), 1e-300)
            ax.set_title("%s H = %d, head %d\nOV label weights (%.2f, %.2f), sel %.2f" % (model, int(H), h, o1, o2, sel),
                         fontsize=7)
            ax.set_xlabel("coordinate")
            if h == 0:
                ax.set_ylabel("diagonal of $A_h$")
                ax.legend(fontsize=6, loc="best")
    fig.subplots_adjust(hspace=0.65, wspace=0.35, top=0.88)
    fig.suptitle("Multi-task head allocation, seed %d (criterion: max sel_h >= 0.5 in every seed for H = 3; "
                 "H = 2 is the control)" % int(seed0), fontsize=9)
    style.save(fig, _figdir(expdir), stem)


def multitask_selectivity(expdir, csv_path, stem):
    """Full mode: histogram of the task selectivity sel_h of the active heads, one panel per H."""
    rows = [r for r in _rows(csv_path) if r["active"] == 1.0]
    Hs = sorted(set(r["H"] for r in rows))
    if not Hs:
        return
    fig, axes = style.figure(ncols=len(Hs), width=3.2 * len(Hs), height=3.4)
    axes = np.atleast_1d(axes)
    bins = np.linspace(0, 1, 11)
    for ax, H in zip(axes, Hs):
        v = [r["sel"] for r in rows if r["H"] == H]
        ax.hist(v, bins=bins, color=style.MEASURED["color"], label="active heads, all seeds")
        style.criterion_line(ax, 0.5, "criterion (H = 3): max sel >= 0.5", horizontal=False)
        ax.set_xlabel("task selectivity $sel_h$")
        from matplotlib.ticker import MaxNLocator
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title("H = %d%s" % (int(H), " (judged)" if int(H) == 3 else " (control)" if int(H) == 2 else " (reported)"),
                     fontsize=8)
    axes[0].set_ylabel("number of heads")
    axes[0].legend(fontsize=7)
    fig.suptitle("Multi-task selectivity of the active heads, all seeds (0: serves one task, 1: both equally; "
                 "predicted: a shared head for H = 3, one task per head for H >= 4)", fontsize=9)
    style.save(fig, _figdir(expdir), stem)
