# jobs/dae.sbatch on the private Slurm: SIGTERM to the batch shell mid-training (what scancel or a
# preemption sends) makes hadal checkpoint both members and stop; the same job submitted again
# resumes from the checkpoints and ends with exactly the parameters, R1 and R2 of an uninterrupted
# run. With 20,000 events the training goes on for about two seconds after the signal on an idle
# machine (the signal at epoch 3 of 40).
. "$HADAL_SRC/tests/slurm/common.sh"

n_events=20000
"$HADAL" generate adc2021 -o ev.h5 -n $n_events -seed 2 -signal_fraction 0.005 > gen.log 2>&1 || { fail "generate"; cat gen.log; finish; }
rm -rf dae_job dae_ref ./*.out
extra="-hidden 32,16,4 -epochs 40 -batch_size 500 -stop_patience 0 -sm_efficiencies 0.01,0.05"
$MPIEXEC -n 2 "$HADAL" run -options_file "$HADAL_SRC/inputs/dae_adc2021.opts" -data ev.h5 -out dae_ref -seed 5 -group_size 1 $extra > ref.log 2>&1 || { fail "reference run"; cat ref.log; finish; }
ref=$(sha_of dae_ref/summary.json)

submit() {
  HADAL=$HADAL DATA=ev.h5 OUT=dae_job SEED=5 GROUP_SIZE=1 OPTIONS_FILE="$HADAL_SRC/inputs/dae_adc2021.opts" HADAL_OPTS="$extra" \
    sbatch --parsable --ntasks=2 --output="$1" "$HADAL_SRC/jobs/dae.sbatch"
}
j=$(submit job1.out)
[ -n "$j" ] || { fail "sbatch refused jobs/dae.sbatch"; finish; }
if wait_for_line job1.out "dae\[0\]: epoch +3/" 90; then
  scancel --batch --signal=TERM "$j" && pass "SIGTERM sent to the batch shell of job $j at epoch 3" || fail "scancel --batch --signal=TERM failed"
else
  fail "job $j did not reach epoch 3:"; cat job1.out; slurm_diagnose; finish
fi
state=$(job_wait "$j" 120)
[ "$state" = COMPLETED ] && pass "job $j ended cleanly after the signal" || { fail "job $j ended $state:"; cat job1.out; slurm_diagnose; finish; }
grep -q "stopped before the end" job1.out && pass "stopped with checkpoints" || fail "no 'stopped before the end' line"
[ -e dae_job/summary.json ] && fail "a summary was written by the stopped run"
j2=$(submit job2.out)
state=$(job_wait "$j2" 150)
[ "$state" = COMPLETED ] && pass "resubmitted job $j2 completed" || { fail "job $j2 ended $state:"; cat job2.out; slurm_diagnose; finish; }
grep -q -- "-resume on 2 tasks" job2.out && pass "the second job passed -resume" || fail "no -resume in the second job"
grep -q "resuming from 'dae_job/checkpoint_m000.h5' at epoch" job2.out && pass "the pair resumed: $(grep -m1 'resuming from' job2.out)" || fail "the pair did not resume"
sha=$(sha_of dae_job/summary.json)
[ -n "$sha" ] && [ "$sha" = "$ref" ] && pass "parameters identical to the uninterrupted run ($sha)" || fail "parameters '$sha', uninterrupted '$ref'"
"$PYTHON" -c "
import h5py, numpy as np
for k in ['scores/r1', 'scores/r2']:
    a = h5py.File('dae_ref/results.h5')[k][:].view(np.uint32); b = h5py.File('dae_job/results.h5')[k][:].view(np.uint32)
    assert a.size == $n_events and np.array_equal(a, b), k
" && pass "R1 and R2 identical to the uninterrupted run" || fail "scores differ from the uninterrupted run"
finish
