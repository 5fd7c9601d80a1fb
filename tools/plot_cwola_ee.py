#!/usr/bin/env python3
"""The contamination scan of a cwola_ee run (seed 004): significance after the best cut against
the injected significance, the median over the ensemble's members with its 16-84% band and the
ensemble-averaged score, and the diagonal (no gain).

    /usr/bin/python3 tools/plot_cwola_ee.py DIR [DIR2 ...]   # writes DIR/plots/contamination.png

Several folders (e.g. weak and semi-supervised, PFN and dense) are drawn on the first one's plot.
"""
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from plot_common import help_requested, run_summary  # noqa: E402


def finite_levels(summary):
    rows = [c for c in summary["contamination"] if c["injected_sigma"] != "inf" and c["best_significance"] is not None]
    return rows


def main(dirs):
    help_requested(dirs, __doc__)
    if not dirs:
        sys.exit("usage: plot_cwola_ee.py DIR [DIR2 ...] (folders of cwola_ee runs; -h for more)")
    fig, ax = plt.subplots(figsize=(6, 4.5))
    xmax = 1.0
    drawn = 0
    for d in dirs:
        s = run_summary("plot_cwola_ee.py", d, ["cwola_ee"])
        rows = finite_levels(s)
        if not rows:
            print("plot_cwola_ee.py: '%s' has no contamination level with a finite injection and a significance: not drawn" % d)
            continue
        drawn += 1
        x = [r["injected_sigma"] for r in rows]
        med = [r["best_significance"] for r in rows]
        lo = [r["best_significance"] - r["best_significance_q16"] for r in rows]
        hi = [r["best_significance_q84"] - r["best_significance"] for r in rows]
        ens = [r["ensemble_best_significance"] for r in rows]
        label = "%s, %s" % (s["mode"], "PFN" if s["inputs"] == "sets" else "dense")
        ax.errorbar(x, med, yerr=[lo, hi], marker="o", capsize=3, label=label + ": member median, 16-84%")
        ax.plot(x, ens, marker="s", linestyle="--", label=label + ": ensemble average")
        xmax = max([xmax] + x)
    if not drawn:
        sys.exit("plot_cwola_ee.py: error: nothing to draw (no run has a finite contamination level with a significance; -contamination inf alone gives none)")
    ax.plot([0, xmax], [0, xmax], color="grey", linewidth=1, label="no gain")
    ax.set_yscale("symlog", linthresh=1.0)
    ax.set_xlabel("significance before selection (injected sigma)")
    ax.set_ylabel("significance after the best cut")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    out = os.path.join(dirs[0], "plots")
    os.makedirs(out, exist_ok=True)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "contamination.png"), dpi=100)
    print("wrote", os.path.join(out, "contamination.png"))


if __name__ == "__main__":
    main(sys.argv[1:])
