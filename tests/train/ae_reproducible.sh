# Bit-for-bit reproducibility of training: the same seed gives the same parameters and scores at
# 1, 2, 3 and 4 ranks and for every group size (a 3-member ensemble).
. "$HADAL_SRC/tests/lib.sh"
need_python h5py numpy
"$PYTHON" "$HADAL_SRC/tests/train/make_toy.py" toy.h5 6000 || { fail "make_toy.py cannot write the toy data"; finish; }

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
if $MPIEXEC -n 2 "$HADAL" run -method ae -data toy.h5 -out seed12 -epochs 3 -batch_size 200 -ensemble_size 3 -seed 12 > seed12.log 2>&1; then
  got=$(grep '"parameters_sha256"' seed12/summary.json | head -1)
  [ -n "$got" ] && [ "$got" != "$ref" ] && pass "another seed differs" || fail "seed has no effect (or no parameters_sha256): '$got'"
else
  fail "the seed-12 run failed"; cat seed12.log
fi
# -log_view shows where the time went: hadal's stages and events
"$HADAL" run -method ae -data toy.h5 -out lv -epochs 1 -log_view > lv.log 2>&1 || fail "-log_view run"
for what in "Read:" "Train:" "Evaluate:" "Write:" hdForward hdBackward hdGradSum hdGradScanMax hdGradConvert hdGradAllreduce hdOptimStep hdEventsRead; do
  grep -q "$what" lv.log || fail "-log_view does not show $what"
done
# one name per event: no event registered twice under spellings that differ only in case
names=$(grep -oE "^[Hh]d[A-Z][A-Za-z]+" lv.log | sort -u)
[ "$(printf '%s\n' "$names" | wc -l)" -eq "$(printf '%s\n' "$names" | tr A-Z a-z | sort -u | wc -l)" ] || fail "-log_view events with two spellings: $(printf '%s ' $names)"
# -verbose: every rank's lines, in rank order
$MPIEXEC -n 3 "$HADAL" run -method ae -data toy.h5 -out verbose -epochs 2 -batch_size 200 -verbose > verbose.log 2>&1 || { fail "-verbose run"; cat verbose.log; }
order=$(grep -oE "^\[rank [0-9]+\] ae: epoch +1/" verbose.log | grep -oE "rank [0-9]+" | tr -d 'rank ' | tr '\n' ' ')
[ "$order" = "0 1 2 " ] && pass "-verbose epoch lines in rank order" || { fail "-verbose epoch lines: ranks '$order', want '0 1 2 '"; cat verbose.log; }
pass "-log_view stages and events"
finish
