"""Figures of the ssm_heads experiment, one function per figure, each reading the CSVs
that `attnlab run ssm_heads` wrote under <expdir>/data/ and writing <expdir>/figures/."""
import style

from . import operator_figs, gradient_figs

FIGURES = [
    ("ssm_heads_emulation_vs_heads", operator_figs.emulation_vs_heads),
    ("ssm_heads_deficit_below_k", operator_figs.deficit_below_k),
    ("ssm_heads_rank_gap", operator_figs.rank_gap),
    ("ssm_heads_ssm_gradient_decay", gradient_figs.ssm_gradient_decay),
    ("ssm_heads_gradient_highway", gradient_figs.gradient_highway),
    ("ssm_heads_lower_bound_scope", gradient_figs.lower_bound_scope),
]


def plot_all(expdir):
    """Draws every figure whose CSV exists (a run restricted by --claim writes only some)."""
    return style.draw_available(expdir, FIGURES)
