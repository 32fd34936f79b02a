"""Figures of the nw_ensemble experiment, one function per figure, each reading the CSVs that
`attnlab run nw_ensemble` wrote under <expdir>/data/ and writing <expdir>/figures/."""
import style

from . import figs

FIGURES = [
    ("softmax_is_nw", figs.softmax_is_nw),
    ("mha_is_nw_ensemble", figs.mha_is_nw_ensemble),
    ("bvc_identity", figs.bvc_identity),
    ("angle_decorrelation", figs.angle_decorrelation),
    ("mse_vs_hdi", figs.mse_vs_hdi),
    ("optimal_allocation", figs.optimal_allocation),
    ("dk_log_n", figs.dk_log_n),
    ("heads_linear_in_budget", figs.heads_linear_in_budget),
]


def plot_all(expdir):
    """Draws every figure whose CSV exists (a run restricted by --claim writes only some)."""
    return style.draw_available(expdir, FIGURES)
