#!/usr/bin/env python3
"""Supervised reference of an lhco-style event file: how well the truth labels can be learnt from
the features in a signal region of mjj (the best any anomaly detector can do there).

    tools/lhco_supervised.py FILE [FILE2 ...] [-sr 3300,3700] [-features 0,1,2,3] [-min_bkg 10]

The events of all files (e.g. a background-only and a signal-only file of `hadal generate lhco`,
or one file of `hadal import lhco`) with mjj in the signal region are split in half at random
(seed 1); scikit-learn's HistGradientBoostingClassifier is trained on one half with the truth
labels and evaluated on the other: the AUC and the maximum significance improvement
SIC = eps_S / sqrt(eps_B), taken only where at least -min_bkg background events pass (a SIC from
one or two background events is noise). Debian's python3-sklearn and python3-h5py.
"""
import argparse
import sys

import h5py
import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score, roc_curve


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+")
    ap.add_argument("-sr", default="3300,3700", help="signal region in mjj, GeV (default 3300,3700)")
    ap.add_argument("-features", default="", help="feature columns to use (default all)")
    ap.add_argument("-min_bkg", type=int, default=10, help="least background events behind a SIC value")
    a = ap.parse_args()
    lo, hi = (float(v) for v in a.sr.split(","))
    xs, ys = [], []
    for f in a.files:
        with h5py.File(f, "r") as h:
            e = h["events"]
            m, x, y = e["mass"][:], e["features"][:], e["label"][:]
        keep = (m >= lo) & (m < hi)
        xs.append(x[keep])
        ys.append(y[keep])
    x, y = np.concatenate(xs), np.concatenate(ys)
    if a.features:
        x = x[:, [int(c) for c in a.features.split(",")]]
    if (y == 0).sum() < 100 or (y == 1).sum() < 100:
        sys.exit("need at least 100 background and 100 signal events in the signal region (have %d and %d)" % ((y == 0).sum(), (y == 1).sum()))
    rng = np.random.default_rng(1)
    idx = rng.permutation(len(y))
    x, y = x[idx], y[idx]
    h = len(y) // 2
    clf = HistGradientBoostingClassifier(max_iter=300, random_state=0).fit(x[:h], y[:h])
    p = clf.predict_proba(x[h:])[:, 1]
    yt = y[h:]
    auc = roc_auc_score(yt, p)
    fpr, tpr, _ = roc_curve(yt, p)
    nb = int((yt == 0).sum())
    ok = fpr * nb >= a.min_bkg
    sic = tpr[ok] / np.sqrt(fpr[ok])
    i = int(np.argmax(sic))
    print("signal region [%g, %g) GeV: %d background, %d signal events (half for training)" % (lo, hi, (y == 0).sum(), (y == 1).sum()))
    print("supervised AUC %.4f; max SIC %.2f at eps_S %.3f, eps_B %.2e (at least %d background events)" % (auc, sic[i], tpr[ok][i], fpr[ok][i], a.min_bkg))


if __name__ == "__main__":
    main()
