# CWoLa global significance (-pseudo_experiments): the observed scan is the plain run's, the
# pseudo data are the observed file's generator without signal, the whole result is identical at 1
# and 2 ranks, given pseudo data (-pseudo_data PATTERN) give the same as generated ones, the
# statistics follow from the maxima, the plot; bad input.
. "$HADAL_SRC/tests/lib.sh"
$MPIEXEC -n 2 "$HADAL" generate lhco -o obs.h5 -n 20000 -seed 3 -signal_fraction 0.005 > gen.log 2>&1 || { cat gen.log; exit 1; }
opts="-options_file $HADAL_SRC/inputs/cwola_lhco.opts -data obs.h5 -sr_max 4300 -folds 2 -ensemble_size 2 -epochs 2 -signal_injection 60"

"$HADAL" run $opts -pseudo_experiments 3 -out g1 > g1.log 2>&1 || { fail "global significance at 1 rank"; cat g1.log; }
$MPIEXEC -n 2 "$HADAL" run $opts -pseudo_experiments 3 -out g2 > g2.log 2>&1 || { fail "global significance at 2 ranks"; cat g2.log; }
"$HADAL" run $opts -out plain > plain.log 2>&1 || { fail "plain scan"; cat plain.log; }
"$HADAL" run $opts -pseudo_experiments 3 -pseudo_data "g1/pseudo/data_%03d.h5" -out given > given.log 2>&1 || { fail "-pseudo_data"; cat given.log; }
sed -n '/global significance:/,$p' g1.log

"$PYTHON" - <<'PY' || fail "global significance results"
import json, os, sys, h5py, numpy as np
sys.path.insert(0, os.environ["HADAL_SRC"] + "/tests")
from h5_datasets import datasets
def strip(x):
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items() if k not in ("wall_s", "ranks")}
    if isinstance(x, list):
        return [strip(v) for v in x]
    return x
s1, s2 = json.load(open("g1/summary.json")), json.load(open("g2/summary.json"))
g1, g2 = s1["global_significance"], s2["global_significance"]
assert [x.replace("g1/", "g2/", 1) for x in g1.pop("pseudo_data")] == g2.pop("pseudo_data")
assert strip(s1) == strip(s2), "summary.json differs between 1 and 2 ranks"
for d in ["g1", "g1/pseudo/exp_001", "g1/pseudo/exp_003"]:
    e = d.replace("g1", "g2", 1)
    assert datasets(d + "/results.h5") == datasets(e + "/results.h5"), "%s differs at 2 ranks" % d
for k in (1, 2, 3):
    a, b = datasets("g1/pseudo/data_%03d.h5" % k), datasets("g2/pseudo/data_%03d.h5" % k)
    assert a == b, "pseudo data %d differs between 1 and 2 ranks" % k
    with h5py.File("g1/pseudo/data_%03d.h5" % k) as f, h5py.File("obs.h5") as o:
        assert f.attrs["generator"] == o.attrs["generator"] and f.attrs["signal_fraction"] == 0
        assert f["events/label"].shape == o["events/label"].shape and not np.any(f["events/label"][:] > 0), "pseudo data hold signal"
        assert f.attrs["seed"] != o.attrs["seed"]
        for name in ("signal_mjj", "gluon_slope", "trigger_pt_min"):
            assert f.attrs[name] == o.attrs[name], name
# the observed scan is the plain run
p = json.load(open("plain/summary.json"))
obs = {k: v for k, v in s1.items() if k != "global_significance"}
assert strip(obs) == strip(p), "the observed scan differs from the plain run"
assert datasets("g1/results.h5") == datasets("plain/results.h5")
# the maxima as each scan's summary defines them, and the statistics from them
def zmax(path):
    s = json.load(open(path))
    return s["windows"][s["best_window"]]["best_significance"]
assert g1["observed_max_significance"] == zmax("g1/summary.json")
z = [zmax("g1/pseudo/exp_%03d/summary.json" % k) for k in (1, 2, 3)]
assert g1["pseudo_max_significance"] == z, (g1["pseudo_max_significance"], z)
n = sum(v >= g1["observed_max_significance"] for v in z)
assert g1["pseudo_at_or_above"] == n
if n:
    assert abs(g1["p_global"] - n / 3) < 1e-9
else:
    assert g1["p_global"] == "p < 1/N" and abs(g1["p_global_upper"] - 1 / 3) < 1e-9
    from math import erfc, sqrt
    zl = g1["global_significance_lower"]
    assert abs(0.5 * erfc(zl / sqrt(2)) - 1 / 3) < 1e-8, zl
# given pseudo data: the same pseudo-experiments
gg = json.load(open("given/summary.json"))["global_significance"]
assert gg["pseudo_max_significance"] == g1["pseudo_max_significance"], "-pseudo_data gives other maxima"
print("1 and 2 ranks identical; observed = plain run; maxima %s against %.2f observed" % (z, g1["observed_max_significance"]))
PY
grep -q "p_global" g1.log && pass "report on stdout" || fail "no p_global line"
"$PYTHON" "$HADAL_SRC/tools/plot_cwola_global.py" g1 > plot.log 2>&1 && [ -s g1/plots/global_significance.png ] && pass "plot_cwola_global.py" || { fail "plot"; cat plot.log; }

expect_error "pattern without %d" "option -pseudo_data 'p.h5': needs exactly one %d" "$HADAL" run $opts -pseudo_experiments 2 -pseudo_data p.h5 -out bad1
expect_error "pattern with %s" "the only conversion allowed is one %d" "$HADAL" run $opts -pseudo_experiments 2 -pseudo_data "p%s.h5" -out bad2
expect_error "missing pseudo file" "pseudo-experiment 1 has no file 'nothere_1.h5'" "$HADAL" run $opts -pseudo_experiments 2 -pseudo_data "nothere_%d.h5" -out bad3
expect_error "with -window" "needs the whole scan: not with -window" "$HADAL" run $opts -pseudo_experiments 2 -window 0 -out bad4
expect_error "negative count" "option -pseudo_experiments must lie in" "$HADAL" run $opts -pseudo_experiments -2 -out bad5
expect_error "not for ae" "unknown option -pseudo_experiments" "$HADAL" run -method ae -data obs.h5 -pseudo_experiments 2 -out bad6
finish
