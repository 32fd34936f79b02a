"""Figures of the rank_collapse experiment, one function per figure, each reading the CSVs that
`attnlab run rank_collapse` wrote under <expdir>/data/ and writing <expdir>/figures/<stem>.png and .pdf.
All figures are random-initialisation analogues, not [D]'s pretrained-model figures."""
import math
import os

import numpy as np

import style

EPS = 2.220446049250313e-16


def _rows(table):
    keys = list(table.keys())
    count = len(table[keys[0]]) if keys else 0
    return [{k: table[k][i] for k in keys} for i in range(count)]


def _fig_dir(expdir):
    return os.path.join(expdir, "figures")


def _num(v):
    return v if isinstance(v, float) else float("nan")


# ---------------------------------------------------------------- claim 1
def san_residual_bound(expdir, csvs, stem):
    rows = _rows(style.read_csv(csvs[0]))
    fig, axes = style.figure(ncols=2, width=11, height=4.2)
    for ax, arm, title in ((axes[0], "san", "pure SAN (100 digits; 250 in full mode)"),
                           (axes[1], "mlp", "SAN + ReLU MLP (150 digits)")):
        traj = {}
        for r in rows:
            if r["arm"] == arm or (arm == "san" and r["arm"] == "skip_control"):
                traj.setdefault((r["arm"], r["family"], r["trial"]), []).append(r)
        meas, bound, chain, g1 = {}, {}, {}, {}
        first = {"san": True, "skip_control": True, "mlp": True}
        floor_drawn = False
        for (a, fam, t), rs in sorted(traj.items()):
            rs.sort(key=lambda r: r["layer"])
            L = [r["layer"] for r in rs]
            m = [r["log10_m"] for r in rs]
            color = style.PALETTE[1] if a == "skip_control" else style.PALETTE[0]
            ax.plot(L, m, color=color, alpha=0.5 if a == "skip_control" else 0.25, linewidth=0.7,
                    label=("skip control (per trial)" if a == "skip_control" else "measured m(X^l) per trial")
                    if first[a] else None)
            first[a] = False
            if a != "skip_control":
                for r in rs:
                    meas.setdefault(r["layer"], []).append(r["log10_m"])
                    bound.setdefault(r["layer"], []).append(r["log10_layer_bound"])
                    chain.setdefault(r["layer"], []).append(r["log10_chained"])
                    g1.setdefault(r["layer"], []).append(r["log10_layer_bound_g1"])
                if not floor_drawn:
                    floor = [r["log10_floor_rho"] + (r["log10_m"] - r["log10_rho"]) for r in rs]
                    ax.fill_between(L, [f - 400 for f in floor], floor, color="0.85", label="precision floor (rho < 10^-(D-20))")
                    floor_drawn = True
        Ls = sorted(meas)
        med = lambda d: [float(np.median(d[l])) for l in Ls]
        ax.plot(Ls, med(meas), color=style.PALETTE[0], marker="o", linewidth=2, label="measured (median)")
        ax.plot(Ls[1:], med(bound)[1:], color=style.PALETTE[3], linestyle="--", label="per-layer bound c_l m_{l-1}^3 (median)")
        ax.plot(Ls[1:], med(chain)[1:], color=style.PALETTE[3], linestyle=":", label="chained bound (median)")
        ax.plot(Ls[1:], med(g1)[1:], color="0.5", linestyle="--", linewidth=1, label="per-layer bound, gamma = 1 (median)")
        floors = [r["log10_floor_rho"] + (r["log10_m"] - r["log10_rho"]) for r in rows if r["arm"] == arm]
        lo = min(min(med(meas)), min(med(chain)), float(np.median(floors)) if floors else 0) - 10
        ax.set_ylim(lo, 10)
        ax.set_xticks(Ls)
        ax.set_xlabel("layer l")
        ax.set_ylabel("log10 m(X^l) = log10 ||C_n X^l||_{1,inf}")
        ax.set_title(title)
        ax.legend(loc="lower left")
    fig.suptitle("Claim 1: criterion m_l <= c_l m_{l-1}^3 (measured below the dashed red line)")
    style.save(fig, _fig_dir(expdir), stem)


