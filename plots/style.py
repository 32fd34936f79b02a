"""Shared matplotlib style of attnlab's figures, and the one way to save them.

Import this module before pyplot is used: it selects the Agg backend and fixes everything
that would otherwise make a figure's bytes differ between runs (dates, versions, hash
salts), so the same CSVs always give the same PNG and PDF files.

    import style
    fig, ax = style.figure()
    ax.plot(x, measured, **style.MEASURED)
    ax.plot(x, predicted, **style.PREDICTED)
    style.criterion_line(ax, 5.7e-14, "criterion: <= 256 eps")
    style.save(fig, figdir, "ssm_heads_rank_gap")   # figures/ssm_heads_rank_gap.png and .pdf
"""
import csv
import math
import os

os.environ["SOURCE_DATE_EPOCH"] = "0"

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

RC = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 1.5,
    "lines.markersize": 4,
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "svg.hashsalt": "attnlab",
    "svg.fonttype": "none",
    "path.simplify": False,
}
matplotlib.rcParams.update(RC)

# Roles, not colours: every figure draws the measured series beside the predicted curve or
# bound and marks the criterion; the negative control is drawn in its own colour.
MEASURED = {"color": "#1f77b4", "marker": "o", "linestyle": "-", "label": "measured"}
PREDICTED = {"color": "#d62728", "linestyle": "--", "label": "predicted"}
BOUND = {"color": "#d62728", "linestyle": ":", "label": "bound"}
CONTROL = {"color": "#7f7f7f", "marker": "x", "linestyle": "-", "label": "negative control"}
CRITERION = {"color": "#2ca02c", "linestyle": "-.", "linewidth": 1.0}
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]

# Metadata that would embed a date or a version is removed.
PNG_METADATA = {"Software": None}
PDF_METADATA = {"Creator": None, "Producer": None, "CreationDate": None}


def figure(ncols=1, nrows=1, width=None, height=None, **kwargs):
    """A new figure and its axes, sized for a report page."""
    w = width if width is not None else 6.4 if ncols == 1 else 3.6 * ncols
    h = height if height is not None else 4.0 if nrows == 1 else 3.0 * nrows
    return plt.subplots(nrows, ncols, figsize=(w, h), **kwargs)


def criterion_line(ax, y, label, horizontal=True):
    """Marks a criterion (a threshold or a band edge) on the axes."""
    if horizontal:
        ax.axhline(y, label=label, **CRITERION)
    else:
        ax.axvline(y, label=label, **CRITERION)


def _number(text):
    """A CSV cell as attnlab writes it: shortest round-trip numbers, 'nan', 'inf', '-inf'."""
    try:
        return float(text)
    except ValueError:
        return text


def read_csv(path):
    """Reads a CSV with a header row into {column: [values]}; numbers become floats."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        return {}
    header, body = rows[0], rows[1:]
    return {name: [_number(r[k]) for r in body] for k, name in enumerate(header)}


def finite(values):
    """Only the finite floats of a column (for axis limits)."""
    return [v for v in values if isinstance(v, float) and math.isfinite(v)]


def save(fig, figdir, stem):
    """Writes <figdir>/<stem>.png and .pdf, each atomically, with fixed metadata; closes the figure."""
    os.makedirs(figdir, exist_ok=True)
    paths = []
    for ext, metadata in (("png", PNG_METADATA), ("pdf", PDF_METADATA)):
        path = os.path.join(figdir, stem + "." + ext)
        tmp = "%s.tmp.%d" % (path, os.getpid())
        try:
            fig.savefig(tmp, format=ext, metadata=metadata)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
        paths.append(path)
    plt.close(fig)
    return paths


def draw_available(expdir, figures):
    """Draws each figure whose CSV exists under <expdir>/data/ (a run restricted by --claim
    writes only some) and returns the stems drawn. `figures` holds (stem, fn) pairs, the CSV
    named like the figure, or (stem, csv_stem, fn) triples; fn(expdir, csv_path, stem)."""
    made = []
    for entry in figures:
        stem, fn = entry[0], entry[-1]
        csv_stem = entry[1] if len(entry) == 3 else stem
        csv_path = os.path.join(expdir, "data", csv_stem + ".csv")
        if os.path.exists(csv_path):
            fn(expdir, csv_path, stem)
            made.append(stem)
    return made
