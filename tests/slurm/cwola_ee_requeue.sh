# jobs/cwola_ee_contamination.sbatch requeued on the private Slurm: SIGUSR1 to the batch shell
# mid-scan (what --signal=B:USR1@60 sends before the time limit) makes hadal store the finished
# classifiers, checkpoint those in training and exit; the script requeues the job (Restarts=1), the
# restart runs with -resume, loads the stored classifiers instead of training them again, and ends
# with exactly the results.h5 of an uninterrupted scan, then draws the plot. Twelve classifiers
# (three levels x four) on two ranks: about 6 s.
. "$HADAL_SRC/tests/slurm/common.sh"

"$HADAL" generate ee_isr -o ev.h5 -n 8000 -seed 3 -signal_fraction 0.04 -mhat_min 600 -mhat_max 800 > gen.log 2>&1 || { fail "generate"; cat gen.log; finish; }
rm -rf job ref ./*.out
long="-contamination 0,3,inf -ensemble_size 4 -epochs 12 -stop_patience 0"
export HADAL DATA=ev.h5 OPTS=$HADAL_SRC/inputs/cwola_ee.opts PLOT=$HADAL_SRC/tools/plot_cwola_ee.py PYTHON HADAL_OPTS="$long"
j=$(OUT=job sbatch --parsable --ntasks=2 --output=job.out "$HADAL_SRC/jobs/cwola_ee_contamination.sbatch")
[ -n "$j" ] || { fail "sbatch refused jobs/cwola_ee_contamination.sbatch"; finish; }

# the uninterrupted reference, outside Slurm, in the background while the job runs (the signal
# must reach the job before it ends)
read -r -a lo <<< "$long"
$MPIEXEC -n 2 "$HADAL" run -options_file "$OPTS" -data ev.h5 -out ref "${lo[@]}" > ref.log 2>&1 &
ref=$!

# the signal once a few classifiers are stored
requeue_after_stored "$j" 3 classifiers 120 "$ref"
grep -q -E "ensemble: ([3-9]|1[01]) finished members? found in 'job/members' \(loaded, not run again\)" job.out && pass "the restart loaded the stored classifiers: $(grep -o 'ensemble: [0-9]* finished.*' job.out)" || fail "the restart did not load the stored classifiers"
grep -q "(restart 1): finished: job/summary.json, plot job/plots/contamination.png" job.out && [ -s job/plots/contamination.png ] && pass "finished after the restart, with the plot" || fail "no 'finished' or no plot after the restart"
hash_datasets ref/results.h5 > r.sha; hash_datasets job/results.h5 > j.sha
[ -s r.sha ] && cmp -s r.sha j.sha && pass "results.h5 identical to the uninterrupted scan's ($(wc -l < r.sha) datasets)" || { fail "results.h5 differs from the uninterrupted scan's"; diff r.sha j.sha; }
finish
