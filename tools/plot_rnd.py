#!/usr/bin/python3
"""Plots of a Rare and Different run (hadal run -method svdd|flow|rnd) from its results.h5 and
summary.json, with the truth labels of the event file it ran on (Debian's python3-matplotlib).

    /usr/bin/python3 tools/plot_rnd.py DIR DATA.h5     # writes DIR/plots/*.png

scores_SIGNAL.png  distributions of the anomaly scores on the test set, background against the
                   signal, for the SVDD ensemble (AVG), the flow (-log p) and the OR combination
roc_SIGNAL.png     eps_S against eps_B (log) for the single SVDD member with the best AUC, the SVDD
                   ensemble, the flow and the four combinations
ti.png             min / median / max TI of each model (seed 003 Fig. 5)
"""
import os
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from plot_common import check_data, help_requested, run_summary  # noqa: E402


def scores(f, s):
    """Anomaly score (larger = more anomalous) of every model present, by name."""
    out = {}
    models = s["models"]
    if "scores/svdd_members" in f:
        mem = f["scores/svdd_members"][:]
        for k, m in enumerate(m for m in models if m.startswith("svdd_d")):
            out[m] = mem[:, k]
    if "scores/flow_logp" in f:
        out["flow"] = -f["scores/flow_logp"][:]
    for m in models:
        if m not in out and "scores/" + m in f:
            out[m] = f["scores/" + m][:]
    return out


def roc(y, x):
    o = np.argsort(-x, kind="stable")
    y = y[o]
    tp, fp = np.cumsum(y), np.cumsum(~y)
    return fp / max(fp[-1], 1), tp / max(tp[-1], 1)


def main():
    help_requested(sys.argv[1:], __doc__)
    if len(sys.argv) != 3:
        sys.exit("usage: plot_rnd.py DIR DATA.h5 (the run folder and the event file it read; -h for more)")
    run, data = sys.argv[1], sys.argv[2]
    s = run_summary("plot_rnd.py", run, ["rnd", "svdd", "flow"])
    check_data("plot_rnd.py", s, run, data)
    f = h5py.File(os.path.join(run, "results.h5"))
    lab = h5py.File(data)["events/label"][:]
    test = f["scores/is_test"][:] > 0
    sc = scores(f, s)
    os.makedirs(os.path.join(run, "plots"), exist_ok=True)
    members = [m for m in s["models"] if m.startswith("svdd_d")]
    for k, name in enumerate(s["signals"]):
        sel = test & ((lab == 0) | (lab == k + 1))
        y = lab[sel] == k + 1
        shown = [m for m in ["svdd_avg", "flow", "or"] if m in sc]
        fig, axes = plt.subplots(1, len(shown), figsize=(4.5 * len(shown), 3.8), squeeze=False)
        for ax, m in zip(axes[0], shown):
            x = sc[m][sel]
            bins = np.linspace(np.percentile(x, 0.5), np.percentile(x, 99.9), 60)
            ax.hist(np.clip(x[~y], bins[0], bins[-1]), bins, density=True, histtype="step", label="background")
            ax.hist(np.clip(x[y], bins[0], bins[-1]), bins, density=True, histtype="step", label=name)
            ax.set_xlabel(m + (" (-log p)" if m == "flow" else ""))
            ax.set_yscale("log")
            ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(run, "plots", "scores_%s.png" % name), dpi=110)
        plt.close(fig)
        fig, ax = plt.subplots(figsize=(5.5, 4.5))
        curves = [m for m in ["svdd_avg", "flow", "and", "or", "prod", "avg"] if m in sc]
        if members:
            curves.insert(0, max(members, key=lambda m: s["auc"][name][m] or 0))
        for m in curves:
            fpr, tpr = roc(y, sc[m][sel])
            ax.plot(np.maximum(fpr, 1e-6), tpr, label="%s (AUC %.3f)" % (m, s["auc"][name][m]))
        ax.set_xscale("log")
        ax.set_xlim(1e-4, 1)
        ax.set_xlabel("eps_B")
        ax.set_ylabel("eps_S")
        ax.set_title(name)
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(os.path.join(run, "plots", "roc_%s.png" % name), dpi=110)
        plt.close(fig)
    names = [m for m in s["models"] if not m.startswith("svdd_d")] + members[:1]
    ti = np.array([[s["ti"][m][q] or 0 for q in ("min", "median", "max")] for m in names])
    fig, ax = plt.subplots(figsize=(1 + 0.6 * len(names), 4))
    for q, lab_q in enumerate(("min", "median", "max")):
        ax.bar(np.arange(len(names)) + (q - 1) * 0.27, ti[:, q], 0.27, label=lab_q)
    ax.set_xticks(np.arange(len(names)))
    ax.set_xticklabels(names, rotation=45, ha="right")
    ax.set_ylabel("TI")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(run, "plots", "ti.png"), dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
