#!/usr/bin/python3
"""The contamination scan of CWoLa hunting: significance after selection against S/sqrt(B) before
it (the form seed 004 states its results in), from scans of one data set run with different
-signal_injection counts (tools/cwola_contamination.sh makes them). Debian's python3-matplotlib
and python3-h5py.

    /usr/bin/python3 tools/plot_contamination.py [-mass 3500] [-png FILE] DIR...

Each DIR is the output folder of one scan (summary.json, results.h5). For the window whose signal
region holds -mass (the one whose centre is closest to it when two overlap), it prints a Markdown
table: the injected count N (read from the options stored in results.h5), the signal events in the
SR, S/sqrt(B) from truth (signal / sqrt(background) in the SR), S/sqrt(B) from the fit before
selection (s_over_sqrt_b_before), the local significance before selection and after each
selection, the best one, and the window the whole scan calls best. With -png it draws the
significances against the truth S/sqrt(B).
"""
import math
import os
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from plot_common import help_requested, run_summary  # noqa: E402


def injected(folder):
    """The -signal_injection of a scan, from the option string stored in its results.h5 (-1: all)."""
    with h5py.File(os.path.join(folder, "results.h5"), "r") as f:
        opts = f.attrs["options"]
    opts = (opts.decode() if isinstance(opts, bytes) else str(opts)).split()
    for k, v in enumerate(opts[:-1]):
        if v == "-signal_injection":
            return int(opts[k + 1])
    return -1


def window_holding(summary, mass):
    held = [w for w in summary["windows"] if w["sr_lo"] <= mass < w["sr_hi"]]
    if not held:
        sys.exit("plot_contamination: no signal region holds %g GeV" % mass)
    return min(held, key=lambda w: abs(math.log(math.sqrt(w["sr_lo"] * w["sr_hi"]) / mass)))


def num(v):
    return float("nan") if v is None else float(v)


def main(argv):
    help_requested(argv, __doc__)
    mass, png, dirs = 3500.0, None, []
    k = 0
    while k < len(argv):
        if argv[k] == "-mass" and k + 1 < len(argv):
            mass, k = float(argv[k + 1]), k + 2
        elif argv[k] == "-png" and k + 1 < len(argv):
            png, k = argv[k + 1], k + 2
        elif argv[k].startswith("-"):
            sys.exit("plot_contamination: unknown option '%s' (-mass GeV, -png FILE)" % argv[k])
        else:
            dirs.append(argv[k])
            k += 1
    if not dirs:
        sys.exit(__doc__)

    rows = []
    for d in dirs:
        s = run_summary("plot_contamination", d, ["cwola"])
        w = window_holding(s, mass)
        best = s["windows"][s["best_window"]]
        n_bkg = w["n_sr"] - w["n_signal_sr"]
        after = [num(z) for z in w["significance_after"]]
        rows.append({
            "n": injected(d), "eps": s["eps"], "sr": (w["sr_lo"], w["sr_hi"]), "n_sig": w["n_signal_sr"],
            "truth": w["n_signal_sr"] / math.sqrt(n_bkg), "fit": num(w["s_over_sqrt_b_before"]),
            "before": num(w["significance_before"]), "after": after,
            "best": num(w["best_significance"]), "best_eps": w["best_eps"],
            "eff": w["signal_efficiency"], "auc": num(w["auc"]),
            "scan_best": (best["sr_lo"], best["sr_hi"], num(best["best_significance"])),
        })
    rows.sort(key=lambda r: r["n"] if r["n"] >= 0 else float("inf"))  # "all" (-1) last
    eps = rows[0]["eps"]

    print("Window holding %g GeV: SR [%.0f, %.0f) GeV\n" % (mass, rows[0]["sr"][0], rows[0]["sr"][1]))
    head = ["N injected", "signal in SR", "S/sqrt(B) truth", "S/sqrt(B) fit (s_over_sqrt_b_before)", "Z before"]
    head += ["Z after eps=%g" % e for e in eps] + ["best Z after (eps)", "signal eff. at best eps", "AUC", "best window of the scan (Z)"]
    print("| " + " | ".join(head) + " |")
    print("|" + " --- |" * len(head))
    for r in rows:
        eff = r["eff"][eps.index(r["best_eps"])] if r["best_eps"] in eps else None
        cells = ["all" if r["n"] < 0 else "%d" % r["n"], "%d" % r["n_sig"], "%.2f" % r["truth"], "%+.2f" % r["fit"], "%+.2f" % r["before"]]
        cells += ["n/a" if math.isnan(z) else "%+.2f" % z for z in r["after"]]
        cells += ["%+.2f (%g)" % (r["best"], r["best_eps"]), "n/a" if eff is None else "%.2f" % eff,
                  "n/a" if math.isnan(r["auc"]) else "%.3f" % r["auc"],
                  "[%.0f, %.0f) (%+.2f)" % r["scan_best"]]
        print("| " + " | ".join(cells) + " |")

    if png:
        x = [r["truth"] for r in rows]
        fig, ax = plt.subplots(figsize=(6.0, 4.2))
        ax.plot(x, [r["best"] for r in rows], "o-", color="k", label="best over the selections")
        for j, e in enumerate(eps):
            if e == 1:
                continue
            ax.plot(x, [r["after"][j] for r in rows], ".--", label="after selection, eps = %g" % e)
        ax.plot(x, [r["before"] for r in rows], "s:", color="grey", label="before selection (fit)")
        ax.plot(x, [r["fit"] for r in rows], "x", color="grey", label="S/sqrt(B) before, from the fit")
        ax.axhline(3, color="r", lw=0.8)
        ax.set_xlabel("injected S/sqrt(B) in the SR [%.0f, %.0f) GeV (truth)" % rows[0]["sr"])
        ax.set_ylabel("local significance")
        top = ax.secondary_xaxis("top")
        top.set_xticks(x[1::2] if len(x) > 6 else x)
        top.set_xticklabels(["all" if r["n"] < 0 else "%d" % r["n"] for r in (rows[1::2] if len(x) > 6 else rows)], fontsize=7)
        top.set_xlabel("signal events injected (N)", fontsize=8)
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(png, dpi=80)
        plt.close(fig)
        print("\nplot: %s (%d bytes)" % (png, os.path.getsize(png)))


if __name__ == "__main__":
    main(sys.argv[1:])
