# Bit-for-bit reproducibility of training: the same seed gives the same parameters and scores at
# 1, 2, 3 and 4 ranks and for every group size (a 3-member ensemble).
. "$HADAL_SRC/tests/lib.sh"
"$PYTHON" "$HADAL_SRC/tests/train/make_toy.py" toy.h5 6000 || { echo "SKIP: no h5py"; exit 77; }

run() { # name np group_size
  $MPIEXEC -n "$2" "$HADAL" run -method ae -data toy.h5 -out "$1" -epochs 3 -batch_size 200 \
    -ensemble_size 3 -group_size "$3" -seed 11 > "$1.log" 2>&1 || { fail "$1 failed"; cat "$1.log"; }
}
run np1 1 1
run np2g1 2 1
run np2g2 2 2
run np3g1 3 1
run np4g1 4 1
run np4g2 4 2
run np4g4 4 4
ref=$(grep '"parameters_sha256"' np1/summary.json | head -1)
[ -n "$ref" ] || fail "no parameters_sha256 in summary.json"
for d in np2g1 np2g2 np3g1 np4g1 np4g2 np4g4; do
  got=$(grep '"parameters_sha256"' $d/summary.json | head -1)
  [ "$got" = "$ref" ] && pass "$d parameters identical" || fail "$d parameters differ: $got vs $ref"
done
# the members differ from each other (different seed streams), and every score is identical
"$PYTHON" - <<'PY' || fail "scores differ between rank counts"
import json, h5py, numpy as np
ref = h5py.File("np1/results.h5")["scores/ae"][:].view(np.uint32)
for d in ["np2g1", "np2g2", "np3g1", "np4g1", "np4g2", "np4g4"]:
    got = h5py.File(d + "/results.h5")["scores/ae"][:].view(np.uint32)
    assert np.array_equal(ref, got), d
s = json.load(open("np1/summary.json"))
# the broad signal of the toy data is an outlier: the ensemble must find it
assert s["auc"] > 0.75, "AUC %.3f: the autoencoder no longer finds the outliers" % s["auc"]
m = s["member_results"]
assert len({r["parameters_sha256"] for r in m}) == 3, "members are not distinct"
print("scores bit-identical across 1-4 ranks and group sizes; members distinct")
PY
# a different seed gives different parameters
$MPIEXEC -n 2 "$HADAL" run -method ae -data toy.h5 -out seed12 -epochs 3 -batch_size 200 -ensemble_size 3 -seed 12 > seed12.log 2>&1
[ "$(grep '"parameters_sha256"' seed12/summary.json | head -1)" != "$ref" ] && pass "another seed differs" || fail "seed has no effect"
# -log_view shows where the time went: hadal's stages and events
"$HADAL" run -method ae -data toy.h5 -out lv -epochs 1 -log_view > lv.log 2>&1 || fail "-log_view run"
for what in "Read:" "Train:" "Evaluate:" "Write:" hdForward hdBackward hdGradAllreduce hdOptimStep hdEventsRead; do
  grep -q "$what" lv.log || fail "-log_view does not show $what"
done
pass "-log_view stages and events"
finish
