# hadal generate darkmachines: byte-identical at 1 and 3 ranks, the label shares of
# -signal_fraction, and the signatures the methods rely on: the *different* signals (Z' leptons,
# resonance jets) far above anything the SM makes, the *rare* ones (susy, stop) inside the SM's
# range of MET but in its tail.
. "$HADAL_SRC/tests/lib.sh"
need_python h5py numpy
"$HADAL" generate darkmachines -o np1.h5 -n 40000 -seed 3 -signal_fraction 0.02 > np1.log 2>&1 || { fail "generate"; cat np1.log; }
$MPIEXEC -n 3 "$HADAL" generate darkmachines -o np3.h5 -n 40000 -seed 3 -signal_fraction 0.02 > np3.log 2>&1 || { fail "generate at 3 ranks"; cat np3.log; }
[ "$(hash_datasets np1.h5 /events)" = "$(hash_datasets np3.h5 /events)" ] && pass "identical at 1 and 3 ranks" || fail "datasets differ between 1 and 3 ranks"
expect_error "unknown signal" "-signals: unknown signal 'wprime'" "$HADAL" generate darkmachines -o bad.h5 -n 10 -signals zprime,wprime
expect_error "too much signal" "-signal_fraction must lie in" "$HADAL" generate darkmachines -o bad.h5 -n 10 -signal_fraction 0.2
no_outputs bad.h5
"$PYTHON" - <<'PY' || fail "physics"
import h5py, numpy as np
f = h5py.File("np1.h5")
X, lab = f["events/features"][:], f["events/label"][:]
n = [s.decode() for s in f["events/features"].attrs["names"]]
assert [s.decode() for s in f.attrs["signals"]] == ["zprime", "dijet", "susy", "stop"]
frac = np.bincount(lab, minlength=5) / len(lab)
assert all(abs(frac[k] - 0.02) < 0.004 for k in range(1, 5)), frac
c = lambda name: X[:, n.index(name)]
lep_pt = np.max([c("fl_lep%d_pt" % i) for i in range(1, 5)], axis=0)
jet_pt = c("fl_jet1_pt"); met = c("fl_met")
sm = lab == 0
assert (lep_pt[lab == 1] > 500).mean() > 0.95 and (lep_pt[sm] > 500).mean() < 1e-3, "Z' leptons"
assert (jet_pt[lab == 2] > 1000).mean() > 0.95 and (jet_pt[sm] > 1000).mean() < 1e-3, "resonance jets"
for k in (3, 4):  # rare: MET inside the SM's range, above its median
    assert np.median(met[lab == k]) > np.percentile(met[sm], 75) and np.median(met[lab == k]) < met[sm].max(), k
assert (c("fl_n_j")[lab == 3] + c("fl_n_b")[lab == 3] >= 3).all() and (lep_pt[lab == 3] == 0).all(), "susy: 3+ jets, no lepton"
# the two encodings agree on MET and on the object counts
assert np.array_equal(c("sv_met"), c("fl_met"))
assert np.array_equal(sum(c("sv_j%d_on" % i) for i in range(1, 7)), np.minimum(c("fl_n_j"), 6))
print("shares", frac.round(4), "SM MET median %.1f, susy %.1f, stop %.1f" % (np.median(met[sm]), np.median(met[lab == 3]), np.median(met[lab == 4])))
PY
finish
