# A small scan over lhco data with an injected W' (3.5 TeV): the window holding the resonance is
# the most significant after selection (>= 3 sigma, from < 2 before); the results are identical,
# bit for bit, at 1, 2 and 3 ranks, with groups of 2 ranks, and when the windows run one per task and
# are merged (the scores of the whole fit range included).
. "$HADAL_SRC/tests/lib.sh"
# fraction 0.005: with the R&D-like generator and this small ensemble (3 folds x 2 members, 6
# epochs) the classifiers reach AUC 0.8 against truth, and 0.003 gave 1.5 sigma after selection
$MPIEXEC -n 2 "$HADAL" generate lhco -o data.h5 -n 100000 -seed 3 -signal_fraction 0.005 > gen.log 2>&1 || { cat gen.log; exit 1; }
# three windows, but the background fit over the range of the whole scan (to 6598 GeV) as in the deck
opts="-method cwola -options_file $HADAL_SRC/inputs/cwola_lhco.opts -data data.h5 -sr_max 4300 -fit_hi 6598 -folds 3 -ensemble_size 2 -epochs 6"

"$HADAL" run $opts -out np1 > np1.log 2>&1 || { fail "scan at 1 rank"; cat np1.log; }
$MPIEXEC -n 2 "$HADAL" run $opts -out np2 > np2.log 2>&1 || { fail "scan at 2 ranks"; cat np2.log; }
$MPIEXEC -n 3 "$HADAL" run $opts -out np3 > np3.log 2>&1 || { fail "scan at 3 ranks"; cat np3.log; }
$MPIEXEC -n 2 "$HADAL" run $opts -group_size 2 -out g2 > g2.log 2>&1 || { fail "scan with groups of 2 ranks"; cat g2.log; }
"$HADAL" run $opts -list_windows > list.log 2>&1 && pass "-list_windows exits with status 0" || { fail "-list_windows exits with status $?"; cat list.log; }
n_win=$(awk '/^windows:/ {print $2}' list.log)
[ "$n_win" -ge 2 ] || fail "-list_windows gives no window count"
for w in $(seq 0 $((n_win - 1))); do
  $MPIEXEC -n 2 "$HADAL" run $opts -out parts -window "$w" > "part$w.log" 2>&1 || { fail "window $w alone"; cat "part$w.log"; }
done
"$HADAL" merge -out parts > merge.log 2>&1 || { fail "merge"; cat merge.log; }
cat np1.log | sed -n '/window   SR/,$p'

"$PYTHON" - "$n_win" "$HADAL_SRC/tests/cwola" <<'PY' || fail "scan results"
import json, sys, h5py, numpy as np
n_win = int(sys.argv[1])
sys.path.insert(0, sys.argv[2])
sys.dont_write_bytecode = True  # nothing written into the source tree
from found import best_window_found
s = json.load(open("np1/summary.json"))
best = best_window_found(s, "ensemble")
assert len(s["windows"]) == n_win, "%d windows in the summary, -list_windows gives %d" % (len(s["windows"]), n_win)
assert s["models_trained"] == 3 * 2 * len(s["windows"])

def same(a, b, what):
    # every window of the reference, no more and no fewer, each with the same keys and values
    assert len(a["windows"]) == len(b["windows"]), "%s: %d windows, the reference has %d" % (what, len(b["windows"]), len(a["windows"]))
    for wa, wb in zip(a["windows"], b["windows"]):
        assert sorted(wa) == sorted(wb), "%s: window %d has keys %s, the reference %s" % (what, wa["index"], sorted(wb), sorted(wa))
        for k in wa:
            va, vb = wa[k], wb[k]
            assert va == vb, "%s: window %d %s differs: %r vs %r" % (what, wa["index"], k, va, vb)
for other in ["np2", "np3", "g2", "parts"]:
    o = json.load(open(other + "/summary.json"))
    same(s, o, other)
    fa, fb = h5py.File("np1/results.h5"), h5py.File(other + "/results.h5")
    assert sorted(fa["scores/cwola"]) == sorted(fb["scores/cwola"]), "%s: score datasets %s, the reference %s" % (other, sorted(fb["scores/cwola"]), sorted(fa["scores/cwola"]))
    assert sorted(fa["windows"]) == sorted(fb["windows"]), "%s: window groups %s, the reference %s" % (other, sorted(fb["windows"]), sorted(fa["windows"]))
    for k in fa["scores/cwola"]:
        a, b = fa["scores/cwola"][k][:].view(np.uint32), fb["scores/cwola"][k][:].view(np.uint32)
        assert np.array_equal(a, b), "%s: scores of %s differ" % (other, k)
    for w in fa["windows"]:
        assert sorted(fa["windows"][w]) == sorted(fb["windows"][w]), "%s: datasets of %s differ" % (other, w)
        for d in fa["windows"][w]:
            a, b = fa["windows"][w][d][:], fb["windows"][w][d][:]
            assert np.array_equal(a.view(np.uint64), b.view(np.uint64)), "%s: %s/%s differs" % (other, w, d)