# ---------------------------------------------------------------- claim 2
def san_cubic_rate(expdir, csvs, stem):
    rows = _rows(style.read_csv(csvs[0]))
    fits = {r["arm"]: r for r in _rows(style.read_csv(csvs[1]))} if len(csvs) > 1 and os.path.exists(csvs[1]) else {}
    fig, ax = style.figure(width=6.4, height=4.8)
    colors = {"san": style.PALETTE[0], "frozen": style.PALETTE[1], "skip": "0.5"}
    names = {"san": "pure SAN", "frozen": "frozen attention (control)", "skip": "skip (control)"}
    allx = []
    for arm in ("san", "frozen", "skip"):
        xs = [r["ln_m"] for r in rows if r["arm"] == arm]
        ys = [r["ln_m_next"] for r in rows if r["arm"] == arm]
        allx += xs
        f = fits.get(arm)
        lab = names[arm]
        if f:
            lab += " : slope %.3f [%.3f, %.3f]" % (f["slope"], f["slope_lo"], f["slope_hi"])
        ax.scatter(xs, ys, s=12, color=colors[arm], label=lab, alpha=0.7)
        if f and xs:
            xx = np.array([min(xs), max(xs)])
            ax.plot(xx, f["intercept"] + f["slope"] * xx, color=colors[arm], linewidth=1)
    xx = np.array([min(allx), max(allx)])
    x0 = float(np.median(allx))
    ax.plot(xx, 3 * (xx - x0) + 3 * x0, color=style.PALETTE[3], linestyle="--", label="slope 3 (predicted, [D] Thm 2.2)")
    ax.plot(xx, xx, color=style.PALETTE[2], linestyle=":", label="slope 1")
    ax.set_xlabel("ln m_l")
    ax.set_ylabel("ln m_{l+1}")
    ax.set_title("Claim 2: criterion 95 % CI of the SAN slope inside [2.7, 3.3]")
    ax.legend(loc="upper left")
    style.save(fig, _fig_dir(expdir), stem)


# ---------------------------------------------------------------- claim 3
def skip_prevents_collapse(expdir, csvs, stem):
    rows = _rows(style.read_csv(csvs[0]))
    fig, axes = style.figure(ncols=2, width=11, height=4.2)
    styles = {"san": ("SAN", ":"), "san_mlp": ("SAN + MLP", "--"), "san_skip": ("SAN + skip", "-."),
              "transformer_postln": ("transformer (post-LN)", "-"),
              "stress_noln": ("skip, no LN", "-."), "stress_preln": ("skip, pre-LN", "-"),
              "stress_postln": ("skip, post-LN", "--")}
    for ax, group, title in ((axes[0], ("san", "san_mlp", "san_skip", "transformer_postln"),
                              "BERT-like init (std 0.02), random weights"),
                             (axes[1], ("stress_noln", "stress_preln", "stress_postln"),
                              "stress series: std 2/sqrt(d), 48 layers (report only)")):
        for k, v in enumerate(group):
            by = {}
            for r in rows:
                if r["variant"] == v:
                    by.setdefault(r["layer"], []).append(max(r["log10_ratio"], -17))
            if not by:
                continue
            L = sorted(by)
            mu = np.array([np.mean(by[l]) for l in L])
            sd = np.array([np.std(by[l]) for l in L])
            name, ls = styles[v]
            c = style.PALETTE[[0, 1, 4, 3][k]]
            ax.plot(L, mu, linestyle=ls, color=c, label=name + " (mean +- std)",
                    linewidth=3 if v == "san_skip" else 1.5, zorder=3 if v == "san_skip" else 2)
            ax.fill_between(L, mu - sd, mu + sd, color=c, alpha=0.15)
        style.criterion_line(ax, math.log10(0.5), "criterion 0.5")
        ax.set_xlabel("layer l")
        ax.set_ylabel("log10 rho(X^l) / rho(X^0)  (clipped at -17)")
        ax.set_title(title)
        ax.legend(loc="lower left")
    fig.suptitle("Claim 3: relative residual vs depth (random-initialisation analogue of [D]'s figure)")
    style.save(fig, _fig_dir(expdir), stem)


