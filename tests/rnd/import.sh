# hadal import darkmachines: random challenge-style CSV files (background and two signals) into one
# event file; both encodings checked against an independent Python encoding, slot counts from the
# data, labels and signal names per file, weights; the same bytes at 1 and 2 ranks.
. "$HADAL_SRC/tests/lib.sh"
need_python h5py numpy
"$PYTHON" - <<'PY' || fail "csv"
import numpy as np
rng = np.random.default_rng(9)
types = ["j", "b", "e-", "e+", "m-", "m+", "g"]
for name, proc, n in [("bkg.csv", "ttbar", 300), ("sig1.csv", "zprime_2TeV", 40), ("sig2.csv", "glgl_1.4TeV", 30)]:
    with open(name, "w") as f:
        for i in range(n):
            objs = ";".join("%s,%.6g,%.6g,%.6g,%.6g" % (types[rng.integers(7)], rng.exponential(200) + 20, rng.exponential(100) + 15, rng.normal(0, 1.5), rng.uniform(-3.14, 3.14)) for _ in range(rng.integers(0, 12)))
            f.write("%d;%s;%.6g;%.6g;%.6g;%s%s\n" % (i, proc, rng.uniform(0.5, 2), rng.exponential(50), rng.uniform(-3.14, 3.14), objs, ";" if rng.random() < 0.5 else ""))
PY
"$HADAL" import darkmachines -i bkg.csv,sig1.csv,sig2.csv -label 0,1,2 -o np1.h5 > np1.log 2>&1 || { fail "import"; cat np1.log; }
$MPIEXEC -n 2 "$HADAL" import darkmachines -i bkg.csv,sig1.csv,sig2.csv -label 0,1,2 -o np2.h5 > np2.log 2>&1 || { fail "import at 2 ranks"; cat np2.log; }
[ "$(hash_datasets np1.h5)" = "$(hash_datasets np2.h5)" ] && pass "same datasets at 1 and 2 ranks" || fail "datasets differ between 1 and 2 ranks"
"$PYTHON" - <<'PY' || fail "encoding"
import h5py, numpy as np
types = ["j", "b", "e-", "e+", "m-", "m+", "g"]; short = ["j", "b", "em", "ep", "mm", "mp", "g"]
ev, lab, w = [], [], []
for k, name in enumerate(["bkg.csv", "sig1.csv", "sig2.csv"]):
    for line in open(name):
        fl = line.strip().rstrip(";").split(";")
        objs = [(types.index(o.split(",")[0]), *map(float, o.split(",")[1:])) for o in fl[5:]]
        ev.append((float(fl[3]), float(fl[4]), objs)); lab.append(k); w.append(float(fl[2]))
slots = [max(sum(1 for o in e[2] if o[0] == t) for e in ev) for t in range(7)]
S = sum(slots)
names, rows = [], []
for e in ev:
    met, metphi, objs = e
    objs = sorted(objs, key=lambda o: -o[2])
    on, kin = [], []
    for t in range(7):
        mine = [o for o in objs if o[0] == t]
        for s in range(slots[t]):
            on.append(1.0 if s < len(mine) else 0.0)
            kin += list(mine[s][1:]) if s < len(mine) else [0.0] * 4
    sv = on + kin + [met, metphi]
    counts = [float(sum(1 for o in objs if o[0] == t)) for t in range(7)]
    jets = [o for o in objs if o[0] in (0, 1)][:7]; leps = [o for o in objs if 2 <= o[0] <= 5][:4]
    fj = sum(([1.0 + o[0], *o[1:]] for o in jets), []) + [0.0] * 5 * (7 - len(jets))
    fl = sum(([o[0] - 1.0, *o[1:]] for o in leps), []) + [0.0] * 5 * (4 - len(leps))
    rows.append(sv + [met, metphi] + counts + fj + fl)
want = np.array(rows, np.float32)
f = h5py.File("np1.h5")
got = f["events/features"][:]
assert got.shape == want.shape, (got.shape, want.shape)
assert np.array_equal(got, want), np.argwhere(got != want)[:5]
assert (f["events/label"][:] == lab).all() and np.allclose(f["events/weight"][:], w)
assert [s.decode() for s in f.attrs["signals"]] == ["zprime_2TeV", "glgl_1.4TeV"]
n = [s.decode() for s in f["events/features"].attrs["names"]]
assert n[0] == "sv_j1_on" and n[5 * S] == "sv_met" and n[5 * S + 2] == "fl_met" and n[-1] == "fl_lep4_phi", n[:3]
print("encoding matches; slots", slots)
PY
finish