print("1 rank, 2 ranks, 3 ranks, groups of 2 ranks and -window + merge: identical")

# the background fit: over the whole fit range (not the window's sidebands), every bin outside the
# SR and its gap fitted: hadal's parameters minimise the Poisson likelihood of exactly those bins (an
# independent minimisation with scipy from them finds nothing lower), and not that of the
# sidebands alone
from scipy import integrate, optimize
f = h5py.File("np1/results.h5")
g = f["windows/window_000"]
edges, counts = g["edges"][:], g["counts"][:].reshape(-1, len(g["edges"]) - 1)
sr_lo, sr_hi, sb_lo, sb_hi = g["sr_sb"][:]
w0 = s["windows"][0]
assert abs(edges[0] / w0["fit_lo"] - 1) < 1e-6 and abs(edges[-1] / w0["fit_hi"] - 1) < 1e-6, "bins [%g, %g], fit range [%g, %g]" % (edges[0], edges[-1], w0["fit_lo"], w0["fit_hi"])
assert edges[0] <= sb_lo + 1e-6 and edges[-1] > sb_hi + 1, "the fit range [%g, %g] does not reach beyond the window [%g, %g]" % (edges[0], edges[-1], sb_lo, sb_hi)
nb = len(edges) - 1
gap_lo, gap_hi = g["fit_range"][2:]
if gap_hi <= 0: gap_lo, gap_hi = sr_lo, sr_hi
sr = np.array([edges[i + 1] > gap_lo and edges[i] < gap_hi for i in range(nb)])  # the SR and its gap
sb = np.array([edges[i] >= sb_lo and edges[i + 1] <= sb_hi for i in range(nb)]) & ~sr
def mu(p, i):
    fx = lambda x: p[0] * (1 - x) ** p[1] / x ** (p[2] + p[3] * np.log(x))
    return integrate.quad(fx, edges[i] / 13000, edges[i + 1] / 13000, epsabs=0, epsrel=1e-12)[0]
def nll(p, use, n):
    if p[0] <= 0: return 1e300
    return sum(mu(p, i) - n[i] * np.log(mu(p, i)) for i in range(nb) if use[i])
for e in (0, 2):
    p = g["fit_params"][:].reshape(-1, 4)[e]
    if not np.all(np.isfinite(p)): continue
    n = counts[e]
    out = ~sr
    a = nll(p, out, n)
    opt = {"xatol": 1e-9, "fatol": 1e-10, "maxiter": 6000}
    res = optimize.minimize(lambda q: nll([p[0] * np.exp(q[0]), q[1], q[2], q[3]], out, n), [0, p[1], p[2], p[3]], method="Nelder-Mead", options=opt)
    assert res.fun >= a - 1e-6 * abs(a), "row %d: scipy finds NLL %.8f below hadal's %.8f over the bins outside the SR" % (e, res.fun, a)
    b = nll(p, sb, n)
    res_sb = optimize.minimize(lambda q: nll([p[0] * np.exp(q[0]), q[1], q[2], q[3]], sb, n), [0, p[1], p[2], p[3]], method="Nelder-Mead", options=opt)
    assert res_sb.fun < b - 1e-4, "row %d: hadal's parameters also minimise the sidebands alone: not a fit over the whole spectrum" % e
    print("row %d: fit over %d bins outside the SR is the minimum (NLL %.6f, scipy %.6f); sidebands alone would move it by %.4f" % (e, out.sum(), a, res.fun, b - res_sb.fun))

# the local significance of every window and selection is the profile likelihood ratio with a
# log-normal background (-bkg_error lognormal, the default), maximised here by scipy from the
# summary's observed count, prediction and error
def z_lognormal(n, b, sb):
    t2, th0 = (sb / b) ** 2, np.log(b)
    r = optimize.minimize_scalar(lambda th: -(n * th - np.exp(th) - (th - th0) ** 2 / (2 * t2)), bounds=(th0 - 40 * np.sqrt(t2) - 5, np.log(n + b + 1) + 5), method="bounded", options={"xatol": 1e-12})
    q = 2 * ((n * np.log(n) if n > 0 else 0) - n + r.fun)
    return np.sign(n - b) * np.sqrt(max(q, 0))
checked = 0
for w in s["windows"]:
    for e, z in enumerate(w["significance_after"]):
        n, b, sb = w["observed_sr"][e + 1], w["predicted_sr"][e + 1], w["predicted_sr_error"][e + 1]
        if z is None or b is None or not sb: continue
        ref = z_lognormal(n, b, sb)
        assert abs(z - ref) < 1e-5 * max(1, abs(ref)), "window %d, eps %g: Z %.8f, log-normal by scipy %.8f (n %g, b %g +- %g)" % (w["index"], s["eps"][e], z, ref, n, b, sb)
        checked += 1
