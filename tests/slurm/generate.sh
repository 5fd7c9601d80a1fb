# jobs/generate.sbatch on the private Slurm: both data sets are written by a 2-task job, hold the
# requested events, and are identical (every dataset, byte for byte) to a 1-rank run of hadal.
. "$HADAL_SRC/tests/slurm/common.sh"

rm -rf gen generate.out
j=$(HADAL=$HADAL OUT=gen LHCO_N=5000 JETIMAGES_N=300 SEED=7 sbatch --parsable --ntasks=2 --output=generate.out "$HADAL_SRC/jobs/generate.sbatch")
[ -n "$j" ] || { fail "sbatch refused jobs/generate.sbatch"; finish; }
state=$(job_wait "$j" 150)
[ "$state" = COMPLETED ] && pass "job $j completed" || { fail "job $j ended $state:"; cat generate.out; slurm_diagnose; finish; }
grep -q "on 2 tasks" generate.out && pass "ran on 2 tasks" || fail "not on 2 tasks: $(head -n 1 generate.out)"

"$HADAL" info gen/lhco.h5 > lhco.info 2>&1 && grep -q "^events: 5000 " lhco.info && pass "lhco.h5 holds 5000 events" || { fail "hadal info gen/lhco.h5:"; cat lhco.info; }
"$HADAL" info gen/jetimages.h5 > jet.info 2>&1 && grep -q "^events: 300 " jet.info && grep -q "/events/images" jet.info &&
  pass "jetimages.h5 holds 300 events with images" || { fail "hadal info gen/jetimages.h5:"; cat jet.info; }
grep -q "wrote gen/lhco.h5 and gen/jetimages.h5" generate.out && pass "the job reported both files" || fail "no closing line in generate.out"

# the same files from hadal on one rank, outside Slurm
"$HADAL" generate lhco -o ref_lhco.h5 -n 5000 -seed 7 > ref.log 2>&1 || { fail "reference lhco"; cat ref.log; }
"$HADAL" generate jetimages -o ref_jet.h5 -n 300 -seed 7 > ref.log 2>&1 || { fail "reference jetimages"; cat ref.log; }
for pair in "gen/lhco.h5 ref_lhco.h5" "gen/jetimages.h5 ref_jet.h5"; do
  set -- $pair
  a=$(hash_datasets "$1" events); b=$(hash_datasets "$2" events)
  [ -n "$a" ] && [ "$a" = "$b" ] && pass "$1: every dataset identical to the 1-rank file ($(echo "$a" | wc -l) datasets)" ||
    { fail "$1 differs from the 1-rank file"; diff <(echo "$a") <(echo "$b"); }
done
finish
