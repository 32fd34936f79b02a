"""Figures of ssm_heads claims 4-6 (gradient paths and the scope of the lower bound).

Each function reads the CSVs its claim wrote under <expdir>/data/ and writes
<expdir>/figures/<stem>.png and .pdf through style.save. Spec: shared/claims/ssm_heads.md.
"""
import math
import os

import numpy as np

import style

plt = style.plt

EPS = 2.0 ** -52
FLOOR = 1e-17  # exact zeros are drawn here on log axes (said in the legend)


def _rows(path):
    """CSV as a list of dicts (numbers as floats)."""
    cols = style.read_csv(path)
    if not cols:
        return []
    names = list(cols)
    return [dict(zip(names, vals)) for vals in zip(*(cols[n] for n in names))]


def _sibling(csv_path, suffix):
    base, ext = os.path.splitext(csv_path)
    path = base + suffix + ext
    return _rows(path) if os.path.exists(path) else []


def _figdir(expdir):
    return os.path.join(expdir, "figures")


def _clip(values):
    return np.array([v if (isinstance(v, float) and v > FLOOR) else FLOOR for v in values])


def _group(rows, key):
    out = {}
    for r in rows:
        out.setdefault(r[key], []).append(r)
    return out


def _sorted_unique(values):
    return sorted(set(values))


# ---------------------------------------------------------------- claim 4 ----------------


def _rho_colour(rho, rhos):
    k = rhos.index(rho) if rho in rhos else 0
    return style.PALETTE[k % len(style.PALETTE)]


def _decay_panel(ax, groups, fits, rhos, title, opts, labelled):
    """Measured g(l) (thick, coloured), the predicted rho(A)^l line anchored at g(l0) (thin,
    black, dotted) and the envelope bound (dash-dot). `labelled` is shared by the calls that
    draw into one panel, so each legend entry appears once."""
    for name, rows in groups:
        rows = sorted(rows, key=lambda r: r["l"])
        l = np.array([r["l"] for r in rows])
        g = np.array([r["g"] for r in rows])
        pred = np.array([r["pred_line"] for r in rows])
        env = np.array([r["envelope"] for r in rows])
        colour = opts.get("colour") or _rho_colour(_base_rho(name), rhos)
        key = opts["key"] + ("" if opts.get("one_label") else str(_base_rho(name)))
        label = None
        if key not in labelled:
            labelled.add(key)
            label = opts["label"](name)
        ax.plot(l, g, linestyle=opts.get("ls", "-"), color=colour, linewidth=2.4, alpha=0.75, label=label)
        ax.plot(l, pred, linestyle=":", color="black", linewidth=0.9,
                label=opts.get("pred_label", "predicted $\\rho(A)^l$ (anchored at $l_0$)")
                if "pred" + opts.get("pred_label", "") not in labelled else None)
        labelled.add("pred" + opts.get("pred_label", ""))
        if opts.get("envelope", True) and np.isfinite(env).any():
            ax.plot(l, env, linestyle="-.", color=colour, linewidth=0.8, alpha=0.8,
                    label="envelope bound $\\|C\\|\\,\\kappa(S)\\,\\|B\\|\\,\\rho^l$" if "env" not in labelled else None)
            labelled.add("env")
        fit = fits.get(name)
        if fit is not None and opts.get("annotate", True):
            ax.annotate("$\\hat\\rho$=%.5g" % fit["rho_hat"], (l[-1], g[-1]), fontsize=6, color=colour,
                        xytext=(2, 0), textcoords="offset points", va="center")
    ax.set_yscale("log")
    ax.set_xlabel("lag $l$")
    ax.set_ylabel("$g(l)=\\|\\partial y_t/\\partial x_{t-l}\\|_2$")
    ax.set_title(title)


def _base_rho(label):
    """rho of the main setting a label was built from ('real_rho0.9_N6/hidden' -> 0.9)."""
    part = label.split("/")[0].split("_")
    for p in part:
        if p.startswith("rho"):
            return float(p[3:])
    return float("nan")


