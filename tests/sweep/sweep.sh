# hadal sweep: every point's results.h5 and summary.json are those of the single hadal run with the
# point's options (datasets bit for bit, summaries equal but for timings), for ae and cwola at 1 and
# 2 ranks; sweep.json, the table and the plots; -resume skips finished points only; bad grids.
. "$HADAL_SRC/tests/lib.sh"
"$HADAL" generate lhco -o ae.h5 -n 3000 -seed 1 -signal_fraction 0.05 > gen.log 2>&1 || { cat gen.log; exit 1; }
$MPIEXEC -n 2 "$HADAL" generate lhco -o cw.h5 -n 20000 -seed 3 -signal_fraction 0.005 > gen.log 2>&1 || { cat gen.log; exit 1; }
printf -- '-method ae\n-data ae.h5\n-epochs 2\n-hidden 8,3\n-ensemble_size 2\n' > ae.opts
cw_extra="-data cw.h5 -sr_max 4300 -folds 2 -ensemble_size 2 -epochs 2"

# same_run SINGLE POINT: identical datasets, summaries equal but for timings and the rank count
same_run() {
  "$PYTHON" - "$1" "$2" <<'PY'
import json, sys
sys.path.insert(0, __import__("os").environ["HADAL_SRC"] + "/tests")
from h5_datasets import datasets
a, b = sys.argv[1], sys.argv[2]
da, db = datasets(a + "/results.h5"), datasets(b + "/results.h5")
assert sorted(da) == sorted(db), "datasets %s vs %s" % (sorted(da), sorted(db))
for k in da:
    assert da[k] == db[k], "%s differs between %s and %s" % (k, a, b)
def strip(x):
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items() if k not in ("wall_s", "ranks") and not k.endswith("_per_s")}
    if isinstance(x, list):
        return [strip(v) for v in x]
    return x
sa, sb = strip(json.load(open(a + "/summary.json"))), strip(json.load(open(b + "/summary.json")))
assert sa == sb, "summary.json of %s and %s differ" % (a, b)
print("same: %s and %s (%d datasets)" % (a, b, len(da)))
PY
}

for np in 1 2; do
  $MPIEXEC -n $np "$HADAL" sweep -options_file ae.opts -grid "seed=1,2" -out ae_np$np > ae_np$np.log 2>&1 || { fail "ae sweep at $np ranks"; cat ae_np$np.log; }
  $MPIEXEC -n $np "$HADAL" sweep -options_file "$HADAL_SRC/inputs/cwola_lhco.opts" $cw_extra -grid "signal_injection=0,60;seed=1" -out cw_np$np > cw_np$np.log 2>&1 || { fail "cwola sweep at $np ranks"; cat cw_np$np.log; }
  for s in 1 2; do
    $MPIEXEC -n $np "$HADAL" run -options_file ae.opts -seed $s -out ae_single_np${np}_$s > single.log 2>&1 || { fail "ae run"; cat single.log; }
    same_run ae_single_np${np}_$s "ae_np$np/seed=$s" && pass "ae, $np ranks, seed=$s: the point is the single run" || fail "ae, $np ranks, seed=$s differs from the single run"
  done
  for inj in 0 60; do
    $MPIEXEC -n $np "$HADAL" run -options_file "$HADAL_SRC/inputs/cwola_lhco.opts" $cw_extra -signal_injection $inj -seed 1 -out cw_single_np${np}_$inj > single.log 2>&1 || { fail "cwola run"; cat single.log; }
    same_run cw_single_np${np}_$inj "cw_np$np/seed=1,signal_injection=$inj" && pass "cwola, $np ranks, signal_injection=$inj: the point is the single run" || fail "cwola, $np ranks, signal_injection=$inj differs from the single run"
  done
done
same_run "cw_np1/seed=1,signal_injection=60" "cw_np2/seed=1,signal_injection=60" > /dev/null && pass "cwola point identical at 1 and 2 ranks" || fail "cwola point differs between 1 and 2 ranks"
sed -n '/^point/,$p' cw_np1.log

"$PYTHON" - <<'PY' || fail "sweep.json"
import json
s = json.load(open("cw_np1/sweep.json"))
assert s["method"] == "cwola" and [g["name"] for g in s["grid"]] == ["signal_injection", "seed"], s["grid"]
names = [p["name"] for p in s["points"]]
assert names == ["seed=1,signal_injection=0", "seed=1,signal_injection=60"], names
for p in s["points"]:
    summ = json.load(open(p["dir"] + "/summary.json"))
    best = summ["windows"][summ["best_window"]]
    assert p["headline"]["best_significance"] == best["best_significance"], (p["headline"], best)
a = json.load(open("ae_np2/sweep.json"))
assert len(a["points"]) == 2 and all("auc" in p["headline"] for p in a["points"]), a["points"]
print("sweep.json: grid, points and headline numbers as the points' summaries")
PY
grep -q "^seed=1,signal_injection=60 " cw_np1.log && pass "table on stdout" || fail "no table row for a point"

"$PYTHON" "$HADAL_SRC/tools/plot_sweep.py" cw_np1 > plot.log 2>&1 && [ -s cw_np1/plots/sweep_best_significance_vs_signal_injection.png ] && pass "plot_sweep.py" || { fail "plot_sweep.py"; cat plot.log; }

