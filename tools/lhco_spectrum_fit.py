#!/usr/bin/env python3
"""How well the dijet function describes the background mjj spectrum of an event file.

    tools/lhco_spectrum_fit.py FILE [-range 2950,7500] [-bin 0.02] [-window 3300,3700]

Fits f(x) = p0 (1 - x)^p1 / x^(p2 + p3 ln x), x = mjj / 13 TeV (the 4-parameter dijet function
of the CMS and ATLAS dijet searches; also its 3-parameter form without p3), by a binned Poisson
likelihood to the label-0 events of FILE in -range, bins of relative width -bin (logarithmic, as
the bump hunt's -bin_width). Prints chi2 / ndf, the largest |pull| and, for the -window, the
fitted minus the true number of events over its statistical error: with a spectrum outside the
fit family, that is the fit bias a bump hunt would see as spurious signal. Debian's python3-scipy.
"""
import argparse

import h5py
import numpy as np
from scipy.optimize import minimize


def dijet(m, p, n):
    x = m / 13000.0
    lx = np.log(x)
    e = p[1] * np.log1p(-x) - p[2] * lx - (p[3] * lx * lx if n == 4 else 0.0)
    return np.exp(p[0] + e)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file")
    ap.add_argument("-range", default="2950,7500")
    ap.add_argument("-bin", type=float, default=0.02)
    ap.add_argument("-window", default="3300,3700")
    a = ap.parse_args()
    lo, hi = (float(v) for v in a.range.split(","))
    wlo, whi = (float(v) for v in a.window.split(","))
    with h5py.File(a.file, "r") as h:
        m, y = h["events/mass"][:], h["events/label"][:]
    m = m[y == 0].astype(np.float64)
    edges = [lo]
    while edges[-1] * (1 + a.bin) <= hi:
        edges.append(edges[-1] * (1 + a.bin))
    edges = np.array(edges)
    n, _ = np.histogram(m, edges)
    # the expected count of a bin: the function integrated over it by Simpson's rule
    a_, b_ = edges[:-1], edges[1:]
    c, w = 0.5 * (a_ + b_), b_ - a_
    inw = (c > wlo) & (c < whi)
    print("%s: %d background events in [%g, %g) GeV, %d bins of %g%%" % (a.file, n.sum(), lo, hi, len(n), 100 * a.bin))
    for npar in (3, 4):
        def nll(p):
            mu = (dijet(a_, p, npar) + 4 * dijet(c, p, npar) + dijet(b_, p, npar)) * w / 6
            return np.sum(mu - n * np.log(np.maximum(mu, 1e-300)))
        p0 = np.array([np.log(max(n[0], 1) / w[0]) - 10 * np.log1p(-c[0] / 13000) + 4.5 * np.log(c[0] / 13000), 10.0, 4.5, 0.0])
        best = None
        for start in (p0, p0 + [0, 2, 0.5, 0], p0 + [0, -2, -0.5, 0]):
            r = minimize(nll, start, method="Nelder-Mead", options={"maxiter": 40000, "maxfev": 40000, "xatol": 1e-9, "fatol": 1e-9})
            r = minimize(nll, r.x, method="BFGS")
            best = r if best is None or r.fun < best.fun else best
        mu = (dijet(a_, best.x, npar) + 4 * dijet(c, best.x, npar) + dijet(b_, best.x, npar)) * w / 6
        pull = (n - mu) / np.sqrt(np.maximum(mu, 1))
        chi2 = float(np.sum(pull ** 2))
        nw, muw = n[inw].sum(), mu[inw].sum()
        print("  %d parameters: chi2/ndf %.1f/%d, max |pull| %.2f; window [%g, %g): fitted - true = %+.0f events (%+.2f sigma of the %d events, %+.2f%%)"
              % (npar, chi2, len(n) - npar, np.abs(pull).max(), wlo, whi, muw - nw, (muw - nw) / np.sqrt(nw), nw, 100 * (muw - nw) / nw))


if __name__ == "__main__":
    main()
