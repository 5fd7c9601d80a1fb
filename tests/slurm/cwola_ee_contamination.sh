# jobs/cwola_ee_contamination.sbatch on the private Slurm: a 2-task job runs the whole contamination
# scan (weak, then semi-supervised with REFERENCE), gives exactly the results of hadal on one rank
# outside Slurm and draws the plot; a missing reference fails the job with one clear line.
. "$HADAL_SRC/tests/slurm/common.sh"

"$HADAL" generate ee_isr -o ev.h5 -n 8000 -seed 3 -signal_fraction 0.04 -mhat_min 600 -mhat_max 800 > gen.log 2>&1 || { fail "generate"; cat gen.log; finish; }
"$HADAL" generate ee_isr -o sim.h5 -n 4000 -seed 4 -signal_fraction 0 -mhat_min 600 -mhat_max 800 > gen2.log 2>&1 || { fail "generate sim"; finish; }
small=(-contamination 0,3,inf -ensemble_size 2 -epochs 3)
export HADAL DATA=ev.h5 OPTS=$HADAL_SRC/inputs/cwola_ee.opts PLOT=$HADAL_SRC/tools/plot_cwola_ee.py PYTHON HADAL_OPTS="${small[*]}"
a=$(OUT=weak sbatch --parsable --ntasks=2 --output=weak.out "$HADAL_SRC/jobs/cwola_ee_contamination.sbatch")
b=$(OUT=semi REFERENCE=sim.h5 OPTS=$HADAL_SRC/inputs/cwola_ee_semisup.opts sbatch --parsable --ntasks=2 --output=semi.out "$HADAL_SRC/jobs/cwola_ee_contamination.sbatch")
c=$(OUT=bad REFERENCE=missing.h5 sbatch --parsable --ntasks=1 --output=bad.out "$HADAL_SRC/jobs/cwola_ee_contamination.sbatch")
[ -n "$a" ] && [ -n "$b" ] && [ -n "$c" ] || { fail "sbatch refused jobs/cwola_ee_contamination.sbatch"; finish; }
(cd "$HADAL_SRC" && "$HADAL" run -options_file inputs/cwola_ee.opts -data "$HADAL_SCRATCH/ev.h5" -out "$HADAL_SCRATCH/ref" "${small[@]}") > ref.log 2>&1 || { fail "reference run"; cat ref.log; }
for j in "$a:weak" "$b:semi"; do
  id=${j%%:*} name=${j#*:}
  state=$(job_wait "$id" 200)
  [ "$state" = COMPLETED ] && pass "$name job $id completed" || { fail "$name job $id ended $state:"; cat $name.out; slurm_diagnose; }
  grep -q "finished: $name/summary.json, plot $name/plots/contamination.png" $name.out && [ -s $name/plots/contamination.png ] && pass "$name: table and plot" || fail "$name: no plot"
done
grep -q "levels x 2 members on 2 ranks" weak.out && pass "the scan ran on 2 ranks" || fail "not on 2 ranks: $(grep 'members on' weak.out)"
hash_datasets weak/results.h5 contamination > w.sha; hash_datasets ref/results.h5 contamination > r.sha
[ -s w.sha ] && cmp -s w.sha r.sha && pass "results.h5 of the job identical to one rank outside Slurm" || { fail "results differ"; diff w.sha r.sha; }
grep -q '"mode": "semi-supervised"' semi/summary.json && pass "semi-supervised job" || fail "semi job's summary is not semi-supervised"
state=$(job_wait "$c" 60)
[ "$state" = FAILED ] && grep -q "error: REFERENCE='missing.h5' cannot be read" bad.out && pass "missing REFERENCE: $(grep error: bad.out)" || { fail "missing REFERENCE: job ended $state"; cat bad.out; }
finish
