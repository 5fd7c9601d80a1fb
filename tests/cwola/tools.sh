# The acceptance scripts of docs/methods/cwola.md keep working, on small data (40,000 events):
# tools/cwola_seeds.sh writes its table with a verdict per case, tools/cwola_contamination.sh its
# table and plot. And a sparse scan reports no false significance: on background alone at this
# size, tight selections leave one or two occupied sideband bins, which once gave z = 11 from a
# degenerate fit; every significance of the scan must stay below 3. tools/cwola_xcheck.py reads
# the scans.
. "$HADAL_SRC/tests/lib.sh"
export HADAL OUT PYTHON NICE=0 EVENTS=40000

OUT=$PWD/seeds
bash "$HADAL_SRC/tools/cwola_seeds.sh" amounts > seeds.log 2>&1 || { fail "tools/cwola_seeds.sh amounts"; cat seeds.log; finish; }
rows=$(grep -c -E '^\| frac0\.(001|0025) \| 40000 \| \[[0-9]+, [0-9]+\) \| (yes|no) \|.*\| (pass|FAIL|outside[^|]*) \|$' seeds/table.md)
[ "$rows" -eq 2 ] && pass "cwola_seeds.sh: a row with a verdict per case" || { fail "cwola_seeds.sh table has $rows case rows:"; cat seeds/table.md; }

# tools/cwola_xcheck.py reads the scan as hadal wrote it: its background-only prediction is the
# summary's, its own signal-plus-background refit agrees with hadal's (a Gaussian centred at the
# SR's geometric rather than arithmetic middle: within a quarter of an error), the selection made
# again from the stored scores gives the stored spectrum, and another data set is refused
case=seeds/frac0.0025
"$PYTHON" "$HADAL_SRC/tools/cwola_xcheck.py" pulls --row 2 $case/scan/results.h5 > pulls.log 2>&1 &&
"$PYTHON" - pulls.log $case/scan/summary.json <<'PY' && pass "cwola_xcheck.py pulls: the scan's predictions" || { fail "cwola_xcheck.py pulls disagrees with the summary"; cat pulls.log; }
import json, re, sys
row = [l for l in open(sys.argv[1]) if l.startswith("| ") and "results.h5" in l][0].split("|")
w = json.load(open(sys.argv[2]))["windows"][0]
b, e = map(float, re.findall(r"-?[0-9]+(?:\.[0-9]+)?", row[3])[:2])
bs, es = map(float, re.findall(r"-?[0-9]+(?:\.[0-9]+)?", row[6])[:2])
print("background-only %.1f +- %.1f (summary %.1f +- %.1f); S+B %.1f +- %.1f (summary %.1f +- %.1f)" % (b, e, w["predicted_sr"][2], w["predicted_sr_error"][2], bs, es, w["signal_fit_predicted_sr"][2], w["signal_fit_predicted_sr_error"][2]))
assert abs(b - w["predicted_sr"][2]) <= 0.051 and abs(e - w["predicted_sr_error"][2]) <= 0.051
assert abs(bs - w["signal_fit_predicted_sr"][2]) < 0.25 * w["signal_fit_predicted_sr_error"][2]
assert abs(es - w["signal_fit_predicted_sr_error"][2]) < 0.1 * w["signal_fit_predicted_sr_error"][2]
PY
"$PYTHON" "$HADAL_SRC/tools/cwola_xcheck.py" tails --eps 0.1 $case/data.h5 $case/scan/results.h5 > tails.log 2>&1 &&
  grep -q -E '^1 scans, window 0, eps 0.1: shape [-+][0-9.]+ \+- nan events, tails [-+][0-9.]+' tails.log &&
  pass "cwola_xcheck.py tails: the selection made again from the scores" || { fail "cwola_xcheck.py tails"; cat tails.log; }
if "$PYTHON" "$HADAL_SRC/tools/cwola_xcheck.py" tails --eps 0.1 seeds/frac0.001/data.h5 $case/scan/results.h5 > tails_other.log 2>&1; then
  fail "cwola_xcheck.py tails took another data set"
else
  grep -q "does not give the stored spectrum" tails_other.log && pass "cwola_xcheck.py tails refuses another data set" || { fail "cwola_xcheck.py tails: no clear line for another data set"; cat tails_other.log; }
fi

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
