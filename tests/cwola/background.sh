# Background only: the classifiers cannot tell SR from SB events (their AUC stays near 0.5, seed 004
# fig. 4) and no window reaches 3 sigma after selection.
. "$HADAL_SRC/tests/lib.sh"
$MPIEXEC -n 2 "$HADAL" generate lhco -o bkg.h5 -n 100000 -seed 4 -signal_fraction 0 > gen.log 2>&1 || { cat gen.log; exit 1; }
$MPIEXEC -n 2 "$HADAL" run -method cwola -options_file "$HADAL_SRC/inputs/cwola_lhco.opts" -data bkg.h5 -out scan \
  -sr_max 4600 -folds 3 -ensemble_size 2 -epochs 6 > scan.log 2>&1 || { fail "scan"; cat scan.log; }
sed -n '/window   SR/,$p' scan.log
"$PYTHON" - <<'PY' || fail "background-only checks"
import json
s = json.load(open("scan/summary.json"))
assert len(s["windows"]) >= 3, "only %d windows in the scan" % len(s["windows"])
for w in s["windows"]:
    assert abs(w["auc_sr_vs_sb"] - 0.5) < 0.03, "window %d: SR vs SB AUC %.3f on background alone" % (w["index"], w["auc_sr_vs_sb"])
    # its chance spread: the Mann-Whitney null standard deviation of n_SR against n_SB scores
    sd = ((w["n_sr"] + w["n_sb"] + 1) / (12.0 * w["n_sr"] * w["n_sb"])) ** 0.5
    assert abs(w["auc_sr_vs_sb_error"] / sd - 1) < 1e-8, "window %d: auc_sr_vs_sb_error %r, want %r" % (w["index"], w["auc_sr_vs_sb_error"], sd)
    assert abs(w["auc_sr_vs_sb"] - 0.5) < 4 * sd, "window %d: SR vs SB AUC %.4f is %.1f of its chance spread %.4f from 0.5" % (w["index"], w["auc_sr_vs_sb"], (w["auc_sr_vs_sb"] - 0.5) / sd, sd)
    print("window %d: SR vs SB AUC %.4f +- %.4f (%+.1f)" % (w["index"], w["auc_sr_vs_sb"], sd, (w["auc_sr_vs_sb"] - 0.5) / sd))
    z = [x for x in w["significance_after"] + [w["significance_before"]] if x is not None]
    assert max(z) < 3.0, "window %d: %.2f sigma on background alone" % (w["index"], max(z))
print("SR vs SB AUC within 0.5 +- 0.03 and 4 of its chance spreads, and no window at 3 sigma, in %d windows" % len(s["windows"]))
PY

# a scan stopped by a signal says so, writes no results, and keeps its finished classifiers for
# -resume (tests/methods/resume_signals.sh checks the resumed results bit for bit)
$MPIEXEC -n 2 "$HADAL" run -method cwola -options_file "$HADAL_SRC/inputs/cwola_lhco.opts" -data bkg.h5 -out cut \
  -sr_max 4600 -folds 3 -ensemble_size 4 -epochs 20 > cut.log 2>&1 &
pid=$!
for i in $(seq 1 200); do grep -q "classifiers on 2 ranks" cut.log 2>/dev/null && break; sleep 0.05; done
sleep 1
kill -USR1 $pid
wait $pid && pass "an interrupted scan ends cleanly" || fail "an interrupted scan exits with status $?"
grep -q "cwola: interrupted before the scan finished, no results written; run again with -resume" cut.log && pass "it says it was interrupted and how to continue" || { fail "no interruption message"; cat cut.log; }
[ ! -e cut/summary.json ] && [ ! -e cut/results.h5 ] && pass "no results from an interrupted scan" || fail "an interrupted scan wrote results"
finish
