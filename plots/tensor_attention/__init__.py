"""Figures of the tensor_attention experiment, one function per figure (figs.py), each reading
the CSVs that `attnlab run tensor_attention` wrote under <expdir>/data/ and writing
<expdir>/figures/<stem>.png and .pdf."""
import os

from .figs import identity, error_vs_degree, degree_budget, threshold_map, cost_scaling, match3, tpa_cache

# (figure stem, CSV it reads, function)
FIGURES = [
    ("tensor_attention_identity", "factored_identity", identity),
    ("tensor_attention_error_vs_degree", "taylor_error_bound", error_vs_degree),
    ("tensor_attention_degree_budget", "degree_budget_summary", degree_budget),
    ("tensor_attention_threshold_map", "degree_budget_threshold_map", threshold_map),
    ("tensor_attention_cost_scaling", "near_linear_cost", cost_scaling),
    ("tensor_attention_match3", "match3_expressivity", match3),
    ("tensor_attention_tpa_cache", "tpa_factored_cache", tpa_cache),
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
