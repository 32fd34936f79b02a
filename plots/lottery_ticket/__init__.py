"""Figures of the lottery_ticket experiment, one function per figure, each reading the CSVs
that `attnlab run lottery_ticket` wrote under <expdir>/data/ and writing <expdir>/figures/."""
import style

from . import figs

FIGURES = [
    ("subset_sum_rate", figs.subset_sum_rate),
    ("merge_identity", figs.merge_identity),
    ("mha_error_vs_width", figs.mha_error_vs_width),
    ("length_independence", figs.length_independence),
    ("theorem_width_success", figs.theorem_width_success),
    ("transformer_error_vs_width", figs.transformer_error_vs_width),
]


def plot_all(expdir):
    """Draws every figure whose CSV exists (a run restricted by --claim writes only some)."""
    return style.draw_available(expdir, FIGURES)