assert checked >= 4, "only %d significances to check" % checked
print("%d local significances equal the log-normal profile likelihood ratio (scipy)" % checked)
PY
# a fit range that starts inside window 0's lower sideband (as above a trigger turn-on): the
# sideband below -fit_lo trains the classifiers, but the selection's threshold is set on the events
# of the fit range alone and only they are binned: every selection of every window holds exactly
# ceil(eps n) events of the n in [fit_lo, fit_hi)
$MPIEXEC -n 2 "$HADAL" run $opts -sr_max 4000 -fit_lo 3100 -out low > low.log 2>&1 || { fail "fit range above window 0's lower sideband"; cat low.log; }
"$PYTHON" - <<'PY' && pass "a sideband below -fit_lo: selections and fits over the fit range only" || fail "a sideband below -fit_lo"
import json, math, h5py, numpy as np
s = json.load(open("low/summary.json"))
m = h5py.File("data.h5")["events/mass"][:]
f = h5py.File("low/results.h5")
w0 = f["windows/window_000"]
sr_lo, sr_hi, sb_lo, sb_hi = w0["sr_sb"][:]
assert sb_lo < 3100 <= sr_lo, "window 0 [%g, %g) does not reach below -fit_lo 3100" % (sb_lo, sb_hi)
for w in s["windows"]:
    g = f["windows/window_%03d" % w["index"]]
    edges = g["edges"][:]
    counts = g["counts"][:].reshape(-1, len(edges) - 1)
    assert abs(edges[0] - 3100) < 1e-6 and abs(w["fit_lo"] - 3100) < 1e-6, "window %d: bins from %g" % (w["index"], edges[0])
    n = int(((m >= edges[0]) & (m < edges[-1])).sum())
    for e, eps in enumerate([1.0] + s["eps"]):
        want = max(1, math.ceil(eps * n - 1e-9))
        assert counts[e].sum() == want, "window %d, eps %g: %d events binned, ceil(eps n) = %d of n = %d in the fit range" % (w["index"], eps, counts[e].sum(), want, n)
print("%d windows: every selection holds ceil(eps n) of the %d events in the fit range" % (len(s["windows"]), n))
PY
# the deck for a W' near 3 TeV: window 0's SR from 2940 GeV with its lower sideband below -fit_lo
(cd "$HADAL_SRC" && "$HADAL" run -options_file inputs/cwola_lhco_low.opts -data "$HADAL_SCRATCH/data.h5" -list_windows) > low_deck.log 2>&1 \
  && grep -q "^   0  SR \[2940.0, 3292.8)  SB \[2773.6, 3490.4) GeV" low_deck.log \
  && pass "inputs/cwola_lhco_low.opts: its options are known, window 0 SR [2940, 3293) GeV, SB from 2774" || { fail "inputs/cwola_lhco_low.opts"; cat low_deck.log; }
# -model_selection tail: the same at 1 and 2 ranks, and it trains folds x (folds - 1) x tries classifiers
tail="$opts -sr_max 3800 -model_selection tail -ensemble_size 1 -tail_tries 2"
"$HADAL" run $tail -out tail1 > tail1.log 2>&1 || { fail "tail selection at 1 rank"; cat tail1.log; }
$MPIEXEC -n 2 "$HADAL" run $tail -out tail2 > tail2.log 2>&1 || { fail "tail selection at 2 ranks"; cat tail2.log; }
"$PYTHON" - <<'PY' || fail "tail selection"
import json, h5py, numpy as np
a, b = json.load(open("tail1/summary.json")), json.load(open("tail2/summary.json"))
assert a["models_trained"] == 3 * 2 * 2 * len(a["windows"]), "models_trained %d" % a["models_trained"]
for wa, wb in zip(a["windows"], b["windows"]):
    assert wa == wb, "window %d differs at 1 and 2 ranks" % wa["index"]
x, y = h5py.File("tail1/results.h5")["scores/cwola/window_000"][:], h5py.File("tail2/results.h5")["scores/cwola/window_000"][:]
assert np.array_equal(x.view(np.uint32), y.view(np.uint32)), "tail scores differ at 1 and 2 ranks"
assert np.isfinite(x).sum() > 0
print("tail selection: %d classifiers, identical at 1 and 2 ranks; window 0 Z after %s" % (a["models_trained"], a["windows"][0]["significance_after"]))
PY
"$PYTHON" "$HADAL_SRC/tools/plot_cwola.py" np1 > plot.log 2>&1 && [ -s np1/plots/significance.png ] && [ -s np1/plots/sculpting.png ] && pass "plots" || { fail "plots"; cat plot.log; }
finish
