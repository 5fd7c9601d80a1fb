#!/usr/bin/python3
"""Plots of a decorrelated-autoencoder run (hadal run -method dae), the figures of seed 002.

    /usr/bin/python3 tools/plot_dae.py DIR DATA   # reads DIR/results.h5, DIR/summary.json and the
                                                  # labels of the event file DATA; writes DIR/plots/

fig1_sic.png           SIC = eps_S / sqrt(eps_B) against eps_S on the test events, per signal: each
                       autoencoder (top), the diagonal combination and the single AE (bottom)
fig2_closure.png       N_obs / N_pred of the ABCD method on SM test events against the SM efficiency
                       of the signal region, one entry per threshold choice, with its error (and,
                       with -closure_sample, of the corrected prediction; the band is +-2.5%)
fig3_significance.png  (N - B) / sqrt(N) per signal against the SM efficiency, B predicted by ABCD
                       (solid) and true (dashed); bottom: the pair against the single AE, B true
fig4_sic_grid.png      SIC of the region R1 > c1, R2 > c2 on a grid of per-axis SM efficiencies
"""
import os
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from plot_common import check_data, help_requested, run_summary  # noqa: E402


def sic_curve(score, is_sig, min_bkg=10):
    """eps_S and SIC along the cut on score (larger = more anomalous), where the background left
    holds at least min_bkg events."""
    order = np.argsort(-score, kind="stable")
    s = np.cumsum(is_sig[order]) / max(1, is_sig.sum())
    b = np.cumsum(~is_sig[order])
    nb = (~is_sig).sum()
    keep = b >= min_bkg
    return s[keep], s[keep] / np.sqrt(b[keep] / nb)


def combined(r1, r2, bkg):
    """min of the two background CDFs: a cut on it is the diagonal cut."""
    u1 = np.searchsorted(np.sort(r1[bkg]), r1) / bkg.sum()
    u2 = np.searchsorted(np.sort(r2[bkg]), r2) / bkg.sum()
    return np.minimum(u1, u2)


def significance_single(score, lab, s, eff):
    bkg = lab == 0
    c = np.quantile(score[bkg], 1 - eff)
    n = ((score > c) & ((lab == 0) | (lab == s))).sum()
    b = ((score > c) & bkg).sum()
    return (n - b) / np.sqrt(n) if n > b else 0.0


def main():
    help_requested(sys.argv[1:], __doc__)
    if len(sys.argv) != 3:
        sys.exit("usage: plot_dae.py DIR DATA.h5 (the run folder and the event file it read; -h for more)")
    d, data = sys.argv[1], sys.argv[2]
    s = run_summary("plot_dae.py", d, ["dae"])
    check_data("plot_dae.py", s, d, data)
    out = os.path.join(d, "plots")
    os.makedirs(out, exist_ok=True)
    f = h5py.File(os.path.join(d, "results.h5"), "r")
    lab_all = h5py.File(data, "r")["events/label"][:]
    test = f["scores/is_test"][:] > 0
    r1, r2, lab = f["scores/r1"][:][test], f["scores/r2"][:][test], lab_all[test]
    single = f["scores/single"][:][test] if "scores/single" in f else None
    names = list(s["signals"].keys())
    bkg = lab == 0
    comb = combined(r1, r2, bkg)

    fig, ax = plt.subplots(2, 1, figsize=(7, 9), sharex=True)
    for k, name in enumerate(names):
        sel = bkg | (lab == k + 1)
        col = "C%d" % k
        for score, style, what in [(r1, "-", "AE 1"), (r2, ":", "AE 2")]:
            e, sic = sic_curve(score[sel], lab[sel] == k + 1)
            ax[0].plot(e, sic, style, color=col, label="%s %s" % (name, what))
        e, sic = sic_curve(comb[sel], lab[sel] == k + 1)
        ax[1].plot(e, sic, "-", color=col, label=name + " combined")
        if single is not None:
            e, sic = sic_curve(single[sel], lab[sel] == k + 1)
            ax[1].plot(e, sic, "--", color=col, label=name + " single AE")
    for a in ax:
        a.set_ylabel("SIC")
        a.legend(fontsize=7)
    ax[1].set_xlabel("signal efficiency")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "fig1_sic.png"), dpi=120)

    fig, ax = plt.subplots(figsize=(7, 4.5))
    cl = [c for c in s["closure"] if c["ratio"] is not None]
    for a, m in [(1, "o"), (2, "^"), (0.5, "v")]:
        sub = [c for c in cl if c["asymmetry"] == a]
        ax.errorbar([c["sm_efficiency"] for c in sub], [c["ratio"] for c in sub], yerr=[c["ratio_err"] for c in sub], fmt=m, label="per-axis efficiency ratio %g" % (a * a))
    diag = [c for c in cl if c["asymmetry"] == 1 and c.get("ratio_corrected") is not None]
    if diag:  # -closure_sample: the diagonal prediction corrected by the sample's non-closure
        ax.errorbar([c["sm_efficiency"] * 1.05 for c in diag], [c["ratio_corrected"] for c in diag], yerr=[c["ratio_corrected_err"] for c in diag], fmt="s", mfc="none",
                    label="diagonal, corrected by the closure sample's kappa")
    ax.axhspan(0.975, 1.025, color="0.9", zorder=0)
    ax.axhline(1, color="k", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("SM efficiency of the signal region")
    ax.set_ylabel("N_obs / N_pred (SM only)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "fig2_closure.png"), dpi=120)

    fig, ax = plt.subplots(2, 1, figsize=(7, 9), sharex=True)
    for k, name in enumerate(names):
        sg = s["signals"][name]["significance"]
        e = [x["sm_efficiency"] for x in sg]
        col = "C%d" % k
        ax[0].plot(e, [x["predicted_background"] or 0 for x in sg], "-o", color=col, label=name + " B from ABCD")
        ax[0].plot(e, [x["true_background"] for x in sg], "--", color=col, label=name + " B true")
        ax[1].plot(e, [x["true_background"] for x in sg], "-o", color=col, label=name + " pair (diagonal)")
        if single is not None:
            ax[1].plot(e, [significance_single(single, lab, k + 1, x) for x in e], "--", color=col, label=name + " single AE")
    for a in ax:
        a.set_ylabel("(N - B) / sqrt(N)")
        a.legend(fontsize=7)
    ax[1].set_xlabel("SM efficiency of the signal region")
    ax[1].set_xscale("log")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "fig3_significance.png"), dpi=120)

    effs = 0.5 * 0.5 ** np.arange(8)
    fig, axs = plt.subplots(1, len(names), figsize=(4 * max(1, len(names)), 4), squeeze=False)
    for k, name in enumerate(names):
        g = f["abcd/%s/sic_grid" % name][:].reshape(8, 8)
        a = axs[0][k]
        im = a.imshow(g, origin="lower", cmap="viridis")
        a.set_xticks(range(8), ["%.3g" % x for x in effs], rotation=90, fontsize=6)
        a.set_yticks(range(8), ["%.3g" % x for x in effs], fontsize=6)
        a.set_xlabel("SM efficiency of AE 2")
        a.set_ylabel("SM efficiency of AE 1")
        a.set_title(name, fontsize=9)
        fig.colorbar(im, ax=a, fraction=0.046)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "fig4_sic_grid.png"), dpi=120)
    print("plots in", out)


if __name__ == "__main__":
    main()