def path_length_distribution(expdir, csvs, stem):
    rows = _rows(style.read_csv(csvs[0]))
    fig, ax = style.figure(width=7, height=4.5)
    models = []
    for r in rows:
        if r["model"] not in models:
            models.append(r["model"])
    import matplotlib
    cmap = matplotlib.colormaps["tab10"]
    for i, m in enumerate(models):
        rs = [r for r in rows if r["model"] == m]
        k = [r["k"] for r in rs]
        s = [r["share"] for r in rs]
        ax.plot(k, s, marker=".", color=cmap(i % 10), label="%s (H %d, L %d)" % (m, rs[0]["H"], rs[0]["L"]))
    ax.set_xscale("symlog", linthresh=1)
    ax.set_yscale("log")
    ax.set_ylim(1e-30, 1.5)
    ax.set_xlabel("path length k (symlog)")
    ax.set_ylabel("share of paths C(L,k) H^k / (1+H)^L (clipped at 1e-30)")
    ax.set_title("Path-length distribution with skips ([D] Thm 2.1; theory only)")
    ax.legend(loc="lower right", fontsize=7)
    style.save(fig, _fig_dir(expdir), stem)


# ---------------------------------------------------------------- claim 4
def residual_generic_rank(expdir, csvs, stem):
    rows = _rows(style.read_csv(csvs[0]))
    fig, axes = style.figure(ncols=2, width=11, height=4.2)
    for ax, arms, title in ((axes[0], ("residual", "no_skip"), "post-LN attention stack, no MLP (std 0.02)"),
                            (axes[1], ("stress_postln",), "stress series: post-LN, std 2/sqrt(d), 48 layers")):
        for k, a in enumerate(arms):
            by = {}
            for r in rows:
                if r["arm"] == a:
                    by.setdefault(r["layer"], []).append(max(r["log10_kappa_inv"], -20))
            if not by:
                continue
            L = sorted(by)
            lo = [min(by[l]) for l in L]
            hi = [max(by[l]) for l in L]
            med = [float(np.median(by[l])) for l in L]
            c = style.PALETTE[k] if a != "no_skip" else style.CONTROL["color"]
            lab = {"residual": "residual (measured)", "no_skip": "no skip (control)",
                   "stress_postln": "post-LN stress (measured)"}[a]
            ax.plot(L, med, color=c, label=lab + ", median and range")
            ax.fill_between(L, lo, hi, color=c, alpha=0.2)
        style.criterion_line(ax, -6, "criterion kappa^-1 >= 1e-6")
        ax.set_xlabel("layer l")
        ax.set_ylabel("log10 sigma_min / sigma_max of X^l (clipped at -20)")
        ax.set_title(title)
        ax.legend(loc="lower left")
    fig.suptitle("Claim 4: predicted rank min(n, d) kept by the residual stack")
    style.save(fig, _fig_dir(expdir), stem)


