#!/usr/bin/env python3
"""Plots of a sweep (hadal sweep -out DIR): each headline number against each grid axis.

usage: plot_sweep.py DIR [--key NAME ...] [--out FOLDER]

Reads DIR/sweep.json. For every headline number (or those named with --key) and every grid axis
it draws the number against the axis's values, one line per combination of the other axes'
values; a non-numeric axis is drawn at positions 0, 1, ... with its values as tick labels.
Writes FOLDER/sweep_KEY_vs_AXIS.png (default FOLDER: DIR/plots) and prints what it wrote.
"""
import argparse
import itertools
import json
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def number(text):
    try:
        return float(text)
    except ValueError:
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--key", action="append", help="headline number to plot (default: all)")
    ap.add_argument("--out", help="folder of the plots (default DIR/plots)")
    a = ap.parse_args()
    path = os.path.join(a.dir, "sweep.json")
    if not os.path.isfile(path):
        sys.exit("plot_sweep.py: error: '%s' has no sweep.json (give the -out folder of a finished hadal sweep)" % a.dir)
    sweep = json.load(open(path))
    axes = [(g["name"], g["values"]) for g in sweep["grid"]]
    points = sweep["points"]
    keys = a.key or sorted({k for p in points for k in p["headline"]})
    if not keys:
        sys.exit("plot_sweep.py: no headline numbers in %s/sweep.json" % a.dir)
    out = a.out or os.path.join(a.dir, "plots")
    os.makedirs(out, exist_ok=True)
    if not a.key:  # an earlier sweep's plots (other axes or numbers) would stand beside these
        for old in os.listdir(out):
            if old.startswith("sweep_") and "_vs_" in old and old.endswith(".png"):
                os.remove(os.path.join(out, old))
    for key in keys:
        for ai, (axis, values) in enumerate(axes):
            xs = [number(v) for v in values]
            numeric = all(x is not None for x in xs)
            pos = {v: (xs[i] if numeric else i) for i, v in enumerate(values)}
            others = [ax for j, ax in enumerate(axes) if j != ai]
            fig, ax = plt.subplots(figsize=(6, 4))
            for combo in itertools.product(*[vals for _, vals in others]):
                fixed = {name: v for (name, _), v in zip(others, combo)}
                line = []
                for p in points:
                    if all(p["options"][n] == v for n, v in fixed.items()):
                        y = p["headline"].get(key)
                        if y is not None and not (isinstance(y, float) and math.isnan(y)):
                            line.append((pos[p["options"][axis]], y))
                if not line:
                    continue
                line.sort()
                label = ", ".join("%s=%s" % kv for kv in fixed.items()) or None
                ax.plot([x for x, _ in line], [y for _, y in line], "o-", label=label)
            if not numeric:
                ax.set_xticks(range(len(values)))
                ax.set_xticklabels(values, rotation=30)
            ax.set_xlabel(axis)
            ax.set_ylabel(key)
            ax.set_title("%s: %s against %s" % (sweep["method"], key, axis))
            if others and len(ax.get_lines()) > 1:
                ax.legend(fontsize=7)
            ax.grid(alpha=0.3)
            fig.tight_layout()
            path = os.path.join(out, "sweep_%s_vs_%s.png" % (key, axis))
            fig.savefig(path, dpi=100)
            plt.close(fig)
            print(path)


if __name__ == "__main__":
    main()
