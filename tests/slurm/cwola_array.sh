# jobs/cwola_array.sbatch on the private Slurm: `submit` counts the windows and submits one array
# task per window (1 rank each) and a merge job after them. Both tasks are interrupted mid-window
# once they have stored classifiers: task 1 by SIGUSR1 to its batch shell (what --signal=B:USR1@60
# sends before the time limit) requeues itself alone (Restarts=1) and resumes from the classifiers
# stored in arr/members/window_001; task 0 by SIGTERM (scancel, preemption) keeps its stored
# classifiers and fails, so the merge never starts; submitting again with WINDOWS=missing runs
# only window 0, which resumes, and the merge. The merged results.h5 and summary.json are those of
# the whole scan in one 2-task job (jobs/cwola_scan.sbatch), bit for bit, with plots.
. "$HADAL_SRC/tests/slurm/common.sh"

"$HADAL" generate lhco -o ev.h5 -n 60000 -seed 3 -signal_fraction 0.003 > gen.log 2>&1 || { fail "generate"; cat gen.log; finish; }
rm -rf scan arr ./*.out
# each window (2 folds x 4 classifiers) takes about 8 s on one rank: long enough to be interrupted
export HADAL DATA=ev.h5 OPTS=$HADAL_SRC/inputs/cwola_lhco.opts PLOT=$HADAL_SRC/tools/plot_cwola.py PYTHON
export HADAL_OPTS="-sr_max 4100 -folds 2 -ensemble_size 4 -epochs 100 -stop_patience 0"
array=$HADAL_SRC/jobs/cwola_array.sbatch
n_win=$("$HADAL" run -options_file "$OPTS" $HADAL_OPTS -list_windows | awk '/^windows:/ { print $2 }')
[ "$n_win" = 2 ] || { fail "-list_windows: '$n_win' windows, want 2"; finish; }

# submit refuses what it cannot do, before submitting anything
out=$(bash "$array" submit --array=0-3 2>&1) && fail "submit with --array: accepted" ||
  { echo "$out" | grep -q "error: submit sets --array" && pass "submit with --array: $out" || fail "submit with --array: $out"; }
out=$(WINDOWS=5 bash "$array" submit 2>&1) && fail "WINDOWS=5: accepted" ||
  { echo "$out" | grep -q "error: WINDOWS='5': the scan has windows 0 to 1" && pass "WINDOWS=5: $out" || fail "WINDOWS=5: $out"; }
[ -z "$(squeue -h)" ] && pass "nothing submitted by the refused calls" || fail "jobs queued: $(squeue -h)"

# the single job, queued first
s=$(OUT=scan sbatch --parsable --ntasks=2 --output=scan.out "$HADAL_SRC/jobs/cwola_scan.sbatch")
ids=$(OUT=arr bash "$array" submit --ntasks=1 2> submit1.err) || { fail "submit:"; cat submit1.err; finish; }
read -r a m <<< "$ids"
grep -q "2 windows, tasks 0-1: array job $a, merge job $m after it" submit1.err && pass "submit: $(cat submit1.err)" || { fail "submit said:"; cat submit1.err; }
# an array task started without --array is told how to submit
n=$(OUT=arr sbatch --parsable --ntasks=1 --output=noarray.out "$array")

# interrupt both windows once each has stored two classifiers: task 0 with TERM, task 1 with USR1
stored() { ls "$(printf 'arr/members/window_%03d' "$1")" 2>/dev/null | grep -c '^member_'; }
for _ in $(seq 1 1200); do
  [ "$(stored 0)" -ge 2 ] && [ "$(stored 1)" -ge 2 ] && break
  sleep 0.1
done
n0=$(stored 0) n1=$(stored 1)
[ "$n0" -ge 2 ] && [ "$n1" -ge 2 ] || { fail "tasks stored $n0 and $n1 classifiers:"; cat hadal-cwola-"${a}"_*.out; slurm_diagnose; finish; }
scancel --batch --signal=TERM "${a}_0" && scancel --batch --signal=USR1 "${a}_1" &&
  pass "SIGTERM to task ${a}_0 ($n0 classifiers stored), SIGUSR1 to task ${a}_1 ($n1 stored)" || fail "scancel --batch --signal failed"
log0=hadal-cwola-${a}_0.out log1=hadal-cwola-${a}_1.out
st0=$(job_wait "${a}_0" 120); st1=$(job_wait "${a}_1" 150)
[ "$st0" = FAILED ] && [ "$st1" = COMPLETED ] && pass "the task stopped by SIGTERM failed, the one stopped by SIGUSR1 completed" ||
  { fail "tasks ended $st0, $st1:"; cat hadal-cwola-"${a}"_*.out; slurm_diagnose; }
r0=$(job_field "${a}_0" Restarts) r1=$(job_field "${a}_1" Restarts)
[ "$r0" = 0 ] && [ "$r1" = 1 ] && pass "task 1 alone requeued (Restarts $r0 and $r1)" || fail "Restarts $r0 and $r1, want 0 and 1"
grep -q "1 window x 2 folds x 4 members = 8 classifiers on 1 ranks" "$log0" && pass "a task trains its window alone: $(grep -o '1 window x .* groups)' "$log0")" || { fail "task 0 did not run window 0 alone:"; cat "$log0"; }
grep -q "error: interrupted by SIGTERM .* window 0 has no result yet: run it again (WINDOWS=missing) to continue from the classifiers stored in arr/members/window_000" "$log0" &&
  pass "task 0: $(grep -o 'interrupted by SIGTERM.*' "$log0")" || { fail "task 0: no clear line"; cat "$log0"; }
grep -q -E "\(restart 0\): interrupted by SIGUSR1 .* classifiers of window 1 stored in arr/members/window_001; requeueing ${a}_1\$" "$log1" &&
  pass "task 1: $(grep -o 'interrupted by SIGUSR1.*' "$log1")" || { fail "task 1: no requeue line"; cat "$log1"; }
grep -q "(restart 1): .* -window 1 -resume on 1 tasks" "$log1" && grep -q -E "ensemble: [2-7] finished members? found in 'arr/members/window_001' \(loaded, not run again\)" "$log1" &&
  pass "task 1 restarted with -resume: $(grep -o 'ensemble: [0-9]* finished.*' "$log1")" || { fail "task 1 did not resume"; cat "$log1"; }
grep -q "(restart 1): window 1 finished in" "$log1" && [ -e arr/windows/window_001.h5 ] && [ ! -e arr/windows/window_000.h5 ] &&
  pass "window 1 written after the restart, no file for the failed window 0" || fail "window files after the interruptions: $(ls arr/windows 2>&1)"
reason=
for _ in $(seq 1 60); do
  reason=$(job_field "$m" Reason)
  [ "$reason" = DependencyNeverSatisfied ] && break
  sleep 0.5
done
[ "$(job_field "$m" JobState)" = PENDING ] && [ "$reason" = DependencyNeverSatisfied ] && pass "merge job $m waits forever (DependencyNeverSatisfied)" ||
  fail "merge job $m: $(job_field "$m" JobState) $reason"
scancel "$m"
[ ! -e arr/summary.json ] && pass "no merged summary.json" || fail "a summary.json was merged from an incomplete scan"

st=$(job_wait "$n" 60)
[ "$st" = FAILED ] && grep -q "error: not an array task: submit with 'bash jobs/cwola_array.sbatch submit'" noarray.out &&
  pass "without --array: $(grep -o 'error: not an array task' noarray.out)" || { fail "without --array: $st"; cat noarray.out; }

# again for the missing window: one task, then the merge
ids=$(OUT=arr WINDOWS=missing bash "$array" submit --ntasks=1 2> submit2.err) || { fail "submit WINDOWS=missing:"; cat submit2.err; finish; }
read -r a2 m2 <<< "$ids"
grep -q "2 windows, tasks 0: array job $a2, merge job $m2 after it" submit2.err && pass "WINDOWS=missing: $(cat submit2.err)" || { fail "WINDOWS=missing said:"; cat submit2.err; }
st=$(job_wait "$m2" 150)
[ "$st" = COMPLETED ] && pass "merge job $m2 completed" || { fail "merge job $m2 ended $st:"; cat hadal-cwola-"${a2}"_*.out hadal-cwola-merge-"$m2".out; slurm_diagnose; }
[ "$(job_field "${a2}_0" JobState)" = COMPLETED ] && [ ! -e "hadal-cwola-${a2}_1.out" ] && pass "only window 0 ran again" ||
  fail "resubmission: task 0 $(job_field "${a2}_0" JobState), logs $(ls hadal-cwola-"${a2}"_*)"
grep -q -E "ensemble: [2-7] finished members? found in 'arr/members/window_000' \(loaded, not run again\)" "hadal-cwola-${a2}_0.out" &&
  pass "window 0 resumed: $(grep -o 'ensemble: [0-9]* finished.*' "hadal-cwola-${a2}_0.out")" || { fail "window 0 did not resume"; cat "hadal-cwola-${a2}_0.out"; }
grep -q "finished: arr/summary.json, plots in arr/plots" "hadal-cwola-merge-$m2.out" && pass "merge log says finished" || fail "no 'finished' line in the merge log"
st=$(job_wait "$s" 150)
[ "$st" = COMPLETED ] && pass "single scan job $s completed" || { fail "scan job $s ended $st:"; cat scan.out; }

compare() {
  "$PYTHON" - "$n_win" <<'PY'
import json, os, sys
sys.path.insert(0, os.path.join(os.environ["HADAL_SRC"], "tests"))
from h5_datasets import datasets
n_win = int(sys.argv[1])
s, r = json.load(open("scan/summary.json")), json.load(open("arr/summary.json"))
# wall_s (the sum of the tasks' times) and ranks (those of the merge) may differ
differ = sorted(k for k in set(s) | set(r) if s.get(k) != r.get(k))
assert set(differ) <= {"wall_s", "ranks"}, "summary.json: %s differ" % differ
assert len(s["windows"]) == n_win and s["models_trained"] == 2 * 4 * n_win, s["models_trained"]
a, b = datasets("scan/results.h5"), datasets("arr/results.h5")
assert len(a) > 2 * n_win and sorted(a) == sorted(b), (sorted(a), sorted(b))
assert "scores/cwola/window_000" in a and [n for n in a if a[n] != b[n]] == [], [n for n in a if a[n] != b[n]]
for d in ["scan", "arr"]:
    plots = ["significance.png", "sic.png"] + ["spectra_window_%03d.png" % k for k in range(n_win)]
    missing = [p for p in plots if not os.path.exists(d + "/plots/" + p) or os.path.getsize(d + "/plots/" + p) < 1000]
    assert not missing, "%s: missing or empty plots: %s" % (d, missing)
best = r["windows"][r["best_window"]]
print("%d datasets of results.h5 and all of summary.json but %s identical; best window [%.0f, %.0f): Z %.2f before, %.2f after" % (len(a), differ, best["sr_lo"], best["sr_hi"], best["significance_before"], best["best_significance"]))
PY
}
compare && pass "array + merge identical to the single job, plots drawn" || fail "array + merge differ from the single job"

# every window has its file: WINDOWS=missing submits the merge alone, with the same result
ids=$(OUT=arr WINDOWS=missing bash "$array" submit --ntasks=1 2> submit3.err) || { fail "submit WINDOWS=missing (none missing):"; cat submit3.err; finish; }
read -r a3 m3 <<< "$ids"
[ "$a3" = none ] && grep -q "all 2 windows have their file in arr/windows; submitting the merge only" submit3.err && pass "nothing missing: the merge alone" ||
  { fail "nothing missing: submitted '$ids':"; cat submit3.err; }
st=$(job_wait "$m3" 60)
[ "$st" = COMPLETED ] && pass "merge job $m3 alone completed" || { fail "merge job $m3 alone ended $st"; cat "hadal-cwola-merge-$m3.out"; }
compare > /dev/null && pass "merge job $m3 alone: the same results" || fail "merge job $m3 alone: results differ from the single job"
finish
