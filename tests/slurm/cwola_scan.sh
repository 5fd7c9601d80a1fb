# jobs/cwola_scan.sbatch on the private Slurm: a 2-task job (srun) runs the whole CWoLa scan,
# finds the injected resonance, gives exactly the results of hadal on one rank outside Slurm and
# draws the plots; a missing input fails the job with one clear line; a job stopped mid-scan
# (SIGTERM to the batch shell, passed on to hadal through mpiexec) fails, leaves no result and keeps
# its finished classifiers for a later submission (tests/slurm/cwola_requeue.sh: the requeue).
. "$HADAL_SRC/tests/slurm/common.sh"

# fraction 0.005: one 3-epoch classifier per fold learns too little of the R&D-like signal at 0.003
# for the selection to beat the fit of all events
"$HADAL" generate lhco -o ev.h5 -n 60000 -seed 3 -signal_fraction 0.005 > gen.log 2>&1 || { fail "generate"; cat gen.log; finish; }
rm -rf scan bad int ref ./*.out
small="-sr_max 4100 -folds 2 -ensemble_size 1 -epochs 3"
# long enough (about 15 s on 2 ranks) to be interrupted
long="-sr_max 4100 -folds 2 -ensemble_size 8 -epochs 100 -stop_patience 0"
export HADAL DATA=ev.h5 OPTS=$HADAL_SRC/inputs/cwola_lhco.opts PLOT=$HADAL_SRC/tools/plot_cwola.py PYTHON
a=$(OUT=scan HADAL_OPTS=$small sbatch --parsable --ntasks=2 --output=scan.out "$HADAL_SRC/jobs/cwola_scan.sbatch")
b=$(OUT=bad DATA=missing.h5 sbatch --parsable --ntasks=1 --output=bad.out "$HADAL_SRC/jobs/cwola_scan.sbatch")
c=$(OUT=int HADAL_OPTS=$long HADAL_LAUNCH=mpiexec sbatch --parsable --ntasks=2 --output=int.out "$HADAL_SRC/jobs/cwola_scan.sbatch")
[ -n "$a" ] && [ -n "$b" ] && [ -n "$c" ] || { fail "sbatch refused jobs/cwola_scan.sbatch"; finish; }

# the reference while the jobs queue: one rank, no Slurm
"$HADAL" run -options_file "$OPTS" -data ev.h5 -out ref $small > ref.log 2>&1 || { fail "reference run"; cat ref.log; }
n_win=$("$HADAL" run -options_file "$OPTS" $small -list_windows | awk '/^windows:/ { print $2 }')

state=$(job_wait "$a" 150)
[ "$state" = COMPLETED ] && pass "scan job $a completed" || { fail "scan job $a ended $state:"; cat scan.out; slurm_diagnose; }
grep -q "on 2 tasks" scan.out && grep -q "classifiers on 2 ranks (2 groups)" scan.out &&
  pass "the scan ran on 2 ranks: $(grep -o '[0-9]* windows x .* groups)' scan.out)" || fail "not on 2 ranks: $(grep 'classifiers on' scan.out)"
grep -q "finished: scan/summary.json, plots in scan/plots" scan.out && pass "the job log says finished" || fail "no 'finished' line in scan.out"
"$PYTHON" - "$n_win" <<'PY' && pass "summary, results.h5 and plots identical to hadal on one rank; the best window holds the 3.5 TeV resonance" || fail "the job's scan differs from the reference"
import json, os, sys
sys.path.insert(0, os.path.join(os.environ["HADAL_SRC"], "tests"))
from h5_datasets import datasets
n_win = int(sys.argv[1])
s, r = json.load(open("scan/summary.json")), json.load(open("ref/summary.json"))
assert s["method"] == "cwola" and len(s["windows"]) == n_win >= 2, (s["method"], len(s["windows"]), n_win)
assert s["ranks"] == 2 and s["models_trained"] == 2 * 1 * n_win, (s["ranks"], s["models_trained"])
assert s["windows"] == r["windows"], "windows differ from the 1-rank run"
best = s["windows"][s["best_window"]]
assert best["sr_lo"] <= 3500 < best["sr_hi"] and best["best_significance"] > best["significance_before"], best
a, b = datasets("scan/results.h5"), datasets("ref/results.h5")
assert len(a) > 2 * n_win and sorted(a) == sorted(b), (sorted(a), sorted(b))
assert [n for n in a if a[n] != b[n]] == [], [n for n in a if a[n] != b[n]]
plots = ["significance.png", "sic.png"] + ["spectra_window_%03d.png" % k for k in range(n_win)]
missing = [p for p in plots if not os.path.exists("scan/plots/" + p) or os.path.getsize("scan/plots/" + p) < 1000]
assert not missing, "missing or empty plots: %s" % missing
print("%d windows, %d datasets identical; best window [%.0f, %.0f): Z %.2f before, %.2f after" % (n_win, len(a), best["sr_lo"], best["sr_hi"], best["significance_before"], best["best_significance"]))
PY

state=$(job_wait "$b" 60)
[ "$state" = FAILED ] && pass "missing DATA: job $b failed" || fail "missing DATA: job $b ended $state"
grep -q "error: DATA='missing.h5' cannot be read" bad.out && pass "missing DATA: $(grep error: bad.out)" || { fail "missing DATA: no clear error"; cat bad.out; }
[ ! -e bad ] && pass "missing DATA: no output folder" || fail "missing DATA: output folder created"

# the interrupted scan: TERM to the batch shell once the classifiers train
if wait_for_line int.out "classifiers on 2 ranks" 120; then
  sleep 1
  scancel --batch --signal=TERM "$c" && pass "SIGTERM sent to the batch shell of job $c mid-scan" || fail "scancel --batch --signal=TERM failed"
else
  fail "job $c did not start training:"; cat int.out; slurm_diagnose; finish
fi
state=$(job_wait "$c" 120)
[ "$state" = FAILED ] && pass "interrupted: job $c failed" || { fail "interrupted: job $c ended $state:"; cat int.out; }
grep -q "SIGTERM received; passing it on to hadal" int.out && grep -q "error: interrupted by SIGTERM" int.out &&
  pass "interrupted: $(grep 'error: interrupted' int.out | sed 's/.*error: //')" || { fail "interrupted: no clear line"; cat int.out; }
[ ! -e int/summary.json ] && [ ! -e int/results.h5 ] && pass "interrupted: no summary.json or results.h5" || fail "interrupted: results written: $(ls int)"
finish
