#!/usr/bin/env python3
"""Plot of a CWoLa scan's global significance (hadal run -method cwola ... -pseudo_experiments N).

usage: plot_cwola_global.py DIR [--out FOLDER]

Reads the "global_significance" block of DIR/summary.json: the distribution of the scan's maximum
local significance over the background-only pseudo-experiments, the observed maximum as a line,
and the global p-value, significance and trials factor in the legend. Writes
FOLDER/global_significance.png (default FOLDER: DIR/plots) and prints its path.
"""
import argparse
import json
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--out", help="folder of the plot (default DIR/plots)")
    a = ap.parse_args()
    s = json.load(open(os.path.join(a.dir, "summary.json")))
    g = s.get("global_significance")
    if g is None:
        sys.exit("plot_cwola_global.py: %s/summary.json has no global_significance (run with -pseudo_experiments N)" % a.dir)
    z = [v for v in g["pseudo_max_significance"] if v is not None]
    zobs = g["observed_max_significance"]
    n = g["pseudo_experiments"]
    fig, ax = plt.subplots(figsize=(6, 4))
    if z:
        lo, hi = min(z + [zobs or 0]) - 0.25, max(z + [zobs or 0]) + 0.25
        bins = max(5, min(40, int(math.sqrt(len(z)) * 2)))
        ax.hist(z, bins=bins, range=(lo, hi), histtype="stepfilled", alpha=0.5, label="background-only pseudo-experiments (%d)" % n)
    if zobs is not None:
        if g.get("pseudo_at_or_above", 0) > 0:
            text = "p_global = %.3g +- %.2g, Z_global = %.2f, trials factor %.3g" % (g["p_global"], g["p_global_error"], g["global_significance"], g["trials_factor"])
        else:
            text = "p_global < 1/N = %.3g, Z_global > %.2f" % (g["p_global_upper"], g["global_significance_lower"])
        ax.axvline(zobs, color="k", linestyle="--", label="observed max local Z = %.2f\n%s" % (zobs, text))
    ax.set_xlabel("maximum local significance of the scan (over windows and selections)")
    ax.set_ylabel("pseudo-experiments")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    out = a.out or os.path.join(a.dir, "plots")
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "global_significance.png")
    fig.savefig(path, dpi=100)
    print(path)


if __name__ == "__main__":
    main()