def ssm_gradient_decay(expdir, csv_path, stem):
    rows = _rows(csv_path)
    fit_rows = _sibling(csv_path, "_fits")
    fits = {r["setting"]: r for r in fit_rows}
    rhos = _sorted_unique(_base_rho(r["setting"]) for r in rows if r["role"] == "main")
    settings = _group(rows, "setting")
    order = list(dict.fromkeys(r["setting"] for r in rows))

    def pick(role, family=None):
        return [(s, settings[s]) for s in order
                if settings[s][0]["role"] == role and (family is None or settings[s][0]["family"] == family)]

    real = pick("main", "real")
    other = pick("main", "complex") + pick("main", "jordan")
    marginal, hidden = pick("control_marginal"), pick("control_hidden")
    window = [r["l"] for r in rows if r["in_window"] == 1.0 and r["role"] == "main"]
    wlo, whi = (min(window), max(window)) if window else (None, None)

    panels = ["real"] + (["other"] if other else []) + ["controls", "crit_i", "crit_ii"]
    ncols = 3 if len(panels) > 4 else 2
    fig, axes = style.figure(ncols=ncols, nrows=2, width=5.0 * ncols, height=8.4)
    axes = list(np.ravel(axes))
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    ax_of = dict(zip(panels, axes))
    several_N = len(_sorted_unique(r["N"] for r in rows)) > 1

    def shade(ax):
        if wlo is not None:
            ax.axvspan(wlo, whi, color="#2ca02c", alpha=0.06, label="fit window")

    # (a) real dominant eigenvalue
    ax = ax_of["real"]
    shade(ax)
    _decay_panel(ax, real, fits, rhos,
                 "real dominant eigenvalue" + (" (N = 4, 16, 32 per colour)" if several_N else ""),
                 {"key": "r", "label": lambda n: "measured, $\\rho(A)$=%g" % _base_rho(n), "annotate": not several_N},
                 set())
    ax.legend(loc="lower left", fontsize=7)

    # (b) complex pair and Jordan block
    if other:
        ax = ax_of["other"]
        shade(ax)
        cx = [o for o in other if o[1][0]["family"] == "complex"]
        jd = [o for o in other if o[1][0]["family"] == "jordan"]
        lab = set()
        _decay_panel(ax, cx, fits, rhos, "complex pair $\\rho e^{\\pm i\\theta}$ (solid), Jordan block s = 2 (dashed)",
                     {"key": "c", "label": lambda n: "complex, $\\rho$=%g" % _base_rho(n), "annotate": False}, lab)
        _decay_panel(ax, jd, fits, rhos, "complex pair $\\rho e^{\\pm i\\theta}$ (solid), Jordan block s = 2 (dashed)",
                     {"key": "j", "label": lambda n: "Jordan, $\\rho$=%g" % _base_rho(n), "annotate": False, "ls": "--",
                      "envelope": False, "pred_label": "predicted $l\\,\\rho^l$ (Jordan, anchored)"}, lab)
        ax.legend(loc="lower left", fontsize=6, ncol=2)

    # (c) negative controls
    ax = ax_of["controls"]
    shade(ax)
    lab = set()
    _decay_panel(ax, marginal, fits, rhos, "negative controls (dashed)",
                 {"key": "m", "one_label": True, "label": lambda n: "marginal: R(0.7) dominant, $\\rho(A)$=1, $\\hat\\rho\\approx$1",
                  "colour": "#7f7f7f", "ls": "--", "annotate": False, "envelope": False}, lab)
    _decay_panel(ax, hidden, fits, rhos, "negative controls (dashed)",
                 {"key": "h", "label": lambda n: "hidden mode ($w_1^TB=0$) of $\\rho$=%g" % _base_rho(n), "ls": "--",
                  "annotate": not several_N, "envelope": False}, lab)
    ax.legend(loc="lower left", fontsize=6)

    # (d), (e): the criterion, one point per fit, grouped by family and role
    groups = [("main", "real", "o", "real"), ("main", "complex", "D", "complex"), ("main", "jordan", "v", "Jordan"),
              ("control_marginal", None, "s", "control\nmarginal"), ("control_hidden", None, "x", "control\nhidden")]
    placed = []  # (fits, xs, marker, tick label)
    x0 = 0
    for role, family, marker, tick in groups:
        fr = [f for f in fit_rows if f["role"] == role and (family is None or f["family"] == family)]
        if fr:
            placed.append((role, fr, np.arange(x0, x0 + len(fr)), marker, tick))
            x0 += len(fr) + 2

    def colours_of(role, fr):
        return [_rho_colour(_base_rho(f["setting"]), rhos) for f in fr] if role == "main" else "#7f7f7f"

    ax = ax_of["crit_i"]
    for role, fr, xs, marker, tick in placed:
        lr = np.array([math.log(f["rho_A"]) for f in fr])
        b = np.array([f["b"] for f in fr]) - lr
        lo = b - (np.array([f["ci_lo"] for f in fr]) - lr)
        hi = (np.array([f["ci_hi"] for f in fr]) - lr) - b
        ax.errorbar(xs, b, yerr=[lo, hi], fmt="none", ecolor="black", elinewidth=0.8, capsize=2)
        ax.scatter(xs, b, c=colours_of(role, fr), marker=marker, s=16, zorder=3)
        tol = fr[0]["tol"]
        ax.fill_between([xs[0] - 0.5, xs[-1] + 0.5], -tol, tol, color="#2ca02c", alpha=0.15, linewidth=0)
    ax.plot([], [], color="#2ca02c", alpha=0.4, linewidth=6,
            label="criterion (i): CI inside $\\log\\rho(A)\\pm$0.01" + (" (complex: 0.02)" if other else ""))
    ax.errorbar([], [], yerr=[], fmt="none", ecolor="black", elinewidth=0.8, label="95% CI of the slope $b$")
    ax.set_yscale("symlog", linthresh=1e-2, linscale=1.5)
    ax.axhline(0, color="#d62728", linestyle="--", linewidth=0.9, label="predicted: $b=\\log\\rho(A)$")
    ax.set_xticks([xs.mean() for _, _, xs, _, _ in placed])
    ax.set_xticklabels([t for *_, t in placed], fontsize=8)
    ax.set_ylabel("$b-\\log\\rho(A)$ (symlog)")
    ax.set_title("criterion (i): fitted slope vs predicted rate")
    ax.legend(loc="lower left", fontsize=6)

    ax = ax_of["crit_ii"]
    for role, fr, xs, marker, tick in placed:
        ax.scatter(xs, [f["rho_hat_hi"] for f in fr], c=colours_of(role, fr), marker=marker, s=16, zorder=3)
        ax.scatter(xs, [f["rho_A"] for f in fr], marker="_", color="#d62728", s=60, zorder=2)
    ax.scatter([], [], marker="o", color="#1f77b4", s=16, label="measured $e^{b_{hi}}$ (upper 95% limit of $\\hat\\rho$)")
    ax.scatter([], [], marker="_", color="#d62728", s=60, label="predicted $\\rho(A)$")
    style.criterion_line(ax, 0.98, "criterion (ii): $e^{b_{hi}}\\leq 0.98$")
    ax.set_xticks([xs.mean() for _, _, xs, _, _ in placed])
    ax.set_xticklabels([t for *_, t in placed], fontsize=8)
    ax.set_ylabel("$\\hat\\rho$ upper limit $e^{b_{hi}}$")
    ax.set_title("criterion (ii): real attenuation")
    ax.legend(loc="lower left", fontsize=6)

    fig.suptitle("SSM gradient decay: $g(l)$ falls like $\\rho(A)^l$ (claim 4)", fontsize=11)
    fig.tight_layout()
    style.save(fig, _figdir(expdir), stem)


