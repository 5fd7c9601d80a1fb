# jobs/ae_ensemble.sbatch as a job array: each task trains its own ensemble (seed SEED + task id,
# folder OUT/task_ID); SIGUSR1 to one task's batch shell requeues that task alone, which resumes
# to exactly the parameters of an uninterrupted run, while the other task runs through untouched.
. "$HADAL_SRC/tests/slurm/common.sh"

"$HADAL" generate lhco -o ev.h5 -n 20000 -seed 2 -signal_fraction 0.01 > gen.log 2>&1 || { fail "generate"; cat gen.log; finish; }
rm -rf arr ref9 ref10 ./*.out
j=$(HADAL=$HADAL DATA=ev.h5 OUT=arr MEMBERS=2 GROUP_SIZE=1 EPOCHS=40 SEED=9 HADAL_OPTS="-batch_size 64 -stop_patience 0" \
  sbatch --parsable --array=0-1 --ntasks=1 --output=task_%a.out "$HADAL_SRC/jobs/ae_ensemble.sbatch")
[ -n "$j" ] || { fail "sbatch refused the array"; finish; }
if wait_for_line task_1.out "ae\[[01]\]: epoch +3/" 90; then
  scancel --batch --signal=USR1 "${j}_1" && pass "SIGUSR1 sent to task 1 of array $j at epoch 3" || fail "scancel ${j}_1 failed"
else
  fail "task 1 did not reach epoch 3:"; cat task_1.out; slurm_diagnose; finish
fi

# the references while the array runs: one rank, no Slurm, seeds 9 and 10
for s in 9 10; do
  "$HADAL" run -method ae -data ev.h5 -out ref$s -ensemble_size 2 -group_size 1 -epochs 40 -seed $s -batch_size 64 \
    -stop_patience 0 > ref$s.log 2>&1 || { fail "reference seed $s"; cat ref$s.log; }
done

for t in 0 1; do
  state=$(job_wait "${j}_$t" 150)
  [ "$state" = COMPLETED ] && pass "task $t completed" || { fail "task $t ended $state:"; cat "task_$t.out"; slurm_diagnose; continue; }
  restarts=$(job_field "${j}_$t" Restarts)
  want=$t # only task 1 was signalled
  [ "$restarts" = "$want" ] && pass "task $t: Restarts=$restarts" || fail "task $t: Restarts=$restarts, want $want"
  sha=$(sha_of "arr/task_$t/summary.json"); ref=$(sha_of "ref$((9 + t))/summary.json")
  [ -n "$sha" ] && [ "$sha" = "$ref" ] && pass "task $t: parameters identical to seed $((9 + t)) uninterrupted ($sha)" ||
    fail "task $t: parameters '$sha', seed $((9 + t)) uninterrupted '$ref'"
done
# one rank trains the members one after the other: member 0 was interrupted, member 1 not begun
grep -q -E "resuming from 'arr/task_1/checkpoint_m000.h5' at epoch ([2-9]|[1-9][0-9])" task_1.out &&
  pass "task 1: $(grep -m 1 'resuming from' task_1.out)" || { fail "task 1 did not resume member 0 mid-run"; cat task_1.out; }
grep -q "resuming from" task_0.out && fail "task 0 resumed, but it was never stopped" || pass "task 0 ran through"
grep -q -E "requeueing ${j}_1\$" task_1.out && pass "task 1 requeued itself alone (${j}_1)" || fail "task 1 did not requeue ${j}_1"
finish
