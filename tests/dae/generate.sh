# hadal generate adc2021: the same file (every dataset bit for bit) at 1 and 3 ranks; the layout of
# the 2021 challenge (57 columns: MET, 4 e, 4 mu, 10 jets x pT, eta, phi), each object kind
# pT-ordered and zero-padded, MET with eta 0, acceptance in |eta|, at least one e or mu above
# 23 GeV in every event; signal fractions near -signal_fraction each; -signal_fraction 0 gives SM
# only; W -> l nu events show the Jacobian peak (transverse mass near 80 GeV); A -> 4 l has more
# leptons, the LQ pair and h+ from top decays more jets than the SM; bad options named.
. "$HADAL_SRC/tests/lib.sh"
need_python h5py numpy
"$HADAL" generate adc2021 -o np1.h5 -n 40000 -seed 9 -signal_fraction 0.005 > np1.log 2>&1 || { fail "1 rank"; cat np1.log; }
$MPIEXEC -n 3 "$HADAL" generate adc2021 -o np3.h5 -n 40000 -seed 9 -signal_fraction 0.005 > np3.log 2>&1 || { fail "3 ranks"; cat np3.log; }
if [ "$(hash_datasets np1.h5)" = "$(hash_datasets np3.h5)" ]; then pass "identical datasets at 1 and 3 ranks"; else fail "datasets differ between 1 and 3 ranks"; fi
"$HADAL" generate adc2021 -o sm.h5 -n 5000 -seed 9 -signal_fraction 0 > sm.log 2>&1 || fail "SM only"
"$PYTHON" - <<'PY' || fail "layout and physics"
import h5py, numpy as np
f = h5py.File("np1.h5")
x, lab = f["events/features"][:], f["events/label"][:]
assert x.shape == (40000, 57) and x.dtype == np.float32, x.shape
assert list(f.attrs["signals"].astype(str)) == ["lq_btau", "a_4l", "h0_tautau", "hpm_taunu"]
obj = x.reshape(-1, 19, 3)
pt, eta = obj[:, :, 0], obj[:, :, 1]
assert np.all(eta[:, 0] == 0) and np.all(pt[:, 0] >= 0), "MET row"
for name, a, b, etamax in [("electrons", 1, 5, 3.0), ("muons", 5, 9, 2.1), ("jets", 9, 19, 4.0)]:
    p = pt[:, a:b]
    assert np.all(np.diff(p, axis=1) <= 0), name + " not pT-ordered"
    empty = p == 0
    assert np.all(obj[:, a:b][empty] == 0), name + ": padding is not zero"
    assert np.all(np.abs(eta[:, a:b]) < etamax), name + " outside the acceptance"
lead = np.maximum(pt[:, 1], pt[:, 5])
assert np.all(lead > 23), "an event without a lepton above 23 GeV"
counts = np.bincount(lab, minlength=5)
for k in range(1, 5):
    assert abs(counts[k] - 200) < 5 * np.sqrt(200), "signal %d: %d events, expect about 200" % (k, counts[k])
# W -> l nu: transverse mass of the leading lepton and MET peaks below 80 GeV with its edge there
sm = lab == 0
assert abs(counts[0] / 40000 - 0.98) < 0.01
one = sm & ((pt[:, 1] > 0) ^ (pt[:, 5] > 0)) & (pt[:, 9] < 30)
l = np.where(pt[:, 1] > 0, 1, 5)
lpt = pt[np.arange(len(l)), l]; lphi = obj[np.arange(len(l)), l, 2]
mt = np.sqrt(2 * lpt * pt[:, 0] * (1 - np.cos(lphi - obj[:, 0, 2])))[one]
h, e = np.histogram(mt, bins=np.arange(0, 120, 5))
assert 50 <= e[np.argmax(h)] <= 85, "transverse-mass peak at %g GeV" % e[np.argmax(h)]
assert h[e[:-1] >= 95].sum() < 0.2 * h.sum(), "no Jacobian edge"
# A -> 4 leptons has more leptons than the SM
nlep = (pt[:, 1:9] > 0).sum(1)
assert nlep[lab == 2].mean() > nlep[sm].mean() + 1, "A -> 4l: %g leptons against %g" % (nlep[lab == 2].mean(), nlep[sm].mean())
# LQ LQbar -> b tau b tau and t tbar -> (b h+)(b W): two b jets and tau or W products, more jets
# and more jet pT than the SM mixture (a single LQ or h+ alone would have about the SM's)
nj, ht = (pt[:, 9:19] > 0).sum(1), pt[:, 9:19].sum(1)
for k, name in [(1, "LQ pair"), (4, "h+ from top decays")]:
    assert nj[lab == k].mean() > nj[sm].mean() + 1, "%s: %g jets against %g" % (name, nj[lab == k].mean(), nj[sm].mean())
    assert np.median(ht[lab == k]) > 2 * np.median(ht[sm]), "%s: median jet pT sum %g against %g" % (name, np.median(ht[lab == k]), np.median(ht[sm]))
s = h5py.File("sm.h5")["events/label"][:]
assert np.all(s == 0), "-signal_fraction 0 gave signal events"
print("layout, ordering, padding, trigger, signal fractions, W transverse mass, A -> 4l leptons, LQ pair and h+ jets")
PY
expect_error "bad signal" "unknown signal 'zprime'" "$HADAL" generate adc2021 -o bad.h5 -n 10 -signals zprime
expect_error "bad fraction" "signal_fraction" "$HADAL" generate adc2021 -o bad.h5 -n 10 -signal_fraction 0.5
no_outputs bad.h5
finish
