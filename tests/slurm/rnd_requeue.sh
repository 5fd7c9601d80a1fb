# jobs/rnd.sbatch on the private Slurm: SIGUSR1 to the batch shell mid-run makes every member
# checkpoint (finished members are stored in rnd_job/members), the script requeues the job,
# the restart runs with -resume and ends with exactly the scores and metrics of an uninterrupted run.
# The data are large enough that the job outlasts the signal by many seconds on an idle machine
# (with 4,000 events it could finish before SIGUSR1 arrived). Then METHOD=svdd runs the SVDD
# ensemble alone without a deck, as hadal -method svdd outside Slurm does, and a METHOD the script
# does not know fails the job with one clear line.
. "$HADAL_SRC/tests/slurm/common.sh"

"$HADAL" generate darkmachines -o dm.h5 -n 16000 -seed 2 -signal_fraction 0.02 > gen.log 2>&1 || { fail "generate"; cat gen.log; finish; }
rm -rf rnd_job rnd_ref ./*.out
small="-svdd_d 4,6 -svdd_n 0,1 -svdd_hidden 32,16 -epochs 40 -batch_size 200 -stop_patience 0 -flow_layers 2 -made_hidden 1x32 -knots 8 -flow_epochs 8 -flow_batch_size 256"
read -r -a sm <<< "$small"
$MPIEXEC -n 2 "$HADAL" run -options_file "$HADAL_SRC/inputs/rnd_darkmachines.opts" -data dm.h5 -group_size 1 -seed 4 "${sm[@]}" -out rnd_ref > ref.log 2>&1 || { fail "reference run"; cat ref.log; finish; }

j=$(HADAL=$HADAL DATA=dm.h5 OUT=rnd_job OPTIONS="$HADAL_SRC/inputs/rnd_darkmachines.opts" GROUP_SIZE=1 SEED=4 CHECKPOINT_EVERY=5 HADAL_OPTS="$small" \
  sbatch --parsable --ntasks=2 --output=job.out "$HADAL_SRC/jobs/rnd.sbatch")
[ -n "$j" ] || { fail "sbatch refused jobs/rnd.sbatch"; finish; }
if wait_for_line job.out "svdd\[d=6,n=[01]\]: epoch +3/" 120; then
  scancel --batch --signal=USR1 "$j" && pass "SIGUSR1 sent to the batch shell of job $j" || fail "scancel --batch --signal=USR1 failed"
else
  fail "job $j did not reach its second round of members:"; cat job.out; slurm_diagnose; finish
fi
state=$(job_wait "$j" 180)
[ "$state" = COMPLETED ] && pass "job $j completed" || { fail "job $j ended $state:"; cat job.out; slurm_diagnose; finish; }
grep -q "(restart 1): .* -resume on 2 tasks" job.out && pass "the restart passed -resume" || fail "the restart did not pass -resume"
grep -q -E "ensemble: [1-4] finished members? found in 'rnd_job/members' \(loaded, not run again\)" job.out && pass "finished members were loaded, not trained again" || fail "no finished member loaded from rnd_job/members"
grep -q "(restart 1): finished: rnd_job/summary.json" job.out && pass "finished after the restart" || fail "no 'finished' after the restart"
[ "$(hash_datasets rnd_ref/results.h5)" = "$(hash_datasets rnd_job/results.h5)" ] && pass "scores and metrics identical to the uninterrupted run" || fail "results differ from the uninterrupted run"

svdd="-svdd_d 4 -svdd_n 0,1 -svdd_hidden 16 -epochs 3 -batch_size 200"
read -r -a sv <<< "$svdd"
k=$(HADAL=$HADAL DATA=dm.h5 OUT=svdd_job METHOD=svdd SEED=4 HADAL_OPTS="$svdd" sbatch --parsable --ntasks=2 --output=svdd.out "$HADAL_SRC/jobs/rnd.sbatch")
b=$(HADAL=$HADAL DATA=dm.h5 OUT=bad METHOD=knn sbatch --parsable --ntasks=1 --output=bad.out "$HADAL_SRC/jobs/rnd.sbatch")
$MPIEXEC -n 2 "$HADAL" run -method svdd -data dm.h5 -seed 4 -checkpoint_every 5 "${sv[@]}" -out svdd_ref > svdd_ref.log 2>&1 || { fail "svdd reference run"; cat svdd_ref.log; }
state=$(job_wait "$k" 120)
[ "$state" = COMPLETED ] && grep -q "svdd: .* -method svdd -data dm.h5" svdd.out && ! grep -q -- "-options_file" svdd.out && pass "METHOD=svdd: job $k ran -method svdd without a deck" || { fail "METHOD=svdd: job $k ended $state"; cat svdd.out; }
[ "$(hash_datasets svdd_ref/results.h5)" = "$(hash_datasets svdd_job/results.h5)" ] && pass "METHOD=svdd: results identical to hadal -method svdd" || fail "METHOD=svdd: results differ"
state=$(job_wait "$b" 60)
[ "$state" = FAILED ] && grep -q "error: METHOD='knn' (want rnd, svdd or flow)" bad.out && pass "METHOD=knn: $(cat bad.out)" || { fail "METHOD=knn: job ended $state"; cat bad.out; }
finish
