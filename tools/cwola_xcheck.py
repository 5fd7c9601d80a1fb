#!/usr/bin/env python3
"""The signal-plus-background cross-check of a CWoLa scan, looked at two more ways
(docs/methods/cwola.md, "The present defaults").

  cwola_xcheck.py background [--window K] [--row R] RESULTS.h5...
      Refit window K's spectrum of selection row R (0: all events, 1..: the -eps list; default 3,
      eps 0.01 of the decks) with the dijet function plus a Gaussian (width 4 % of the SR centre,
      the -signal_shape default) over all bins, and compare the SR background of that fit and of
      the scan's background-only fit with the true background count: pulls in units of each
      prediction's error (the S+B error from the Fisher matrix of all five parameters).

  cwola_xcheck.py pulls [--window K] [--row R] RESULTS.h5...
      The same two predictions over many scans (data seeds): each one's pull against the true
      count in units of its own error and in units of sqrt(error^2 + true), the spread an unbiased
      prediction has against a true count that is itself a Poisson draw; then the mean pull (with
      its error), the RMS, and how many scans land within one error. A mean far from 0 is a bias;
      an RMS well above 1 an error too small.

  cwola_xcheck.py global DIR
      For a run with -pseudo_experiments: the largest local Z of the scan and the largest
      cross-check Z over windows and selections, observed and in each pseudo-experiment.

Needs h5py, numpy and scipy (use /usr/bin/python3)."""
import argparse
import glob
import os

import h5py
import numpy as np
from scipy import optimize
from scipy.special import erf

SQRT_S = 13000.0


def sb_background(path, window, row):
    g = h5py.File(path, "r")["windows/window_%03d" % window]
    e = g["edges"][:]
    nb = len(e) - 1
    c = g["counts"][:].reshape(-1, nb)[row]
    sr_lo, sr_hi = g["sr_sb"][:2]
    sr = (e[:-1] >= sr_lo - 1e-6) & (e[1:] <= sr_hi + 1e-6)
    xs = [np.linspace(e[i] / SQRT_S, e[i + 1] / SQRT_S, 33) for i in range(nb)]

    def mu_b(q):  # q = (ln p0, p1, p2, p3): the dijet function integrated over each bin
        return np.array([np.trapz(np.exp(q[0] + q[1] * np.log1p(-x) - (q[2] + q[3] * np.log(x)) * np.log(x)), x) for x in xs])

    centre = np.sqrt(sr_lo * sr_hi)
    width = 0.04 * centre
    h = 0.5 * (erf((e[1:] - centre) / (np.sqrt(2) * width)) - erf((e[:-1] - centre) / (np.sqrt(2) * width)))

    def mu(q):
        return mu_b(q[:4]) + q[4] * h

    def nll(q):
        m = mu(q)
        return 1e300 if np.any(m <= 0) or q[4] < 0 else float(np.sum(m - c * np.log(m)))

    p = g["fit_params"][:].reshape(-1, 4)[row]
    q = np.array([np.log(p[0]), p[1], p[2], p[3], 10.0])
    for tol in (1e-8, 1e-10):
        q = optimize.minimize(nll, q, method="Nelder-Mead", options={"xatol": tol, "fatol": tol, "maxiter": 40000, "maxfev": 80000}).x
    m = mu(q)
    jac = np.zeros((nb, 5))
    gb = np.zeros(5)
    for k in range(5):
        d = np.zeros(5)
        d[k] = 1e-5 * max(1.0, abs(q[k]))
        jac[:, k] = (mu(q + d) - mu(q - d)) / (2 * d[k])
        if k < 4:
            gb[k] = (mu_b((q + d)[:4])[sr].sum() - mu_b((q - d)[:4])[sr].sum()) / (2 * d[k])
    cov = np.linalg.inv((jac / m[:, None]).T @ jac)
    b = mu_b(q[:4])[sr].sum()
    return b, float(np.sqrt(gb @ cov @ gb)), q[4], g["b_sr"][row], g["sigma_b"][row], g["b_sr_true"][row], g["n_sr"][row]


def max_z(path, key):
    f = h5py.File(path, "r")
    z = [f["windows"][w][key][1:] for w in f["windows"]]  # row 0 repeats all events
    z = np.concatenate(z)
    z = z[np.isfinite(z)]
    return z.max() if len(z) else float("nan")


def pulls(paths, window, row):
    rows = []
    print("| results | true B | background-only fit | pull | pull (with true's Poisson) | S+B fit: background | pull | pull (with true's Poisson) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for path in paths:
        bs, es, s, b0, e0, bt, n = sb_background(path, window, row)
        r = ((b0 - bt) / e0, (b0 - bt) / np.sqrt(e0 ** 2 + bt), (bs - bt) / es, (bs - bt) / np.sqrt(es ** 2 + bt))
        rows.append(r)
        print("| %s | %d | %.1f +- %.1f | %+.2f | %+.2f | %.1f +- %.1f | %+.2f | %+.2f |" % (path, bt, b0, e0, r[0], r[1], bs, es, r[2], r[3]))
    v = np.array(rows)
    k = len(v)
    print()
    print("%d scans, window %d, selection row %d" % (k, window, row))
    names = ("background-only fit, pull", "background-only fit, pull with true's Poisson", "S+B fit, pull", "S+B fit, pull with true's Poisson")
    for j, name in enumerate(names):
        x = v[:, j]
        print("%s: mean %+.2f +- %.2f, RMS %.2f, within 1: %d of %d" % (name, x.mean(), x.std(ddof=1) / np.sqrt(k) if k > 1 else float("nan"), np.sqrt(np.mean(x ** 2)), int(np.sum(np.abs(x) <= 1)), k))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="what", required=True)
    a = sub.add_parser("background")
    a.add_argument("--window", type=int, default=0)
    a.add_argument("--row", type=int, default=3)
    a.add_argument("results", nargs="+")
    pl = sub.add_parser("pulls")
    pl.add_argument("--window", type=int, default=0)
    pl.add_argument("--row", type=int, default=3)
    pl.add_argument("results", nargs="+")
    b = sub.add_parser("global")
    b.add_argument("dir")
    args = ap.parse_args()
    if args.what == "background":
        print("| results | true B | background-only fit (pull) | S+B fit: background (pull), s | observed |")
        print("| --- | --- | --- | --- | --- |")
        for path in args.results:
            bs, es, s, b0, e0, bt, n = sb_background(path, args.window, args.row)
            print("| %s | %d | %.1f +- %.1f (%+.2f) | %.1f +- %.1f (%+.2f), %.0f | %d |" % (path, bt, b0, e0, (b0 - bt) / e0, bs, es, (bs - bt) / es, s, n))
        return
    if args.what == "pulls":
        pulls(args.results, args.window, args.row)
        return
    obs = [max_z(os.path.join(args.dir, "results.h5"), k) for k in ("z", "signal_fit_z")]
    exps = sorted(glob.glob(os.path.join(args.dir, "pseudo", "exp_*", "results.h5")))
    z = np.array([[max_z(p, k) for k in ("z", "signal_fit_z")] for p in exps])
    for j, name in enumerate(("bump hunt Z", "cross-check Z")):
        v = z[:, j]
        print("%s: observed %.2f; %d pseudo-experiments: max %.2f, mean %.2f, median %.2f, %d >= 3, %d >= observed"
              % (name, obs[j], len(v), np.nanmax(v), np.nanmean(v), np.nanmedian(v), int(np.sum(v >= 3)), int(np.sum(v >= obs[j]))))


if __name__ == "__main__":
    main()