# ---------------------------------------------------------------- claims 5, 6
def ln_rank(expdir, csvs, stem):
    fig, axes = style.figure(ncols=2, width=11, height=4.4)
    rng = np.random.default_rng(0)
    ax = axes[0]
    if os.path.exists(csvs[0]):
        rows = _rows(style.read_csv(csvs[0]))
        cells = []
        for r in rows:
            key = (int(r["n"]), int(r["d"]), int(r["k"]), int(r["offset"]))
            if key not in cells:
                cells.append(key)
        for i, key in enumerate(cells):
            rs = [r for r in rows if (int(r["n"]), int(r["d"]), int(r["k"]), int(r["offset"])) == key]
            j = rng.uniform(-0.15, 0.15, len(rs))
            ax.scatter(i + j - 0.2, [r["rank_x"] for r in rs], facecolors="none", edgecolors=style.PALETTE[0], s=14,
                       label="rank(X)" if i == 0 else None)
            ax.scatter(i + j, [r["rank_ln"] for r in rs], color=style.PALETTE[0], s=10,
                       label="rank(LN_{b=0}(X))" if i == 0 else None)
            ax.scatter(i + j + 0.2, [r["rank_ln_bias"] for r in rs], color=style.CONTROL["color"], marker="x", s=12,
                       label="rank(LN_b(X)) (control)" if i == 0 else None)
            ax.plot([i - 0.35, i + 0.35], [rs[0]["rank_exact"]] * 2, color=style.PALETTE[3],
                    label="exact formula rank(X Pi_d)" if i == 0 else None)
        ax.set_xticks(range(len(cells)))
        ax.set_xticklabels(["(%d,%d) k=%d%s" % (n, d, k, "+1" if o else "") for n, d, k, o in cells], fontsize=6,
                           rotation=90)
        ax.set_xlabel("cell (n, d, prescribed k; +1 = offset 1 a^T)")
        ax.set_ylabel("matrix rank")
        ax.set_title("Claim 5: zero-bias LN keeps rank (criterion: filled = open)")
        ax.legend(loc="upper left")
    ax = axes[1]
    if len(csvs) > 1 and os.path.exists(csvs[1]):
        rows = _rows(style.read_csv(csvs[1]))
        fams = ["a", "b", "c", "d", "e"]
        names = {"a": "(a) generic\nn<=d", "b": "(b) affine\noff origin", "c": "(c) offset\nalong 1_d",
                 "d": "(d) ray", "e": "(e) n>d"}
        ds = sorted(set(int(r["d"]) for r in rows))
        for i, f in enumerate(fams):
            rs = [r for r in rows if r["family"] == f]
            if not rs:
                continue
            j = rng.uniform(-0.12, 0.12, len(rs))
            ax.scatter(i + j - 0.2, [r["aff_x"] for r in rs], facecolors="none", edgecolors=style.PALETTE[0], s=14,
                       label="aff(X) = paper's prediction for aff(LN X)" if i == 0 else None)
            ax.scatter(i + j + 0.05, [r["aff_ln"] for r in rs], color=style.PALETTE[0], s=10,
                       label="aff(LN(X)) measured" if i == 0 else None)
            ax.scatter(i + j + 0.25, [r["aff_exact"] for r in rs], color=style.PALETTE[3], marker="x", s=14,
                       label="exact formula" if i == 0 else None)
            eq = sum(1 for r in rs if r["aff_ln"] == r["aff_x"])
            names[f] += "\n%d/%d equal" % (eq, len(rs))
        ax.set_xticks(range(len(fams)))
        ax.set_xticklabels([names[f] for f in fams], fontsize=7)
        ax.set_ylabel("affine rank")
        ax.set_title("Claim 6 (expected FAIL): aff(LN X) = aff(X)? d = %s" % ",".join(map(str, ds)))
        ax.legend(loc="upper left")
    style.save(fig, _fig_dir(expdir), stem)


