#!/usr/bin/python3
"""Plots of a CWoLa hunting scan from its results.h5 (Debian's python3-matplotlib and python3-h5py).

    /usr/bin/python3 tools/plot_cwola.py DIR      # reads DIR/results.h5, writes DIR/plots/*.png

spectra_window_NNN.png  the mass spectrum over each window's fit range before and after each
                        selection, with the dijet fit to the bins outside the SR (dashed) and the
                        signal region shaded
significance.png        local significance before selection and after each selection, per window
sic.png                 significance improvement eps_S / sqrt(eps_B) of the ensemble score on the
                        signal-region events, per window (where truth labels are known), with its
                        statistical band, where at least -sic_min_bkg background events pass
sculpting.png           the SR-vs-SB AUC of each window's score (0.5: the classifiers cannot tell
                        the SR's events from the sidebands' by their mass) with the band of 1 and
                        2 chance spreads (auc_sr_vs_sb_error of summary.json); on background alone
                        a window outside 2 spreads more often than 1 in 20 learned the mass
"""
import json
import os
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from plot_common import help_requested, run_summary  # noqa: E402


def windows(f):
    return sorted(k for k in f["windows"].keys() if k.startswith("window_"))


def save(fig, ax, out, name, xlabel, ylabel):
    """Labels, legend and DIR/plots/NAME of one figure, then closes it."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(out, name), dpi=100)
    plt.close(fig)


def plot_spectra(f, out):
    eps = f["eps"][:]
    for name in windows(f):
        g = f["windows"][name]
        edges = g["edges"][:]
        nb = len(edges) - 1
        counts = g["counts"][:].reshape(-1, nb)
        fit = g["fit"][:].reshape(-1, nb)
        z = g["z"][:]
        sr_lo, sr_hi = g["sr_sb"][:2]
        centres = 0.5 * (edges[1:] + edges[:-1])
        fig, ax = plt.subplots(figsize=(6.4, 4.8))
        for e in range(counts.shape[0]):
            label = "all events" if e == 0 else f"top {eps[e - 1]:g}"
            line = ax.step(edges, np.append(counts[e], counts[e][-1]), where="post",
                           label=f"{label} (Z = {z[e]:+.2f})")
            if np.all(np.isfinite(fit[e])):
                ax.plot(centres, fit[e], "--", color=line[0].get_color())
        ax.axvspan(sr_lo, sr_hi, color="grey", alpha=0.15, label="signal region")
        ax.set_yscale("log")
        ax.set_title(f"{name}: SR [{sr_lo:.0f}, {sr_hi:.0f}) GeV")
        save(fig, ax, out, f"spectra_{name}.png", "mass [GeV]", "events per bin")


def plot_significance(f, out):
    eps = f["eps"][:]
    names = windows(f)
    centre = np.array([0.5 * sum(f["windows"][n]["sr_sb"][:2]) for n in names])
    z = np.array([f["windows"][n]["z"][:] for n in names])
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    ax.plot(centre, z[:, 0], "k-o", label="before selection")
    for e in range(1, z.shape[1]):
        ax.plot(centre, z[:, e], "-o", ms=3, label=f"top {eps[e - 1]:g}")
    ax.axhline(3, color="red", lw=0.8, ls=":")
    save(fig, ax, out, "significance.png", "signal-region centre [GeV]", "local significance Z")


def plot_sic(f, out):
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    drawn = 0
    for name in windows(f):
        g = f["windows"][name]
        if "sic" not in g:
            continue
        # the curve the summary's sic_max comes from: only thresholds that at least
        # -sic_min_bkg background events pass, with the binomial band
        es, sic, err = g["sic_eps_s"][:], g["sic"][:], g["sic_err"][:]
        if len(sic) < 2:
            continue
        lo, hi = g["sr_sb"][:2]
        line = ax.plot(es, sic, label=f"SR [{lo:.0f}, {hi:.0f})")
        ax.fill_between(es, sic - err, sic + err, color=line[0].get_color(), alpha=0.2)
        drawn += 1
    if drawn == 0:
        plt.close(fig)
        return
    save(fig, ax, out, "sic.png", "signal efficiency eps_S", "SIC = eps_S / sqrt(eps_B)")


def plot_sculpting(summary, out):
    ws = [w for w in summary["windows"] if w.get("auc_sr_vs_sb") is not None and w.get("auc_sr_vs_sb_error") is not None]
    if not ws:
        return
    centre = np.array([0.5 * (w["sr_lo"] + w["sr_hi"]) for w in ws])
    auc = np.array([w["auc_sr_vs_sb"] for w in ws])
    sd = np.array([w["auc_sr_vs_sb_error"] for w in ws])
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    ax.fill_between(centre, 0.5 - 2 * sd, 0.5 + 2 * sd, color="0.85", label="2 chance spreads")
    ax.fill_between(centre, 0.5 - sd, 0.5 + sd, color="0.7", label="1 chance spread")
    signal = np.array([w.get("n_signal_sr", 0) > 0 for w in ws])
    ax.plot(centre[~signal], auc[~signal], "ko", label="window")
    if signal.any():
        ax.plot(centre[signal], auc[signal], "o", color="tab:red", label="window with signal (truth)")
    ax.axhline(0.5, color="k", lw=0.8)
    save(fig, ax, out, "sculpting.png", "signal-region centre [GeV]", "AUC of the score, SR against SB")


def main():
    help_requested(sys.argv[1:], __doc__)
    if len(sys.argv) != 2:
        sys.exit("usage: plot_cwola.py DIR (the output folder of a CWoLa scan; -h for more)")
    run = sys.argv[1]
    run_summary("plot_cwola.py", run, ["cwola"])
    path = os.path.join(run, "results.h5")
    if not os.path.exists(path):
        sys.exit(f"plot_cwola.py: error: '{path}' does not exist")
    out = os.path.join(run, "plots")
    os.makedirs(out, exist_ok=True)
    with h5py.File(path, "r") as f:
        if f.attrs.get("method") not in ("cwola", b"cwola"):
            sys.exit(f"plot_cwola.py: error: '{path}' is not the result of a CWoLa scan")
        plot_spectra(f, out)
        plot_significance(f, out)
        plot_sic(f, out)
    summary = os.path.join(run, "summary.json")
    if os.path.exists(summary):  # the per-window numbers of the summary (a merged scan has one too)
        with open(summary) as fp:
            plot_sculpting(json.load(fp), out)
    print(f"plots in {out}")


if __name__ == "__main__":
    main()
