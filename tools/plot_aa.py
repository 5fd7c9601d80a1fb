#!/usr/bin/python3
"""Plots of an Anomaly Awareness run (Debian's python3-matplotlib, python3-h5py, python3-sklearn).

    /usr/bin/python3 tools/plot_aa.py DIR      # reads DIR/results.h5, DIR/summary.json and the
                                               # event file it names; writes DIR/plots/*.png

outputs.png       P(scan class) per class on the test events, prior run (left) and AA run (right)
                  (seed 000 Figs. 4, 6, 7, 17)
roc.png           one-vs-rest ROC of each normal class, prior and AA run (Fig. 5)
scatter.png       with three normal classes: P(second) against P(first) per class, prior and AA
                  (Figs. 8, 9)
r_windows.png     R of eq. 6 for the target anomaly against the window centre, per width delta, and
                  against the threshold of the cumulative window (Fig. 10); skipped windows absent
sigma_min.png     sigma_min of eq. 8 against luminosity, AA and prior, beside the naive estimate
                  (Fig. 11)
"""
import json
import os
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import roc_curve  # noqa: E402
from plot_common import help_requested, run_summary  # noqa: E402


def names_of(ev):
    c = ev.attrs.get("classes")
    return [x.decode() if isinstance(x, bytes) else str(x) for x in c] if c is not None else None


def main(d):
    s = json.load(open(os.path.join(d, "summary.json")))
    r = h5py.File(os.path.join(d, "results.h5"), "r")
    data = s["data"] if os.path.isabs(s["data"]) else os.path.join(os.getcwd(), s["data"])
    ev = h5py.File(data, "r")
    lab = ev["events/label"][:]
    names = names_of(ev) or [str(k) for k in range(lab.max() + 1)]
    test = r["outputs/test"][:] > 0
    out = {"prior": r["outputs/prior"][:], "aa": r["outputs/aa"][:]}
    normal = [names.index(n) for n in s["normal_classes"]]
    j = s["normal_classes"].index(s["scan_class"])
    os.makedirs(os.path.join(d, "plots"), exist_ok=True)

    fig, ax = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    bins = np.linspace(0, 1, 51)
    for a, run in zip(ax, ("prior", "aa")):
        for k, nm in enumerate(names):
            sel = test & (lab == k)
            if sel.sum() == 0:
                continue
            role = "normal" if nm in s["normal_classes"] else "aware" if nm in s["aware_classes"] else "held out"
            a.hist(out[run][sel, j], bins=bins, density=True, histtype="step", lw=1.5, color=plt.cm.tab20(k % 20), label="%s (%s)" % (nm, role))
        a.set_xlabel("P(%s)" % s["scan_class"])
        a.set_title("prior run" if run == "prior" else "AA run, lambda_AA = %g" % s["lambda_aa"])
        a.set_yscale("log")
    ax[0].set_ylabel("density")
    ax[1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(d, "plots", "outputs.png"), dpi=120)

    fig, a = plt.subplots(figsize=(5, 4))
    sel = test & np.isin(lab, normal)
    for run, ls in (("prior", "-"), ("aa", "--")):
        for c, k in enumerate(normal):
            fpr, tpr, _ = roc_curve(lab[sel] == k, out[run][sel, c])
            a.plot(fpr, tpr, ls, label="%s vs rest, %s" % (names[k], run))
    a.set_xlabel("false positive rate")
    a.set_ylabel("true positive rate")
    a.set_title("normal AUC %.4f (prior), %.4f (AA)" % (s["normal_auc_prior"], s["normal_auc_aa"]))
    a.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(d, "plots", "roc.png"), dpi=120)

    if len(normal) == 3:
        fig, ax = plt.subplots(1, 2, figsize=(10, 4.5), sharey=True)
        for a, run in zip(ax, ("prior", "aa")):
            for k, nm in enumerate(names):
                sel = test & (lab == k)
                a.scatter(out[run][sel, 0], out[run][sel, 1], s=2, alpha=0.4, label=nm)
            a.set_xlabel("P(%s)" % s["normal_classes"][0])
            a.set_title(run)
        ax[0].set_ylabel("P(%s)" % s["normal_classes"][1])
        ax[1].legend(markerscale=5, fontsize=7)
        fig.tight_layout()
        fig.savefig(os.path.join(d, "plots", "scatter.png"), dpi=120)

    g = r["scan/aa/" + s["target_class"]]
    delta, lo, hi, R = g["delta"][:], g["lo"][:], g["hi"][:], g["R"][:]
    fig, a = plt.subplots(figsize=(6, 4))
    for dv in sorted(set(delta)):
        m = delta == dv
        if dv > 0:
            a.plot((lo[m] + hi[m]) / 2, R[m], label="delta = %g" % dv)
        else:
            a.plot(hi[m], R[m], "k", label="cumulative, P < threshold")
    a.set_xlabel("window centre (or threshold) in P(%s)" % s["scan_class"])
    a.set_ylabel("R (eq. 6), %s" % s["target_class"])
    a.set_title("R_max %.3f (AA), %.3f (prior)" % (s["r_max"], s["r_max_prior"]))
    a.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(d, "plots", "r_windows.png"), dpi=120)

    L = r["sigma_min/luminosity"][:]
    fig, a = plt.subplots(figsize=(5, 4))
    a.plot(L, r["sigma_min/aa"][:], "o-", label="AA")
    a.plot(L, r["sigma_min/prior"][:], "s--", label="prior run")
    a.plot(L, r["sigma_min/naive"][:], "k:", label="5 sqrt(sigma_B / L)")
    a.set_xscale("log")
    a.set_yscale("log")
    a.set_xlabel("luminosity (fb^-1)")
    a.set_ylabel("sigma_min (fb), %s" % s["target_class"])
    a.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(d, "plots", "sigma_min.png"), dpi=120)
    print("plots in", os.path.join(d, "plots"))


if __name__ == "__main__":
    help_requested(sys.argv[1:], __doc__)
    if len(sys.argv) != 2:
        sys.exit("usage: plot_aa.py DIR (the folder of an aa run; -h for more)")
    run_summary("plot_aa.py", sys.argv[1], ["aa"])
    main(sys.argv[1])
