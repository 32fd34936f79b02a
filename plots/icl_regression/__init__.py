"""Figures of the icl_regression experiment, one function per figure, each reading the CSVs
that `attnlab run icl_regression` wrote under <expdir>/data/ and writing <expdir>/figures/.
Spec: shared/claims/icl_regression.md ("Figures to regenerate")."""
import os

from . import figs

# (figure stem, CSV it needs, function)
FIGURES = [
    ("gradient_check", "gradient_check", figs.gradient_check),
    ("dgd_limit", "dgd_limit", figs.dgd_limit),
    ("patterns_heatmaps", "patterns_matrices", figs.patterns_heatmaps),
    ("patterns_snapshots", "patterns_matrices", figs.patterns_snapshots),
    ("patterns_metrics", "patterns_seeds", figs.patterns_metrics),
    ("patterns_dynamics", "patterns_dynamics", figs.patterns_dynamics),
    ("risk_vs_n", "risk_vs_n", figs.risk_vs_n),
    ("risk_vs_heads", "risk_vs_n", figs.risk_vs_heads),
    ("reduced_loss", "reduced_loss", figs.reduced_loss),
    ("near_bayes", "near_bayes", figs.near_bayes),
    ("length_generalization", "length_generalization", figs.length_generalization),
    ("multitask_P", "multitask_P", figs.multitask_P),
    ("multitask_heads", "multitask_heads", figs.multitask_heads),
    ("multitask_selectivity", "multitask_selectivity", figs.multitask_selectivity),
    ("preconditioned_heatmaps", "preconditioned_matrices", figs.preconditioned_heatmaps),
]


def plot_all(expdir):
    """Draws every figure whose CSV exists (a run restricted by --claim writes only some)."""
    made = []
    for stem, csv_stem, fn in FIGURES:
        csv_path = os.path.join(expdir, "data", csv_stem + ".csv")
        if os.path.exists(csv_path):
            fn(expdir, csv_path, stem)
            made.append(stem)
    return made
