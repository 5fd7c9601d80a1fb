# CWoLa hunting with boosted decision trees (-classifier bdt) and features of pure noise
# (-noise_features): the tree ensemble finds the injected 3.5 TeV W' (>= 3 sigma after selection,
# < 2 before) with 3 noise features added; its results are identical, bit for bit, run to run, at
# 1 and 2 ranks, with a group of 2 ranks (one trains, one waits) and with the table split over two
# emulated nodes (each fills its own copy of the noise); the noise changes the scores (it is
# there); tied tree outputs share their rank; bad tree options are one error line naming the
# option.
. "$HADAL_SRC/tests/lib.sh"
need_python h5py numpy
$MPIEXEC -n 2 "$HADAL" generate lhco -o data.h5 -n 100000 -seed 3 -signal_fraction 0.003 > gen.log 2>&1 || { cat gen.log; exit 1; }
# row subsampling on, so that XGBoost's random numbers are part of what must be reproducible
opts="-method cwola -options_file $HADAL_SRC/inputs/cwola_lhco.opts -data data.h5 -sr_max 4300 -folds 3 -ensemble_size 3 -classifier bdt -bdt_subsample 0.8 -noise_features 3"

run() { # run NAME MPI-PREFIX... : one scan into NAME
  local name=$1
  shift
  "$@" "$HADAL" run $opts -out "$name" > "$name.log" 2>&1 || { fail "scan $name"; cat "$name.log"; }
}
run np1 env
run np1_again env
run np2 $MPIEXEC -n 2
run np2_group $MPIEXEC -n 2 -x HADAL_NODE_SIZE=1
"$HADAL" run $opts -noise_features 0 -out clean > clean.log 2>&1 || { fail "scan without noise"; cat clean.log; }
$MPIEXEC -n 2 "$HADAL" run $opts -group_size 2 -out np2_g2 > np2_g2.log 2>&1 || { fail "scan with -group_size 2"; cat np2_g2.log; }
grep -q "3 features of noise added (-noise_features): 9 features" np1.log || fail "np1.log does not report the noise features"
sed -n '/window   SR/,$p' np1.log

"$PYTHON" - "$HADAL_SRC/tests/cwola" <<'PY' || fail "tree scan results"
import json, sys, h5py, numpy as np
sys.path.insert(0, sys.argv[1])
sys.dont_write_bytecode = True  # nothing written into the source tree
from found import best_window_found
s = json.load(open("np1/summary.json"))
best = best_window_found(s, "tree ensemble")

def scores(d):
    f = h5py.File(d + "/results.h5")
    return {k: f["scores/cwola"][k][:] for k in f["scores/cwola"]}
ref = scores("np1")
for other in ["np1_again", "np2", "np2_group", "np2_g2"]:
    o = json.load(open(other + "/summary.json"))
    for wa, wb in zip(s["windows"], o["windows"]):
        for k in wa:
            assert wa[k] == wb[k], "%s: window %d %s differs: %r vs %r" % (other, wa["index"], k, wa[k], wb[k])
    sc = scores(other)
    assert sorted(sc) == sorted(ref), other
    for k in ref:
        assert np.array_equal(ref[k].view(np.uint32), sc[k].view(np.uint32)), "%s: scores of %s differ" % (other, k)
print("run to run, 2 ranks, 2 emulated nodes, -group_size 2: identical")
clean = scores("clean")
assert any(not np.array_equal(ref[k], clean[k], equal_nan=True) for k in ref), "-noise_features 3 gives the scores of no noise"
PY

# ties share their mean rank: with one tree of depth 2 per (window, fold), a window's scores take
# at most 3 folds x 4 leaves distinct values (ranks ordered by row would make them all distinct)
"$HADAL" run $opts -ensemble_size 1 -bdt_trees 1 -bdt_depth 2 -out one_tree > one_tree.log 2>&1 || { fail "scan with one tree"; cat one_tree.log; }
"$PYTHON" - <<'PY' || fail "tied scores"
import h5py, json, numpy as np
f = h5py.File("one_tree/results.h5")
mass = h5py.File("data.h5")["events/mass"][:]
wins = {"window_%03d" % w["index"]: w for w in json.load(open("one_tree/summary.json"))["windows"]}
for k in f["scores/cwola"]:
    s = f["scores/cwola"][k][:]
    w = wins[k]
    inside = (mass >= w["sb_lo"]) & (mass < w["sb_hi"])  # the window's own events: ranks 2 r + 1 of 2 n
    s_all, s = s[~np.isnan(s)], s[inside & ~np.isnan(s)]
    n = len(np.unique(s_all))
    assert 1 <= n <= 12, "%s: %d distinct scores over %d events, want at most 12" % (k, n, len(s_all))
    print("%s: %d distinct scores over %d events, mean %.6f over the window's %d" % (k, n, len(s_all), s.mean(), len(s)))
    assert abs(s.mean() - 0.5) < 1e-4, "%s: mean score %g, the shared ranks must keep 1/2" % (k, s.mean())
PY

expect_error "depth 0" "option -bdt_depth must lie in \[1, 20\] \(got 0\)" "$HADAL" run $opts -out o -bdt_depth 0
expect_error "negative learning rate" "option -bdt_learning_rate must lie in \(0, 1\] \(got -0.1\)" "$HADAL" run $opts -out o -bdt_learning_rate -0.1
expect_error "subsample above 1" "option -bdt_subsample must lie in \(0, 1\] \(got 1.5\)" "$HADAL" run $opts -out o -bdt_subsample 1.5
expect_error "unknown classifier" "option -classifier: 'forest' is neither nn nor bdt" "$HADAL" run $opts -out o -classifier forest
expect_error "negative noise" "option -noise_features must lie in \[0, 1000\] \(got -1\)" "$HADAL" run $opts -out o -noise_features -1
finish
