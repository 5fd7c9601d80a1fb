# The aa_tabular generator (seed 000 app. B) and Anomaly Awareness on features: the file is the
# same at 1 and 2 ranks; the classes have the kinematics they are built with (VBF jets far apart in
# eta, Z H and axion jets close, graviton photons hardest); an MLP run on the features gives the
# same parameters at 1 and 2 ranks.
. "$HADAL_SRC/tests/lib.sh"
need_python h5py numpy
"$HADAL" generate aa_tabular -o t1.h5 -n 4000 -seed 3 > g1.log 2>&1 || { fail "generate"; cat g1.log; }
$MPIEXEC -n 2 "$HADAL" generate aa_tabular -o t2.h5 -n 4000 -seed 3 > g2.log 2>&1 || { fail "generate at 2 ranks"; cat g2.log; }
[ "$(hash_datasets t1.h5 /events)" = "$(hash_datasets t2.h5 /events)" ] && pass "aa_tabular identical at 1 and 2 ranks" || fail "aa_tabular differs between 1 and 2 ranks"
"$PYTHON" - <<'PY' && pass "class kinematics" || fail "class kinematics"
import h5py, numpy as np
f = h5py.File("t1.h5"); x = f["events/features"][:]; l = f["events/label"][:]
assert [c.decode() if isinstance(c, bytes) else c for c in f.attrs["classes"]] == ["ggf", "vbf", "zh", "axion", "graviton"]
med = np.array([np.median(x[l == k], axis=0) for k in range(5)])
# columns: pt_j1, pt_j2, eta_j1, pt_a1, deta_jj, deta_ja
assert (x[:, 0] >= x[:, 1]).all() and (x[:, :2] > 30).all() and (x[:, 3] > 25).all()
assert med[1, 4] > 3.5 and med[0, 4] < 2.5 and med[2, 4] < 1.0 and med[3, 4] < 1.0, med[:, 4]
assert med[4, 3] > 350 and 150 < med[3, 3] < 250 and med[0, 3] < 100, med[:, 3]
PY
a="run -method aa -input features -data t1.h5 -normal_classes ggf,vbf -aware_classes zh -prior_epochs 3 -epochs 3 -seed 2"
"$HADAL" $a -out r1 > r1.log 2>&1 || { fail "aa on features"; tail r1.log; }
$MPIEXEC -n 2 "$HADAL" $a -out r2 > r2.log 2>&1 || { fail "aa on features at 2 ranks"; tail r2.log; }
"$PYTHON" - <<'PY' && pass "aa on features: same at 1 and 2 ranks" || fail "aa on features differs"
import json
a, b = json.load(open("r1/summary.json")), json.load(open("r2/summary.json"))
assert a["parameters_sha256"] == b["parameters_sha256"] and a["held_out_classes"] == ["axion", "graviton"]
assert a["network"] == "dense 64 relu, dense 64 relu, dense 2", a["network"]
PY
finish
