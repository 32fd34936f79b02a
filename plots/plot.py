#!/usr/bin/env python3
"""Draws the figures of one experiment's run: plot.py <out>/<experiment>

The experiment is named by <expdir>/report.json if present, else by the folder's name.
Its module plots/<experiment>.py (or package plots/<experiment>/) provides
plot_all(expdir), which reads <expdir>/data/*.csv and writes <expdir>/figures/ through
style.save. An experiment without a plot module is not an error: a note is printed and
the exit status is 0. Any other failure exits non-zero (attnlab then warns, once).
Uses numpy, matplotlib, csv and the standard library only.
"""
import importlib
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def experiment_of(expdir):
    report = os.path.join(expdir, "report.json")
    if os.path.exists(report):
        try:
            with open(report) as f:
                name = json.load(f).get("experiment")
            if isinstance(name, str) and name:
                return name
        except (OSError, ValueError, AttributeError):
            pass  # an unreadable report: fall back to the folder name
    return os.path.basename(os.path.normpath(expdir))


def main(argv):
    if len(argv) != 2:
        print("usage: plot.py <out>/<experiment>", file=sys.stderr)
        return 2
    expdir = os.path.abspath(argv[1])
    if not os.path.isdir(expdir):
        print("plot.py: %s is not a folder" % expdir, file=sys.stderr)
        return 2
    experiment = experiment_of(expdir)
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", experiment) or experiment in ("plot", "style"):
        print("plot.py: '%s' is not an experiment name" % experiment, file=sys.stderr)
        return 2
    module_file = os.path.join(HERE, experiment + ".py")
    package_init = os.path.join(HERE, experiment, "__init__.py")
    if not (os.path.exists(module_file) or os.path.exists(package_init)):
        print("attnlab: note: no figure module plots/%s.py; no figures drawn for %s" % (experiment, experiment))
        return 0
    sys.path.insert(0, HERE)
    import style  # noqa: F401  (backend and rcParams before the module imports pyplot)

    module = importlib.import_module(experiment)
    if not hasattr(module, "plot_all"):
        print("plot.py: plots/%s has no plot_all(expdir)" % experiment, file=sys.stderr)
        return 1
    os.makedirs(os.path.join(expdir, "figures"), exist_ok=True)
    module.plot_all(expdir)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