# ---------------------------------------------------------------- claim 7
def attention_span(expdir, csvs, stem):
    rows = _rows(style.read_csv(csvs[0]))
    fig, ax = style.figure(width=6.8, height=4.4)
    settings = []
    for r in rows:
        if r["setting"] not in settings:
            settings.append(r["setting"])
    for k, s in enumerate(settings):
        rs = [r for r in rows if r["setting"] == s]
        for col, ls, lab in (("escape", "-", "attention only"), ("escape_mlp", "--", "with MLP (control)")):
            by = {}
            for r in rs:
                by.setdefault(r["layer"], []).append(math.log10(max(r[col], 1e-17)))
            L = sorted(by)
            ax.plot(L, [max(by[l]) for l in L], linestyle=ls, marker="o", color=style.PALETTE[k],
                    label="%s, %s (max over seeds)" % (s, lab))
    L = sorted(set(r["layer"] for r in rows))
    ax.plot(L, [math.log10(1000 * EPS * l) for l in L], **{**style.CRITERION, "label": "tolerance 1000 eps L"})
    ax.set_xlabel("layer l")
    ax.set_ylabel("log10 escape ||X - X Q Q^T||_F / ||X||_F (clipped at -17)")
    ax.set_title("Claim 7: tokens stay in the predicted span S_l (prediction: escape 0)")
    ax.legend(loc="center right", fontsize=7)
    style.save(fig, _fig_dir(expdir), stem)


# ---------------------------------------------------------------- claim 8
def head_channel_nullity(expdir, csvs, stem):
    rows = _rows(style.read_csv(csvs[0]))
    fig, ax = style.figure(width=6, height=4.6)
    kinds = [("pure_sum", "pure sum (measured)", "o", style.PALETTE[0]),
             ("shared_projection", "shared W_bar (measured)", "s", style.PALETTE[1]),
             ("bert_base_kronecker", "BERT-base via per-token block", "*", style.PALETTE[2]),
             ("control_concat_invertible", "concat + invertible W_O (control)", "x", style.CONTROL["color"])]
    allp = [r["predicted"] for r in rows]
    for kind, lab, mk, c in kinds:
        rs = [r for r in rows if r["kind"] == kind]
        if not rs:
            continue
        ax.scatter([r["predicted"] + 1 for r in rs], [r["measured"] + 1 for r in rs], marker=mk, color=c, label=lab,
                   s=30 if mk != "*" else 120, facecolors="none" if mk in "os" else None)
    mx = max(allp) + 1
    ax.plot([1, mx], [1, mx], **{**style.PREDICTED, "label": "predicted n (H-1) d_k"})
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("predicted nullity n (H-1) d_k  (+1, log)")
    ax.set_ylabel("measured nullity (+1, log)")
    ax.set_title("Claim 8: criterion measured = predicted in every cell")
    ax.legend(loc="upper left")
    style.save(fig, _fig_dir(expdir), stem)


# ---------------------------------------------------------------- claim 9
def pgop_overhead(expdir, csvs, stem):
    rows = _rows(style.read_csv(csvs[0]))
    fig, ax = style.figure(width=6.4, height=4.4)
    dk = np.array([8, 16, 32, 64, 128, 256])
    ax.plot(dk, 100.0 / dk, **{**style.PREDICTED, "label": "formula 100 / d_k %"})
    for k, r in enumerate(rs for rs in rows if rs["kind"] == "pgop"):
        ax.scatter([r["dk"]], [100 * r["ratio"]], color=style.PALETTE[k % 8], zorder=3,
                   label="%s: %.4g %%" % (r["model"], 100 * r["ratio"]))
    style.criterion_line(ax, 1.6, "criterion < 1.6 % (BERT-base)")
    for r in rows:
        if r["kind"] == "control":
            ax.annotate("control: per-channel gates %.0f %% (off chart)" % (100 * r["ratio"]), (8, 0.45),
                        fontsize=8, ha="left")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_ylim(0.3, 20)
    ax.set_xlabel("head width d_k (log2)")
    ax.set_ylabel("PG-OP extra parameters / output projection (%)")
    ax.set_title("Claim 9: PG-OP overhead H/d = 1/d_k (counted from the modules)")
    ax.legend(loc="upper right", fontsize=7)
    style.save(fig, _fig_dir(expdir), stem)


