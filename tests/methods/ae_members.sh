# The ensemble driver's per-event columns, seen through ae -member_scores: every member's score
# reaches results.h5 (written by event block from the ranks that own the rows), identical at 1 and
# 3 ranks (3 groups, members dealt round robin); the ensemble score is their mean in member order,
# bit for bit; each member's AUC in summary.json is the AUC of its column.
. "$HADAL_SRC/tests/lib.sh"
"$PYTHON" "$HADAL_SRC/tests/train/make_toy.py" toy.h5 3001 || { echo "SKIP: no h5py"; exit 77; }
opts="-method ae -data toy.h5 -epochs 2 -batch_size 200 -ensemble_size 4 -seed 7 -member_scores"
"$HADAL" run $opts -out np1 > np1.log 2>&1 || { fail "1 rank"; cat np1.log; }
$MPIEXEC -n 3 "$HADAL" run $opts -group_size 1 -out np3 > np3.log 2>&1 || { fail "3 ranks"; cat np3.log; }
"$PYTHON" - <<'PY' || fail "member scores"
import json, h5py, numpy as np
from sklearn.metrics import roc_auc_score
for d in ["np1", "np3"]:
    f = h5py.File(d + "/results.h5")
    cols, score = f["scores/ae_members"][:], f["scores/ae"][:]
    assert cols.shape == (3001, 4) and cols.dtype == np.float32, cols.shape
    # the mean in member order, in double, rounded to float: the ensemble score bit for bit
    mean = np.zeros(3001)
    for m in range(4):
        mean += cols[:, m].astype(np.float64)
    assert np.array_equal((mean / 4).astype(np.float32).view(np.uint32), score.view(np.uint32)), d + ": mean of the columns is not the score"
    assert len({cols[:, m].tobytes() for m in range(4)}) == 4, d + ": members are not distinct"
    lab = h5py.File("toy.h5")["events/label"][:]
    s = json.load(open(d + "/summary.json"))
    for m, r in enumerate(s["member_results"]):
        auc = roc_auc_score(lab > 0, cols[:, m])
        assert abs(auc - r["auc"]) < 1e-9, "%s: member %d AUC %g in summary, %g from its column" % (d, m, r["auc"], auc)
a, b = h5py.File("np1/results.h5")["scores/ae_members"][:], h5py.File("np3/results.h5")["scores/ae_members"][:]
assert np.array_equal(a.view(np.uint32), b.view(np.uint32)), "member scores differ between 1 and 3 ranks"
print("member columns: mean = score bit for bit, per-member AUC, identical at 1 and 3 ranks")
PY
# without the option, no member table
"$HADAL" run -method ae -data toy.h5 -epochs 1 -ensemble_size 2 -out plain > plain.log 2>&1 || fail "plain run"
"$PYTHON" -c "import h5py, sys; sys.exit('scores/ae_members' in h5py.File('plain/results.h5'))" && pass "no member table by default" || fail "member table written without -member_scores"
finish
