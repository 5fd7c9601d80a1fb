# jobs/sweep.sbatch on the private Slurm: a sweep of three ae points (their members one schedule);
# SIGUSR1 to the batch shell once the second point's member is training (what --signal=B:USR1@60
# sends before the time limit) stops hadal with the members checkpointed; the script requeues the
# job, which runs with -resume: the members continue from their checkpoints (the first from its
# last epoch), and every point ends exactly as in an uninterrupted sweep. A second sweep with
# -resume over the finished folder runs no point again.
. "$HADAL_SRC/tests/slurm/common.sh"

"$HADAL" generate lhco -o ev.h5 -n 10000 -seed 2 -signal_fraction 0.01 > gen.log 2>&1 || { fail "generate"; cat gen.log; finish; }
printf -- '-method ae\n-data ev.h5\n-ensemble_size 1\n-epochs 60\n-batch_size 64\n-stop_patience 0\n' > base.opts
grid="seed=1,2,3"

# the uninterrupted reference, outside Slurm
$MPIEXEC -n 2 "$HADAL" sweep -options_file base.opts -grid "$grid" -out ref > ref.log 2>&1 || { fail "reference sweep"; cat ref.log; finish; }

j=$(HADAL=$HADAL BASE=base.opts GRID="$grid" DATA= OUT=job sbatch --parsable --ntasks=2 --output=job.out "$HADAL_SRC/jobs/sweep.sbatch")
[ -n "$j" ] || { fail "sbatch refused jobs/sweep.sbatch"; finish; }
# the second point's member at epoch 3
ok=0
for _ in $(seq 1 1200); do
  if [ "$(grep -c -E 'epoch +3/' job.out 2>/dev/null)" -ge 2 ]; then ok=1; break; fi
  sleep 0.1
done
if [ "$ok" = 1 ]; then
  scancel --batch --signal=USR1 "$j" && pass "SIGUSR1 sent during the second point" || fail "scancel --batch --signal=USR1 failed"
else
  fail "job $j did not reach the second point:"; cat job.out; slurm_diagnose; finish
fi
expect_one_requeue "$j" 150
grep -q -E "stopped by a signal with [01] of 3 points finished" job.out && pass "hadal stopped on the signal: $(grep -o -E 'with [01] of 3 points finished' job.out)" || { fail "no stop line"; cat job.out; }
grep -q -E "\(restart 0\): hadal stopped with the finished points in job; requeueing $j\$" job.out && pass "the script requeued the job" || fail "no requeue line"
grep -q "(restart 1): .* -resume" job.out && pass "the restart passed -resume" || fail "the restart did not pass -resume"
# the first point: reported before the signal (a whole ensemble is not interrupted) and skipped,
# or, when all points report together, its member resumed at its end
if grep -q "3 points of method ae (2 to run, the others done before)" job.out; then pass "the first point, finished before the signal, was skipped"
elif grep -q "resuming from 'job/seed=1/checkpoint_m000.h5' at epoch 61 " job.out; then pass "the first point's member resumed at its end"
else fail "the first point was neither skipped nor resumed at its end"; fi
grep "resuming from 'job/seed=2/checkpoint_m000.h5' at epoch" job.out | grep -q -v "epoch 1 step 0" && pass "the second point's member resumed from its checkpoint" || fail "the second point did not resume"
grep -q "(restart 1): finished: job/sweep.json" job.out && pass "finished after the restart" || fail "no 'finished' after the restart"

"$PYTHON" - <<'PY' && pass "every point identical to the uninterrupted sweep" || fail "points differ from the uninterrupted sweep"
import json, os, sys
sys.path.insert(0, os.environ["HADAL_SRC"] + "/tests")
from h5_datasets import datasets
def strip(x):
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items() if k != "wall_s" and not k.endswith("_per_s")}
    if isinstance(x, list):
        return [strip(v) for v in x]
    return x
for s in (1, 2, 3):
    a, b = "ref/seed=%d" % s, "job/seed=%d" % s
    assert datasets(a + "/results.h5") == datasets(b + "/results.h5"), a
    assert strip(json.load(open(a + "/summary.json"))) == strip(json.load(open(b + "/summary.json"))), a
r, j = json.load(open("ref/sweep.json")), json.load(open("job/sweep.json"))
assert [p["headline"] for p in r["points"]] == [p["headline"] for p in j["points"]]
PY
first=$(stat -c %i.%Y "job/seed=1/summary.json")
$MPIEXEC -n 2 "$HADAL" sweep -options_file base.opts -grid "$grid" -out job -resume > again.log 2>&1 || { fail "sweep -resume over a finished folder"; cat again.log; }
grep -q "3 points of method ae (0 to run" again.log && [ "$(stat -c %i.%Y "job/seed=1/summary.json")" = "$first" ] && pass "-resume over the finished sweep runs nothing again" || { fail "-resume ran finished points"; cat again.log; }
finish
