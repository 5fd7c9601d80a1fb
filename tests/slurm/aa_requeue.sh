# jobs/aa_lambda_scan.sbatch requeued on the private Slurm: SIGUSR1 to the batch shell mid-scan
# (what --signal=B:USR1@60 sends before the time limit) makes hadal store the finished lambda runs,
# checkpoint those in training and exit; the script requeues the job (Restarts=1), the restart runs
# with -resume, loads the stored runs instead of training them again, and ends with exactly the
# results.h5 of an uninterrupted scan. Four lambdas on two ranks: two rounds of about 2 s each.
. "$HADAL_SRC/tests/slurm/common.sh"

"$HADAL" generate jetimages -o ji.h5 -n 4000 -seed 4 -classes qcd,top,w,eft -class_fractions 0.35,0.35,0.15,0.15 -image_size 16 > gen.log 2>&1 || { fail "generate"; cat gen.log; finish; }
rm -rf job ref ./*.out
opts="$HADAL_SRC/inputs/aa_jetimages.opts"
long="-prior_epochs 2 -epochs 60 -stop_patience 0 -aware_classes w -target_class eft"
export HADAL DATA=ji.h5 OPTIONS="$opts" LAMBDAS=0.1,0.5,2,5 SEED=3 GROUP_SIZE=1 HADAL_OPTS="$long"
j=$(OUT=job sbatch --parsable --ntasks=2 --output=job.out "$HADAL_SRC/jobs/aa_lambda_scan.sbatch")
[ -n "$j" ] || { fail "sbatch refused jobs/aa_lambda_scan.sbatch"; finish; }

# the uninterrupted reference, outside Slurm, in the background while the job runs (the signal
# must reach the job before it ends)
read -r -a lo <<< "$long"
$MPIEXEC -n 2 "$HADAL" run -options_file "$opts" -data ji.h5 -out ref -lambda_aa "$LAMBDAS" -seed 3 "${lo[@]}" > ref.log 2>&1 &
ref=$!

# the signal once the first round is stored, while the second trains
requeue_after_stored "$j" 1 "lambda runs" 120 "$ref"
grep -q -E "ensemble: [1-3] finished members? found in 'job/members' \(loaded, not run again\)" job.out && pass "the restart loaded the stored runs: $(grep -o 'ensemble: [0-9]* finished.*' job.out)" || fail "the restart did not load the stored runs"
grep -q "(restart 1): finished in" job.out && pass "finished after the restart" || fail "no 'finished' after the restart"
hash_datasets ref/results.h5 > r.sha; hash_datasets job/results.h5 > j.sha
[ -s r.sha ] && cmp -s r.sha j.sha && pass "results.h5 identical to the uninterrupted scan's ($(wc -l < r.sha) datasets)" || { fail "results.h5 differs from the uninterrupted scan's"; diff r.sha j.sha; }
"$PYTHON" -c "
import json
a, b = json.load(open('ref/summary.json')), json.load(open('job/summary.json'))
assert a['parameters_sha256'] == b['parameters_sha256']
assert [m['parameters_sha256'] for m in a['lambda_scan']] == [m['parameters_sha256'] for m in b['lambda_scan']]
" && pass "parameters of every lambda run identical" || fail "parameters differ"
finish
