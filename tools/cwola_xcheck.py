#!/usr/bin/env python3
"""The signal-plus-background cross-check of a CWoLa scan, looked at two more ways
(docs/methods/cwola.md, "The present defaults").

  cwola_xcheck.py background [--window K] [--row R] RESULTS.h5...
      Refit window K's spectrum of selection row R (0: all events, 1..: the -eps list; default 3,
      eps 0.01 of the decks) with the dijet function plus a Gaussian (width 4 % of the SR centre,
      the -signal_shape default) over all bins, and compare the SR background of that fit and of
      the scan's background-only fit with the true background count: pulls in units of each
      prediction's error (the S+B error from the Fisher matrix of all five parameters).

  cwola_xcheck.py pulls [--window K] [--row R] [--shape gauss|cb] RESULTS.h5...
      The same two predictions over many scans (data seeds): each one's pull against the true
      count in units of its own error and in units of sqrt(error^2 + true), the spread an unbiased
      prediction has against a true count that is itself a Poisson draw; then the mean pull (with
      its error), the RMS, and how many scans land within one error. A mean far from 0 is a bias;
      an RMS well above 1 an error too small. --shape cb: the S+B fit with a Crystal Ball (alpha 1.5,
      n 3) rather than the Gaussian.

  cwola_xcheck.py tails [--window K] [--eps E] DATA.h5 RESULTS.h5 [DATA.h5 RESULTS.h5 ...]
      Where the background-only fit's SR prediction after a selection departs from the truth, and
      why: the selection is made again from the stored scores (the top E of the fit range), the
      dijet function fitted to the true background alone in the bins outside the SR (from the
      labels of DATA), and the difference split into the shape of the selected background (that
      fit against the true count) and the resonance's tails beside the SR (the scan's fit against
      that fit).

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


def signal_bins(e, centre, width, shape):
    """The signal shape's fraction in each bin: a Gaussian, or a Crystal Ball (alpha 1.5, n 3, the
    -signal_cb_alpha / -signal_cb_n defaults) with its power-law tail on the low-mass side."""
    if shape == "gauss":
        return 0.5 * (erf((e[1:] - centre) / (np.sqrt(2) * width)) - erf((e[:-1] - centre) / (np.sqrt(2) * width)))
    alpha, n = 1.5, 3.0
    a, b = (n / alpha) ** n * np.exp(-0.5 * alpha * alpha), n / alpha - alpha
    total = n / (alpha * (n - 1)) * np.exp(-0.5 * alpha * alpha) + np.sqrt(np.pi / 2) * (1 + erf(alpha / np.sqrt(2)))
    h = np.empty(len(e) - 1)
    for i in range(len(e) - 1):
        t = np.linspace((e[i] - centre) / width, (e[i + 1] - centre) / width, 2001)
        f = np.where(t > -alpha, np.exp(-0.5 * t * t), a * np.abs(b - t) ** -n)
        h[i] = np.trapz(f, t) / total
    return h


def dijet_bins(e):
    """mu_b(q), q = (ln p0, p1, p2, p3): the dijet function integrated over each bin of edges e."""
    xs = [np.linspace(e[i] / SQRT_S, e[i + 1] / SQRT_S, 33) for i in range(len(e) - 1)]
    return lambda q: np.array([np.trapz(np.exp(q[0] + q[1] * np.log1p(-x) - (q[2] + q[3] * np.log(x)) * np.log(x)), x) for x in xs])


def bins_within(e, lo, hi):
    """The bins of edges e that lie inside [lo, hi)."""
    return (e[:-1] >= lo - 1e-6) & (e[1:] <= hi + 1e-6)


def mean_and_error(x):
    """The mean of x and its standard error (NaN for a single value)."""
    return x.mean(), x.std(ddof=1) / np.sqrt(len(x)) if len(x) > 1 else float("nan")


def sb_background(path, window, row, shape="gauss"):
    g = h5py.File(path, "r")["windows/window_%03d" % window]
    e = g["edges"][:]
    nb = len(e) - 1
    c = g["counts"][:].reshape(-1, nb)[row]
    sr_lo, sr_hi = g["sr_sb"][:2]
    sr = bins_within(e, sr_lo, sr_hi)
    mu_b = dijet_bins(e)
    centre = np.sqrt(sr_lo * sr_hi)
    width = 0.04 * centre
    h = signal_bins(e, centre, width, shape)

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


def dijet_sr(e, c, use, sr):
    """The dijet function (4 parameters) fitted to the bins `use` of counts c by a binned Poisson
    likelihood; its SR prediction and the delta-method error from the fitted bins' Fisher matrix."""
    mu_b = dijet_bins(e)

    def nll(q):
        m = mu_b(q)[use]
        return 1e300 if np.any(m <= 0) else float(np.sum(m - c[use] * np.log(m)))

    q = np.array([0.0, 10.0, 5.0, 0.0])
    q[0] = np.log(c[use].sum() / mu_b(q)[use].sum())
    for tol in (1e-8, 1e-10, 1e-10):
        q = optimize.minimize(nll, q, method="Nelder-Mead", options={"xatol": tol, "fatol": tol, "maxiter": 40000, "maxfev": 80000}).x
    jac = np.zeros((len(e) - 1, 4))
    for k in range(4):
        d = np.zeros(4)
        d[k] = 1e-5 * max(1.0, abs(q[k]))
        jac[:, k] = (mu_b(q + d) - mu_b(q - d)) / (2 * d[k])
    m = mu_b(q)
    cov = np.linalg.inv((jac[use] / m[use, None]).T @ jac[use])
    g = jac[sr].sum(0)
    return m[sr].sum(), float(np.sqrt(g @ cov @ g))


