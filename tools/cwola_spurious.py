#!/usr/bin/python3
"""The spurious-signal test of the CWoLa bump hunt on background-only data
(docs/methods/cwola.md): per window, the fitted SR background against the truth.

    /usr/bin/python3 tools/cwola_spurious.py DIR DATA.h5

DIR is a scan's output folder, DATA.h5 its lhco event file without signal (made by
`hadal generate lhco -signal_fraction 0`, reshaped or not by tools/cwola_reshape.py). Before
selection the truth is the expected SR count of the generator's density, the dijet function of
the file's attributes (dijet_p1..p3, sqrt_s) times the reshaping exp(-k ln(m / m0)^3) when the file
has reshape_k, normalised to the events of the window's fit range (the generator's trigger is fully
efficient there): "fit - expected" and its pull in units of the fit's sigma_b. After each selection
the expected count is not known, and the table gives the fit minus the observed SR count and
(fit - observed) / sqrt(observed + sigma_b^2), which is minus the local significance.
"""
import json
import sys

import h5py
import numpy as np
from scipy import integrate


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: cwola_spurious.py DIR DATA.h5")
    s = json.load(open(sys.argv[1] + "/summary.json"))
    with h5py.File(sys.argv[2], "r") as f:
        a = dict(f.attrs)
        mass = f["events/mass"][:]
        label = f["events/label"][:]
    if np.any(label > 0):
        sys.exit("cwola_spurious.py: %s holds signal events: the test needs background alone" % sys.argv[2])
    # the earlier lhco generator drew mjj from the dijet function (its parameters are attributes);
    # the present one from parton luminosities, whose density has no closed form here: then the
    # before-selection column is also fit - observed
    closed = "dijet_p1" in a
    p1, p2, p3, rs = (a["dijet_p1"], a["dijet_p2"], a["dijet_p3"], a["sqrt_s"]) if closed else (0, 0, 0, 13000.0)
    k, m0 = a.get("reshape_k", 0.0), a.get("reshape_m0", 3000.0)

    def dens(m):
        x = m / rs
        return (1 - x) ** p1 / x ** (p2 + p3 * np.log(x)) * np.exp(-k * np.log(m / m0) ** 3)

    eps = s["eps"]
    rows = ([] if closed else [0]) + [j + 1 for j in range(len(eps)) if eps[j] < 1]  # row 1 + j of the per-selection arrays is eps[j]
    print("| window | SR [GeV] | expected B | fit - expected (pull) | " + " | ".join("fit - observed, eps %g (-Z)" % (1 if r == 0 else eps[r - 1]) for r in rows) + " |")
    print("| --- | --- | --- | --- | " + " | ".join("---" for _ in rows) + " |")
    pulls = []
    for w in s["windows"]:
        lo, hi = w["fit_lo"], w["fit_hi"]
        n_fit = np.count_nonzero((mass >= lo) & (mass < hi))
        expected = float("nan") if not closed else n_fit * integrate.quad(dens, w["sr_lo"], w["sr_hi"], epsrel=1e-10)[0] / integrate.quad(dens, lo, hi, epsrel=1e-10, limit=200)[0]
        b, sb = w["predicted_sr"][0], w["predicted_sr_error"][0]
        cells = []
        for e in rows:
            be, se, n = w["predicted_sr"][e], w["predicted_sr_error"][e], w["observed_sr"][e]
            cells.append("null" if be is None else "%+.1f (%+.2f)" % (be - n, (be - n) / np.sqrt(n + se * se)))
        pull = (b - expected) / sb if b is not None and closed else float("nan")
        pulls.append(pull)
        print("| %d | [%.0f, %.0f) | %.0f | %s | %s |" % (w["index"], w["sr_lo"], w["sr_hi"], expected, "null" if b is None else "%+.0f (%+.2f)" % (b - expected, pull), " | ".join(cells)))
    pulls = np.array(pulls)
    if not closed:
        return
    print("\nbefore selection: mean pull %+.2f, rms %.2f over %d windows (window 0 fitted over [%.0f, %.0f) GeV)" % (np.nanmean(pulls), np.sqrt(np.nanmean(pulls ** 2)), len(pulls), s["windows"][0]["fit_lo"], s["windows"][0]["fit_hi"]))


if __name__ == "__main__":
    main()