# ---------------------------------------------------------------- claim 10
def hopfield_hidden_state(expdir, csvs, stem):
    rows = _rows(style.read_csv(csvs[0]))
    fig, axes = style.figure(ncols=2, width=11, height=4.4)
    arms = []
    for r in rows:
        if r["arm"] not in arms:
            arms.append(r["arm"])
    floor = rows[0]["log10_floor"]
    for k, a in enumerate(arms):
        by, cos, env = {}, {}, {}
        for r in rows:
            if r["arm"] == a:
                by.setdefault(r["layer"], []).append(r["log10_rho"])
                cos.setdefault(r["layer"], []).append(r["cosine"])
                env.setdefault(r["layer"], []).append(_num(r["log10_envelope"]))
        L = sorted(by)
        med = [float(np.median(by[l])) for l in L]
        q1 = [float(np.percentile(by[l], 25)) for l in L]
        q3 = [float(np.percentile(by[l], 75)) for l in L]
        c = style.PALETTE[k % 8]
        ls = "--" if "h0zero" in a or a.startswith("skip") else "-"
        axes[0].plot(L, med, color=c, linestyle=ls, marker="o", markersize=3, label="a' = %s" % a[1:] if a.startswith("a") else a)
        axes[0].fill_between(L, q1, q3, color=c, alpha=0.15)
        axes[1].plot(L, [float(np.median(cos[l])) for l in L], color=c, linestyle=ls, marker="o", markersize=3,
                     label="a' = %s" % a[1:] if a.startswith("a") else a)
        if a == "a0":
            e = [float(np.nanmedian(env[l])) if np.isfinite(env[l]).any() else np.nan for l in L]
            axes[0].plot(L, e, color="k", linestyle=":", label="claim-1 chained envelope (a' = 0, median)")
    L = sorted(set(r["layer"] for r in rows))
    axes[0].axhspan(floor - 50, floor, color="0.85", label="precision floor 1e-80 (censored)")
    axes[0].set_ylim(floor - 10, 5)
    axes[0].set_xlabel("layer l")
    axes[0].set_ylabel("log10 rho(X^l) (median, IQR band)")
    axes[0].set_title("criterion: paired Delta at a' = 0.5 >= 1 decade")
    axes[0].legend(loc="lower left", fontsize=7)
    axes[1].set_xlabel("layer l")
    axes[1].set_ylabel("mean pairwise cosine similarity (median)")
    axes[1].set_title("token uniformity")
    axes[1].legend(loc="lower right", fontsize=7)
    fig.suptitle("Claim 10: Hopfield hidden state (a' > 0) vs plain attention (a' = 0), no skip")
    style.save(fig, _fig_dir(expdir), stem)


FIGURES = [
    ("san_residual_bound", ["san_residual_bound"], san_residual_bound),
    ("san_cubic_rate", ["san_cubic_rate", "san_cubic_rate_fit"], san_cubic_rate),
    ("skip_prevents_collapse", ["skip_prevents_collapse"], skip_prevents_collapse),
    ("path_length_distribution", ["path_length_distribution"], path_length_distribution),
    ("residual_generic_rank", ["residual_generic_rank"], residual_generic_rank),
    ("ln_rank", ["ln_rank_matrix", "ln_rank_affine"], ln_rank),
    ("attention_span", ["attention_span"], attention_span),
    ("head_channel_nullity", ["head_channel_nullity"], head_channel_nullity),
    ("pgop_overhead", ["pgop_overhead"], pgop_overhead),
    ("hopfield_hidden_state", ["hopfield_hidden_state"], hopfield_hidden_state),
]


def plot_all(expdir):
    """Draws every figure for which at least one of its CSVs exists (a run restricted by --claim writes only some)."""
    made = []
    for stem, csv_stems, fn in FIGURES:
        paths = [os.path.join(expdir, "data", s + ".csv") for s in csv_stems]
        if any(os.path.exists(p) for p in paths):
            if not os.path.exists(paths[0]) and fn is not ln_rank:
                continue
            fn(expdir, paths, stem)
            made.append(stem)
    return made
