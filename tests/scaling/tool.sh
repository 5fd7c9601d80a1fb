# tools/scaling.py, bench/schedule_imbalance.py and tools/scaling_model.py on tiny sizes: the
# scaling runs at 1 and 2 ranks give the 1-rank results, the CSVs and the plot are written, bad
# options are refused; the schedule simulator gives the efficiencies known by hand; the model reads
# the measured inputs and the scaling folder. Nothing here measures speed.
. "$HADAL_SRC/tests/lib.sh"
need_python matplotlib
AR=$1

tool=$HADAL_SRC/tools/scaling.py
"$PYTHON" "$tool" run --hadal "$HADAL" --out s --size tiny --ranks 1,2 --reps 1 --entries cwola,svdd,ae --launcher "$MPIEXEC -n {P}" > s.log 2>&1 ||
  { fail "tools/scaling.py run"; cat s.log; }
"$PYTHON" - <<'PY' && pass "scaling.csv: cwola, svdd, ae, strong and weak, 1 and 2 ranks; strong points identical to 1 rank; efficiency 1 at 1 rank" || fail "scaling.csv contents"
import csv
rows = list(csv.DictReader(open("s/scaling.csv")))
runs = list(csv.DictReader(open("s/runs.csv")))
assert len(runs) == 12 and all(r["rc"] == "0" for r in runs), [(r["entry"], r["scaling"], r["ranks"], r["rc"]) for r in runs]
got = {(r["entry"], r["scaling"], int(r["ranks"])) for r in rows}
want = {(e, s, p) for e in ("cwola", "svdd", "ae") for s in ("strong", "weak") for p in (1, 2)}
assert got == want, sorted(want - got)
for r in rows:
    e = float(r["efficiency"])
    assert e > 0 and float(r["eff_min"]) <= e <= float(r["eff_max"]), r
    if r["ranks"] == "1":
        assert abs(e - 1) < 1e-9, r
    if r["scaling"] == "strong":
        assert r["same_result"] == "yes", r
    else:
        assert int(r["work"]) == int(r["ranks"]) * int([x for x in rows if x["entry"] == r["entry"] and x["scaling"] == "weak" and x["ranks"] == "1"][0]["work"]), r
# member times of the svdd runs are recorded (the imbalance model replays them)
assert all(r["member_wall"] for r in runs if r["entry"] == "svdd"), "no member times"
# and every run's steal time (the host's other tenants on a shared VM), a number here
assert all(r["steal_pct"] != "" and 0 <= float(r["steal_pct"]) <= 100 for r in runs), [r["steal_pct"] for r in runs]
PY
[ "$(stat -c %s s/efficiency.png 2>/dev/null || echo 0)" -gt 5000 ] && pass "efficiency.png drawn" || fail "no efficiency.png"
rm s/efficiency.png
"$PYTHON" "$tool" plot s > /dev/null 2>&1 && [ -s s/efficiency.png ] && pass "plot redraws from the CSV" || fail "plot DIR"
"$PYTHON" "$tool" run --hadal "$HADAL" --out d --ranks 1,2,4 --reps 1 --dry-run --entries ae,cwola > d.log 2>&1 &&
  [ "$(grep -c -- ' -n 4 ' d.log)" -eq 4 ] && pass "dry run: $(wc -l < d.log) commands" || { fail "dry run"; cat d.log; }
# svdd weak scaling past the 48 members of 24 widths x 2 targets: 4 targets at 16 ranks (64 members)
"$PYTHON" "$tool" run --hadal "$HADAL" --out d16 --ranks 1,16 --reps 1 --dry-run --size small --entries svdd --scalings weak > d16.log 2>&1 &&
  grep -q -- "-svdd_d 5,8,13,21,34,55,89,144,233,6,7,9,10,11,12,14 -svdd_n 0,1,2,3 " d16.log && pass "svdd weak at 16 ranks: 16 widths x 4 targets" || { fail "svdd weak at 16 ranks"; cat d16.log; }
for bad in "--ranks 2,4" "--entries nothing" "--scalings diagonal" "--launcher mpiexec" "--hadal /nonexistent"; do
  # shellcheck disable=SC2086
  out=$("$PYTHON" "$tool" run --out b $bad 2>&1) && fail "'$bad' accepted" ||
    { printf '%s\n' "$out" | grep "scaling: error:" | grep -q -- "${bad%% *}" && pass "'$bad' refused: $(printf '%s\n' "$out" | tail -1)" || fail "'$bad': no error line naming ${bad%% *}: $out"; }
done

# the schedule: 2500 equal units on 1024 groups take 3 rounds, 2500 / 3072 busy; 63 on 64 groups 63/64
sim=$HADAL_SRC/bench/schedule_imbalance.py
"$PYTHON" "$sim" --units 2500 --groups 1024 --cv 0 | grep -E -q "^ +1024 +0.00 +3 +0.814 +0.814 +0.814" && pass "2500 equal units on 1024 groups: 0.814" || fail "2500 units: $("$PYTHON" "$sim" --units 2500 --groups 1024 --cv 0)"
"$PYTHON" "$sim" --units 63 --groups 64 --cv 0 | grep -E -q "^ +64 +0.00 +1 +0.984 +0.984" && pass "63 units on 64 groups: 0.984" || fail "63 units"
# unequal costs 10, 1, 10, 1, ... (10 units) on 2 groups: longest first gives 10+10+10 and
# 10+10+1+1+1+1+1, so no-wait 55 / (2 x 30)
printf ' window   SR [GeV]  n_SR n_SB\n    0  [ 1,  2)  6 4 x\n    1  [ 2,  3)  1 0 x\n' > w.log
"$PYTHON" "$sim" --units 10 --groups 2 --cv 0 --costs-from-cwola-log w.log | grep -E -q "^ +2 +0.00 +7 +0.917 " && pass "unequal costs: 0.917" || fail "unequal costs: $("$PYTHON" "$sim" --units 10 --groups 2 --cv 0 --costs-from-cwola-log w.log)"

# the model on the committed inputs, and its check against the runs above
model=$HADAL_SRC/tools/scaling_model.py
"$PYTHON" "$model" predict --inputs "$HADAL_SRC/docs/scaling_inputs.json" > p.log 2>&1 && grep -q "^| ae | 10000 | 64 | 116542 | 64 |" p.log &&
  grep -q "^| CWoLa sweep, window costs | 2500 | 1024 |" p.log && pass "model: predictions for ae and the CWoLa sweep" || { fail "model predict"; cat p.log; }
"$PYTHON" "$model" check --inputs "$HADAL_SRC/docs/scaling_inputs.json" --scaling s > c.log 2>&1 && [ "$(grep -c '^| \(cwola\|svdd\|ae\) |' c.log)" -eq 6 ] &&
  pass "model check: 6 measured points" || { fail "model check"; cat c.log; }
finish
