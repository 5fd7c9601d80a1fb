# The acceptance scripts of docs/methods/cwola.md keep working, on small data (40,000 events):
# tools/cwola_seeds.sh writes its table with a verdict per case, tools/cwola_contamination.sh its
# table and plot. And a sparse scan reports no false significance: on background alone at this
# size, tight selections leave one or two occupied sideband bins, which once gave z = 11 from a
# degenerate fit; every significance of the scan must stay below 3.
. "$HADAL_SRC/tests/lib.sh"
export HADAL OUT PYTHON NICE=0 EVENTS=40000

OUT=$PWD/seeds
bash "$HADAL_SRC/tools/cwola_seeds.sh" amounts > seeds.log 2>&1 || { fail "tools/cwola_seeds.sh amounts"; cat seeds.log; finish; }
rows=$(grep -c -E '^\| frac0\.(001|0025) \| 40000 \| \[[0-9]+, [0-9]+\) \| (yes|no) \|.*\| (pass|FAIL|outside[^|]*) \|$' seeds/table.md)
[ "$rows" -eq 2 ] && pass "cwola_seeds.sh: a row with a verdict per case" || { fail "cwola_seeds.sh table has $rows case rows:"; cat seeds/table.md; }

OUT=$PWD/contamination
SIGNAL_FRACTION=0.005 bash "$HADAL_SRC/tools/cwola_contamination.sh" 0 40 > cont.log 2>&1 || { fail "tools/cwola_contamination.sh"; cat cont.log; finish; }
rows=$(grep -c -E '^\| (0|40) \| [0-9]+ \| [0-9.]+ \|' contamination/table.md)
[ "$rows" -eq 2 ] && pass "cwola_contamination.sh: a row per injection" || { fail "contamination table has $rows rows:"; cat contamination/table.md; }
[ "$(stat -c %s contamination/contamination.png 2>/dev/null || echo 0)" -gt 1000 ] && pass "contamination plot" || fail "no contamination plot"

"$PYTHON" - contamination/inj_0/summary.json <<'PY' && pass "background alone at 40,000 events: every significance below 3" || fail "a sparse background scan reports 3 sigma or more"
import json, sys
s = json.load(open(sys.argv[1]))
z = [(x, w["index"]) for w in s["windows"] for x in w["significance_after"] + [w["significance_before"]] if x is not None]
worst = max(z)
print("largest significance %.2f (window %d)" % worst)
assert worst[0] < 3, worst
PY
finish
