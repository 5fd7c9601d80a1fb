# jobs/cwola_scan.sbatch requeued on the private Slurm: SIGUSR1 to the batch shell mid-scan (what
# --signal=B:USR1@60 sends before the time limit) makes hadal store what it finished, checkpoint
# the classifiers in training and exit; the script requeues the job, the restart runs with -resume,
# loads the stored classifiers instead of training them again, and ends with exactly the results
# of an uninterrupted scan.
. "$HADAL_SRC/tests/slurm/common.sh"

"$HADAL" generate lhco -o ev.h5 -n 30000 -seed 3 -signal_fraction 0.003 > gen.log 2>&1 || { fail "generate"; cat gen.log; finish; }
rm -rf job ref ./*.out
long="-sr_max 4100 -folds 2 -ensemble_size 4 -epochs 30 -stop_patience 0"
export HADAL DATA=ev.h5 OPTS=$HADAL_SRC/inputs/cwola_lhco.opts PLOT=none
j=$(OUT=job HADAL_OPTS=$long sbatch --parsable --ntasks=2 --output=job.out "$HADAL_SRC/jobs/cwola_scan.sbatch")
[ -n "$j" ] || { fail "sbatch refused jobs/cwola_scan.sbatch"; finish; }

# the uninterrupted reference, outside Slurm, while the job runs
read -r -a lo <<< "$long"
$MPIEXEC -n 2 "$HADAL" run -options_file "$OPTS" -data ev.h5 -out ref "${lo[@]}" > ref.log 2>&1 || { fail "reference run"; cat ref.log; finish; }

# the signal once a few classifiers are stored
requeue_after_stored "$j" 3 classifiers 180
grep -q -E "ensemble: [0-9]+ finished members? found in 'job/members' \(loaded, not run again\)" job.out && pass "the restart loaded the stored classifiers: $(grep -o 'ensemble: [0-9]* finished.*' job.out)" || fail "the restart did not load the stored classifiers"
grep -q "(restart 1): scan finished" job.out && pass "finished after the restart" || fail "no 'scan finished' after the restart"
[ "$(hash_datasets ref/results.h5)" = "$(hash_datasets job/results.h5)" ] && pass "results.h5 identical to the uninterrupted scan's" || fail "results.h5 differs from the uninterrupted scan's"
"$PYTHON" -c "
import json
a, b = json.load(open('ref/summary.json')), json.load(open('job/summary.json'))
assert a['windows'] == b['windows'] and a['models_trained'] == b['models_trained']
" && pass "summary.json windows identical" || fail "summary.json windows differ"
finish