def tails(pairs, window, eps):
    print("| results | true B | fit to the true background outside the SR | scan's fit (all selected events) | shape: truth fit - true | tails: scan - truth fit |")
    print("| --- | --- | --- | --- | --- | --- |")
    shape, tail, sig = [], [], []
    for data, path in pairs:
        d = h5py.File(data, "r")
        m, lab = d["events/mass"][:], d["events/label"][:]
        f = h5py.File(path, "r")
        g = f["windows/window_%03d" % window]
        e = g["edges"][:]
        lo, hi = g["fit_range"][:2]
        sr_lo, sr_hi = g["sr_sb"][:2]
        row = 1 + int(np.argmin(np.abs(f["eps"][:] - eps)))
        score = f["scores/cwola/window_%03d" % window][:]
        spec = np.where((m >= lo) & (m < hi) & np.isfinite(score))[0]
        top = spec[np.argsort(-score[spec], kind="stable")[: int(np.ceil(eps * len(spec) - 1e-9))]]
        counts = np.histogram(m[top], e)[0].astype(float)
        if not np.array_equal(counts, g["counts"][:].reshape(-1, len(e) - 1)[row]):
            raise SystemExit("cwola_xcheck: %s: the selection made again from the scores does not give the stored spectrum (other data than %s?)" % (path, data))
        bkg = np.histogram(m[top][lab[top] == 0], e)[0].astype(float)
        sr = bins_within(e, sr_lo, sr_hi)
        bt = bkg[sr].sum()
        gap_lo, gap_hi = g["fit_range"][2:4]
        left_out = sr | bins_within(e, gap_lo, gap_hi) if gap_hi > gap_lo else sr
        b_truth, _ = dijet_sr(e, bkg, ~left_out, sr)
        b_scan, s_scan = g["b_sr"][row], g["sigma_b"][row]
        shape.append(b_truth - bt)
        tail.append(b_scan - b_truth)
        sig.append(s_scan)
        print("| %s | %d | %.1f | %.1f +- %.1f | %+.1f | %+.1f |" % (path, bt, b_truth, b_scan, s_scan, b_truth - bt, b_scan - b_truth))
    print()
    print("%d scans, window %d, eps %g: shape %+.1f +- %.1f events, tails %+.1f +- %.1f events (mean sigma_b %.1f)"
          % ((len(shape), window, eps) + mean_and_error(np.array(shape)) + mean_and_error(np.array(tail)) + (np.mean(sig),)))


def pulls(paths, window, row, shape):
    rows = []
    print("| results | true B | background-only fit | pull | pull (with true's Poisson) | S+B fit: background | pull | pull (with true's Poisson) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for path in paths:
        bs, es, s, b0, e0, bt, n = sb_background(path, window, row, shape)
        r = ((b0 - bt) / e0, (b0 - bt) / np.sqrt(e0 ** 2 + bt), (bs - bt) / es, (bs - bt) / np.sqrt(es ** 2 + bt))
        rows.append(r)
        print("| %s | %d | %.1f +- %.1f | %+.2f | %+.2f | %.1f +- %.1f | %+.2f | %+.2f |" % (path, bt, b0, e0, r[0], r[1], bs, es, r[2], r[3]))
    v = np.array(rows)
    k = len(v)
    print()
    print("%d scans, window %d, selection row %d, signal shape %s" % (k, window, row, shape))
    names = ("background-only fit, pull", "background-only fit, pull with true's Poisson", "S+B fit, pull", "S+B fit, pull with true's Poisson")
    for j, name in enumerate(names):
        x = v[:, j]
        print("%s: mean %+.2f +- %.2f, RMS %.2f, within 1: %d of %d" % ((name,) + mean_and_error(x) + (np.sqrt(np.mean(x ** 2)), int(np.sum(np.abs(x) <= 1)), k)))


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
    pl.add_argument("--shape", choices=("gauss", "cb"), default="gauss")
    pl.add_argument("results", nargs="+")
    t = sub.add_parser("tails")
    t.add_argument("--window", type=int, default=0)
    t.add_argument("--eps", type=float, default=0.01)
    t.add_argument("files", nargs="+", help="DATA.h5 RESULTS.h5 pairs")
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
    if args.what == "tails":
        if len(args.files) % 2:
            raise SystemExit("cwola_xcheck tails: give DATA.h5 RESULTS.h5 in pairs (%d files)" % len(args.files))
        tails(list(zip(args.files[::2], args.files[1::2])), args.window, args.eps)
        return
    if args.what == "pulls":
        pulls(args.results, args.window, args.row, args.shape)
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
