"""Shared check of the CWoLa scan tests: the scan's best window holds the 3.5 TeV W' of the test
data, which is hidden before selection (< 2 sigma) and found after it (>= 3 sigma)."""


def best_window_found(s, what):
    """s: a scan's summary.json; what: the classifier, named in the AUC failure. Returns the best window."""
    best = s["windows"][s["best_window"]]
    print("best window [%.0f, %.0f): Z before %.2f, after %.2f (eps %g), AUC %.3f" % (best["sr_lo"], best["sr_hi"], best["significance_before"], best["best_significance"], best["best_eps"], best["auc"]))
    assert best["sr_lo"] <= 3500 < best["sr_hi"], "the best window misses the 3.5 TeV resonance"
    assert best["best_significance"] >= 3.0, "below 3 sigma after selection"
    assert best["significance_before"] < 2.0, "already 2 sigma before selection: the test data are too easy"
    assert best["auc"] > 0.8, "the %s does not separate signal from background in the SR" % what
    return best
