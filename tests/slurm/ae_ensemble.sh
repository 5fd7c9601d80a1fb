# jobs/ae_ensemble.sbatch on the private Slurm: an ensemble of autoencoders trained by a 2-task job
# through srun (one member per rank) and through mpiexec (both ranks on each member) ends with the
# same parameters as hadal on one rank, finds the injected signal, and a bad input fails the job
# with one clear line.
. "$HADAL_SRC/tests/slurm/common.sh"

# the training tests' toy data: correlated Gaussian background, 3% broad signal
"$PYTHON" "$HADAL_SRC/tests/train/make_toy.py" ev.h5 20000 > gen.log 2>&1 || { fail "make_toy.py"; cat gen.log; finish; }
rm -rf ae_srun ae_mpiexec ae_bad ae_ref ./*.out
export HADAL DATA=ev.h5 MEMBERS=3 EPOCHS=4 SEED=5
a=$(OUT=ae_srun GROUP_SIZE=1 sbatch --parsable --ntasks=2 --output=srun.out "$HADAL_SRC/jobs/ae_ensemble.sbatch")
b=$(OUT=ae_mpiexec GROUP_SIZE=2 HADAL_LAUNCH=mpiexec sbatch --parsable --ntasks=2 --output=mpiexec.out "$HADAL_SRC/jobs/ae_ensemble.sbatch")
c=$(OUT=ae_bad DATA=missing.h5 sbatch --parsable --ntasks=1 --output=bad.out "$HADAL_SRC/jobs/ae_ensemble.sbatch")

# the reference while the jobs queue: one rank, no Slurm
"$HADAL" run -method ae -data ev.h5 -out ae_ref -ensemble_size 3 -group_size 1 -epochs 4 -seed 5 > ref.log 2>&1 || { fail "reference run"; cat ref.log; }
ref=$(sha_of ae_ref/summary.json)

for job in "$a srun ae_srun 2-groups" "$b mpiexec ae_mpiexec 1-group"; do
  set -- $job
  state=$(job_wait "$1" 150)
  [ "$state" = COMPLETED ] && pass "$2 job $1 completed" || { fail "$2 job $1 ended $state:"; cat "$2.out"; slurm_diagnose; continue; }
  n_groups=${4%%-*}
  grep -q "3 members on 2 ranks in $n_groups group" "$2.out" && pass "$2: 3 members on 2 ranks in $n_groups group(s)" ||
    fail "$2: not 3 members on 2 ranks in $n_groups group(s): $(grep 'members on' "$2.out")"
  [ -s "$3/summary.json" ] && pass "$2: $3/summary.json written" || { fail "$2: no summary.json"; cat "$2.out"; continue; }
  for m in 000 001 002; do [ -s "$3/models/member_$m.h5" ] || fail "$2: no $3/models/member_$m.h5"; done
  sha=$(sha_of "$3/summary.json")
  [ -n "$sha" ] && [ "$sha" = "$ref" ] && pass "$2: parameters identical to one rank ($sha)" || fail "$2: parameters '$sha', one rank '$ref'"
  "$PYTHON" - "$3/summary.json" <<'PY' && pass "$2: summary: 3 members, 2 ranks, AUC > 0.85" || fail "$2: summary.json contents"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["members"] == 3 and s["ranks"] == 2 and len(s["member_results"]) == 3, s
assert s["auc"] > 0.85, s["auc"]
PY
  grep -q "finished: $3/summary.json" "$2.out" && pass "$2: job log says finished" || fail "$2: no 'finished' line"
done

state=$(job_wait "$c" 60)
[ "$state" = FAILED ] && pass "missing DATA: job $c failed" || fail "missing DATA: job $c ended $state"
grep -q "error: DATA='missing.h5' cannot be read" bad.out && pass "missing DATA: $(grep error: bad.out)" || { fail "missing DATA: no clear error"; cat bad.out; }
[ ! -e ae_bad ] && pass "missing DATA: no output folder" || fail "missing DATA: output folder created"
finish