# -resume: finished points are skipped, a missing one runs again
stamp=$(stat -c %Y.%i "ae_np1/seed=1/summary.json")
rm "ae_np1/seed=2/summary.json"
"$HADAL" sweep -options_file ae.opts -grid "seed=1,2" -out ae_np1 -resume > resume.log 2>&1 || { fail "resume"; cat resume.log; }
grep -q "1 to run" resume.log && [ "$(stat -c %Y.%i "ae_np1/seed=1/summary.json")" = "$stamp" ] && [ -s "ae_np1/seed=2/summary.json" ] && pass "-resume runs only the unfinished point" || { fail "-resume"; cat resume.log; }
same_run ae_single_np1_2 "ae_np1/seed=2" > /dev/null && pass "the resumed point is the single run" || fail "resumed point differs"
grep -q "done before" resume.log || fail "the table does not mark the points done before"
# -resume with another option for every point: the finished points are not taken as done (they
# were reported under the new options before); the rerun points equal single runs with it
"$HADAL" sweep -options_file ae.opts -grid "seed=1,2" -out ae_np1 -resume -hidden 8,4 > other.log 2>&1 || { fail "resume with other options"; cat other.log; }
[ "$(grep -c "was finished with other options" other.log)" = 2 ] && grep -q "(2 to run)" other.log && pass "-resume with another -hidden: both points run again" || { fail "-resume with other options"; cat other.log; }
"$HADAL" run -options_file ae.opts -seed 2 -hidden 8,4 -out ae_single_h84 > single84.log 2>&1 || { fail "ae run -hidden 8,4"; cat single84.log; }
same_run ae_single_h84 "ae_np1/seed=2" > /dev/null && pass "the rerun point is the single run with the new option" || fail "rerun point differs from the single run with -hidden 8,4"
"$HADAL" sweep -options_file ae.opts -grid "seed=1,2" -out ae_np1 -resume -hidden 8,4 > again.log 2>&1 && grep -q "(0 to run" again.log && pass "-resume with the same options again: nothing to run" || { fail "resume again"; cat again.log; }

# a sweep over -data: each point's checkpoint names its own file only, as its single run's does
"$HADAL" generate lhco -o ae2.h5 -n 2000 -seed 4 > gen.log 2>&1 || { cat gen.log; exit 1; }
"$HADAL" sweep -options_file ae.opts -grid "data=ae.h5,ae2.h5;ensemble_size=1" -out bydata > bydata.log 2>&1 || { fail "sweep over -data"; cat bydata.log; }
"$PYTHON" - <<'PY' && pass "checkpoints of a sweep over -data name their own file" || fail "checkpoint data identity"
import h5py
for f in ("ae.h5", "ae2.h5"):
    with h5py.File("bydata/data=%s,ensemble_size=1/checkpoint_m000.h5" % f) as c:
        v = c.attrs["data_path"]
        v = v.decode() if isinstance(v, bytes) else str(v)
        assert v == f, (f, v)
PY

expect_error "unknown grid option" "option -grid: -sed is not an option of method ae" "$HADAL" sweep -options_file ae.opts -grid "sed=1,2" -out bad1
expect_error "empty value" "option -grid: seed has an empty value" "$HADAL" sweep -options_file ae.opts -grid "seed=1,,2" -out bad2
expect_error "no values" "option -grid: seed has no values" "$HADAL" sweep -options_file ae.opts -grid "seed=" -out bad3
expect_error "range backwards" "bad range '5:1' for seed: LAST is below FIRST" "$HADAL" sweep -options_file ae.opts -grid "seed=5:1" -out bad4
expect_error "range not a number" "bad range '1:x' for seed" "$HADAL" sweep -options_file ae.opts -grid "seed=1:x" -out bad5
expect_error "range step" "bad range '1:5:0' for seed: the step must be positive" "$HADAL" sweep -options_file ae.opts -grid "seed=1:5:0" -out bad6
expect_error "no grid" "option -grid is required" "$HADAL" sweep -options_file ae.opts -out bad7
expect_error "reserved" "option -grid: -out cannot be swept" "$HADAL" sweep -options_file ae.opts -grid "out=a,b" -out bad8
expect_error "no method" "option -method is required" "$HADAL" sweep -data ae.h5 -grid "seed=1,2" -out bad9
expect_error "typo in the deck" "unknown option -epohcs" "$HADAL" sweep -options_file ae.opts -epohcs 3 -grid "seed=1" -out bad10
expect_error "group sizes differ" "option -grid: -group_size cannot be swept" $MPIEXEC -n 2 "$HADAL" sweep -options_file ae.opts -grid "group_size=1,2" -out bad11
expect_error "check_options swept" "option -grid: -check_options cannot be swept" "$HADAL" sweep -options_file ae.opts -grid "check_options=1,0" -out bad12
expect_error "one number written twice" "option -grid: seed has the value 1 twice \(as '1' and '1.0'\)" "$HADAL" sweep -options_file ae.opts -grid "seed=1,1.0" -out bad13
expect_error "one number with a leading zero" "seed has the value 01 twice" "$HADAL" sweep -options_file ae.opts -grid "seed=01,1" -out bad14
no_outputs bad1/seed=1/results.h5 bad2 bad3 bad4 bad5 bad6 bad7 bad8 bad9 bad11 bad12 bad13 bad14
"$HADAL" sweep -options_file ae.opts -grid "seed=1:5:2;hidden=4,8" -out ranged > ranged.log 2>&1 && [ -d "ranged/hidden=8,seed=5" ] && [ "$(ls -d ranged/hidden=* | wc -l)" = 6 ] && pass "range with a step, product of two axes (6 points)" || { fail "ranged sweep"; cat ranged.log; }
# another grid into the folder of an earlier sweep: its point folders are named, left alone
"$HADAL" sweep -options_file ae.opts -grid "seed=3" -out ae_np1 > regrid.log 2>&1 || { fail "sweep with another grid"; cat regrid.log; }
grep -q "sweep: note: ae_np1 holds 2 point folders of another grid (.*seed=1.*), left as they are" regrid.log && [ -d "ae_np1/seed=1" ] && pass "another grid into the same folder: the earlier points named, kept" || { fail "another grid: no note"; cat regrid.log; }
finish
