# The checkpoint/requeue pattern of jobs/ae_ensemble.sbatch on the private Slurm: SIGUSR1 to the
# batch shell mid-run (what --signal=B:USR1@60 sends before the time limit) makes hadal checkpoint
# and exit, the script requeues the job, the job restarts with -resume and ends with exactly the
# parameters and scores of an uninterrupted run.
. "$HADAL_SRC/tests/slurm/common.sh"

"$HADAL" generate lhco -o ev.h5 -n 20000 -seed 2 -signal_fraction 0.01 > gen.log 2>&1 || { fail "generate"; cat gen.log; finish; }
rm -rf ae_job ae_ref ./*.out
opts=(-method ae -data ev.h5 -ensemble_size 2 -group_size 1 -epochs 60 -seed 9 -batch_size 64 -stop_patience 0)

# the uninterrupted reference, outside Slurm
$MPIEXEC -n 2 "$HADAL" run "${opts[@]}" -out ae_ref > ref.log 2>&1 || { fail "reference run"; cat ref.log; finish; }
ref=$(sha_of ae_ref/summary.json)

j=$(HADAL=$HADAL DATA=ev.h5 OUT=ae_job MEMBERS=2 GROUP_SIZE=1 EPOCHS=60 SEED=9 HADAL_OPTS="-batch_size 64 -stop_patience 0" \
  sbatch --parsable --ntasks=2 --output=job.out "$HADAL_SRC/jobs/ae_ensemble.sbatch")
[ -n "$j" ] || { fail "sbatch refused jobs/ae_ensemble.sbatch"; finish; }
if wait_for_line job.out "ae\[[01]\]: epoch +3/" 90; then
  scancel --batch --signal=USR1 "$j" && pass "SIGUSR1 sent to the batch shell of job $j at epoch 3" || fail "scancel --batch --signal=USR1 failed"
else
  fail "job $j did not reach epoch 3:"; cat job.out; slurm_diagnose; finish
fi
expect_one_requeue "$j" 150
grep -q "(restart 0): SIGUSR1 received" job.out && pass "the batch shell trapped SIGUSR1" || fail "no SIGUSR1 in the batch shell"
n=$(grep -c "signal 10 received: checkpoint written" job.out)
[ "$n" = 2 ] && pass "both members checkpointed on the signal" || fail "$n checkpoints written on the signal, want 2"
grep -q -E "\(restart 0\): hadal checkpointed in ae_job; requeueing $j\$" job.out && pass "the script requeued the job" || fail "no requeue line"
grep -q "(restart 1): .* -resume on 2 tasks" job.out && pass "the restart passed -resume" || fail "the restart did not pass -resume"
n=$(grep -c "resuming from 'ae_job/checkpoint_m00[01].h5' at epoch" job.out)
[ "$n" = 2 ] && pass "both members resumed: $(grep 'resuming from' job.out | tr '\n' ' ')" || fail "$n members resumed, want 2"
grep "resuming from" job.out | grep -q "at epoch 1 step 0" && fail "a member resumed from the very start"
grep -q "(restart 1): finished: ae_job/summary.json" job.out && pass "finished after the restart" || fail "no 'finished' after the restart"

sha=$(sha_of ae_job/summary.json)
[ -n "$sha" ] && [ "$sha" = "$ref" ] && pass "parameters identical to the uninterrupted run ($sha)" || fail "parameters '$sha', uninterrupted '$ref'"
"$PYTHON" -c "
import h5py, numpy as np
a = h5py.File('ae_ref/results.h5')['scores/ae'][:].view(np.uint32)
b = h5py.File('ae_job/results.h5')['scores/ae'][:].view(np.uint32)
assert a.size == 20000 and np.array_equal(a, b)
" && pass "scores identical to the uninterrupted run" || fail "scores differ from the uninterrupted run"
finish