# ---------------------------------------------------------------- claim 5 ----------------


def gradient_highway(expdir, csv_path, stem):
    rows = _rows(csv_path)
    ns = _sorted_unique(int(r["n"]) for r in rows if r["series"] == "softmax")
    fig, axes = style.figure(ncols=len(ns), nrows=2, width=max(6.4, 5.2 * len(ns)), height=8.0, squeeze=False)
    ds = _sorted_unique(int(r["d"]) for r in rows if r["series"] == "softmax")
    fillers = ["zero", "random"]
    colours = {(d, f): style.PALETTE[(2 * k + j) % len(style.PALETTE)]
               for k, d in enumerate(ds) for j, f in enumerate(fillers)}
    for col, n in enumerate(ns):
        top, bot = axes[0][col], axes[1][col]
        sub = [r for r in rows if int(r["n"]) == n]
        tol = None
        for d in ds:
            for f in fillers:
                for series, ls, lab in (("softmax", "-", "softmax"), ("alibi", "--", "ALiBi control")):
                    s = sorted((r for r in sub if r["series"] == series and int(r["d"]) == d and r["filler"] == f),
                               key=lambda r: r["l"])
                    if not s:
                        continue
                    l = np.array([r["l"] for r in s])
                    c = colours[(d, f)] if series == "softmax" else "#7f7f7f"
                    mk = {"marker": "o" if f == "zero" else "s", "markevery": max(1, len(s) // 24),
                          "markersize": 3.5, "markerfacecolor": "none"} if series == "softmax" else {}
                    top.plot(l, [r["g_rel"] for r in s], linestyle=ls, color=c, linewidth=1.3, zorder=3,
                             label="%s, d=%d, filler %s" % (lab, d, "f=0" if f == "zero" else "random f"), **mk)
                    if series == "alibi":
                        gp = np.array([r["g_pred"] for r in s])
                        top.plot(l, gp / gp[0], linestyle=":", color="black", linewidth=0.8,
                                 label="ALiBi closed form" if (d, f) == (ds[0], "zero") else None)
                    tol = s[0]["tol_flat"]
                    bot.plot(l, _clip([r["rel_dev"] for r in s]), linestyle="none",
                             marker="o" if series == "softmax" else "x", markersize=2.5, color=c,
                             label="%s, d=%d, %s" % (lab, d, "f=0" if f == "zero" else "random f"))
        ssm = sorted((r for r in sub if r["series"] == "ssm_S1"), key=lambda r: r["l"])
        emu_rows = [r for r in sub if str(r["series"]).startswith("emulator")]
        if ssm:
            top.plot([r["l"] for r in ssm], [r["g_rel"] for r in ssm], color="#9467bd", linewidth=2.2, alpha=0.6,
                     label="SSM S1 ($0.9^{l}$)")
        if emu_rows:
            emu = sorted(emu_rows, key=lambda r: r["l"])
            step = max(1, len(emu) // 40)
            top.plot([r["l"] for r in emu][::step], [r["g_rel"] for r in emu][::step], linestyle="none",
                     marker="+", color="#8c564b", markersize=5,
                     label="H = k positional emulator of S1 (%s)" % str(emu[0]["series"]).split("_")[-1])
        top.axhline(1.0, color="#d62728", linestyle="--", linewidth=2.0, alpha=0.6, zorder=2,
                    label="predicted: flat $g(l)=g^*=\\|J\\|_2$ (closed form)")
        top.set_yscale("log")
        vals = [v for v in style.finite([r["g_rel"] for r in sub]) if v > 0]
        top.set_ylim(max(1e-20, min(vals) / 3), max(vals) * 5)
        top.set_xlabel("lag $l$ (query at $i=n-1$, key at $i-l$)")
        top.set_ylabel("$g(l)/g(1)$")
        top.set_title("n = %d" % n)
        if col == 0:
            top.legend(loc="lower left", fontsize=6)
        if tol is not None:
            style.criterion_line(bot, tol, "criterion: $8n\\varepsilon$ = %.3g" % tol)
        bot.set_yscale("log")
        bot.set_xlabel("lag $l$")
        bot.set_ylabel("$|g(l)-g(1)|/g(1)$ (0 drawn at 1e-17)")
        bot.set_title("flatness, n = %d" % n)
        if col == 0:
            bot.legend(loc="center right", fontsize=6)
        else:
            bot.legend(handles=[h for h, t in zip(*bot.get_legend_handles_labels()) if t.startswith("criterion")],
                       loc="center right", fontsize=7)
    fig.suptitle("Gradient highway: a softmax head's path does not depend on distance (claim 5)", fontsize=11)
    fig.tight_layout()
    style.save(fig, _figdir(expdir), stem)


# ---------------------------------------------------------------- claim 6 ----------------


def lower_bound_scope(expdir, csv_path, stem):
    rows = _rows(csv_path)
    settings = {int(r["d"]): r for r in _sibling(csv_path, "_settings")}
    ds = _sorted_unique(int(r["d"]) for r in rows)
    fig, axes = style.figure(ncols=len(ds), nrows=1, width=4.6 * len(ds), height=4.4, squeeze=False)
    for col, d in enumerate(ds):
        ax = axes[0][col]
        sub = [r for r in rows if int(r["d"]) == d]
        by_i = _group(sub, "i")
        i = np.array(sorted(by_i))
        free = [[r["resid_free"] for r in by_i[k]] for k in i]
        pos = [[r["resid_pos"] for r in by_i[k]] for k in i]
        fmax, fmin = _clip([max(v) for v in free]), _clip([min(v) for v in free])
        pmax, pmin = _clip([max(v) for v in pos]), _clip([min(v) for v in pos])
        ax.axvspan(i[0] - 0.5, d - 1 - 0.5, color="#7f7f7f", alpha=0.12, label="$i<d-1$: not judged")
        ax.fill_between(i, pmin, pmax, color="#7f7f7f", alpha=0.25, linewidth=0)
        every = max(1, len(i) // 40)
        ax.plot(i, pmax, markevery=every, **dict(style.CONTROL, label="positional head $c(m)=\\langle I,K_m\\rangle/d$ (control), max / range"))
        ax.fill_between(i, fmin, fmax, color="#1f77b4", alpha=0.25, linewidth=0)
        ax.plot(i, fmax, markevery=every, **dict(style.MEASURED, label="free head (per-input $\\alpha$), max / range"))
        s = settings.get(d)
        if s is not None and isinstance(s.get("r1"), float):
            ax.axhline(s["r1"], color="#d62728", linestyle=":", linewidth=1.0,
                       label="operator-level bound $r_1$ (Eckart-Young; binds $W_{ij}$, not outputs)")
            ax.annotate("$r_1$ = %.3g, k = %d" % (s["r1"], int(s["k_meas"])), (i[-1], s["r1"]), fontsize=7,
                        color="#d62728", xytext=(0, -9), textcoords="offset points", ha="right")
        ax.axvline(d - 1, color="black", linestyle="--", linewidth=0.9, label="$i=d-1$")
        style.criterion_line(ax, 1e-10, "criterion: $\\leq 10^{-10}$ for $i\\geq d-1$")
        ax.axhline(FLOOR, color="black", linewidth=0.5, alpha=0.4)
        ax.set_yscale("log")
        ax.set_ylim(FLOOR / 3, None)
        ax.set_xlabel("position $i$")
        ax.set_ylabel("relative residual $\\|\\hat y_i-y_i\\|/\\|y_i\\|$ (0 at 1e-17)")
        n = int(sub[0]["n"])
        ax.set_title("d = p = %d, N = %d, n = %d" % (d, int(sub[0]["N"]), n))
        if col == 0:
            ax.legend(loc="center right", fontsize=6)
    fig.suptitle("Scope of the lower bound: one free head matches a k$\\geq$2 SSM's outputs (claim 6)", fontsize=11)
    fig.tight_layout()
    style.save(fig, _figdir(expdir), stem)
