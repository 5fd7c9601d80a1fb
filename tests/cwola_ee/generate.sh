# ee_isr: one seed gives byte-identical datasets at 1, 2 and 3 ranks, another seed other data; the
# physics the method relies on: the signal line at m_X, the sets' shape and padding, set_size within
# the set dimension, heavier and more b-tagged jets in the signal, the measured masses.
. "$HADAL_SRC/tests/lib.sh"
need_python h5py numpy
args=(-n 2500 -seed 7 -signal_fraction 0.1)
for np in 1 2 3; do
  $MPIEXEC -n $np "$HADAL" generate ee_isr -o ee.np$np.h5 "${args[@]}" > gen$np.log 2>&1 || { fail "generate at $np ranks:"; cat gen$np.log; }
  hash_datasets ee.np$np.h5 events > ee.np$np.sha
done
[ -s ee.np1.sha ] || fail "no datasets hashed"
for np in 2 3; do
  cmp -s ee.np1.sha ee.np$np.sha && pass "datasets at $np ranks identical to 1 rank" || { fail "datasets at $np ranks differ"; diff ee.np1.sha ee.np$np.sha; }
done
"$HADAL" generate ee_isr -o ee.s8.h5 -n 2500 -seed 8 -signal_fraction 0.1 > /dev/null 2>&1 || fail "seed 8"
hash_datasets ee.s8.h5 events > ee.s8.sha
[ "$(diff ee.np1.sha ee.s8.sha | grep -c '^>')" -eq "$(wc -l < ee.np1.sha)" ] && pass "seed 8 differs in every dataset" || fail "seed 8 repeats a dataset of seed 7"
for mv in photon hadron; do
  "$HADAL" generate ee_isr -o ee.$mv.h5 "${args[@]}" -mass_variable $mv > /dev/null 2>&1 || fail "-mass_variable $mv"
done
"$PYTHON" - <<'PY' || fail "file contents"
import h5py, numpy as np
with h5py.File("ee.np2.h5", "r") as f:
    e = f["events"]
    s, n, m, y, x = e["sets"][...], e["set_size"][...], e["mass"][...], e["label"][...], e["features"][...]
    assert s.shape == (2500, 15, 10) and x.shape == (2500, 15), (s.shape, x.shape)
    assert n.min() >= 2 and n.max() <= 15, (n.min(), n.max())
    for i in range(2500):
        assert not s[i, n[i]:].any(), "padding is not zero"
        assert (np.diff(s[i, :n[i], 0]) <= 0).all(), "jets not in decreasing pT"
    assert 150 < y.sum() < 350, y.sum()
    assert abs(np.median(m[y == 1]) - 700) < 2 and np.abs(m[y == 1] - 700).max() < 5, "signal line"
    assert m[y == 0].min() >= 300 and m[y == 0].max() <= 985
    assert np.median(s[y == 1, 0, 3]) > 3 * np.median(s[y == 0, 0, 3]), "signal jets must be heavier"
    assert s[y == 1, :, 4].sum(1).mean() > 2 * s[y == 0, :, 4].sum(1).mean(), "signal must carry more b-tags"
    assert set(np.unique(s[:, :, 4])) <= {0.0, 1.0}
    a = f.attrs
    assert a["generator"] in ("ee_isr", b"ee_isr") and a["signal_mx"] == 700 and a["signal_ma"] == 100
with h5py.File("ee.photon.h5", "r") as f:
    m, y = f["events/mass"][...], f["events/label"][...]
    s = m[y == 1]
    assert 0.3 < np.mean(np.abs(s - 700) < 25) < 0.95, "photon-measured signal: a peak with resolution and a tail"
with h5py.File("ee.hadron.h5", "r") as f:
    m, y = f["events/mass"][...], f["events/label"][...]
    assert np.median(m[y == 1]) < 700 and np.median(m[y == 1]) > 550, np.median(m[y == 1])
print("contents ok")
PY
finish
