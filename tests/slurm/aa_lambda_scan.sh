# jobs/aa_lambda_scan.sbatch on the private Slurm: a three-lambda scan by a 2-task job (two groups,
# srun) gives the same parameters and outputs as hadal on one rank; a missing DATA fails the job
# with one clear line.
. "$HADAL_SRC/tests/slurm/common.sh"
"$HADAL" generate jetimages -o ji.h5 -n 800 -seed 4 -classes qcd,top,w,eft -class_fractions 0.35,0.35,0.15,0.15 -image_size 16 > gen.log 2>&1 || { fail "generate"; cat gen.log; finish; }
rm -rf scan ref bad ./*.out
opts="$HADAL_SRC/inputs/aa_jetimages.opts"
export HADAL DATA=ji.h5 OPTIONS="$opts" LAMBDAS=0.1,0.5,2 SEED=3
export HADAL_OPTS="-prior_epochs 2 -epochs 2 -aware_classes w -target_class eft"
a=$(OUT=scan GROUP_SIZE=1 sbatch --parsable --ntasks=2 --output=scan.out "$HADAL_SRC/jobs/aa_lambda_scan.sbatch")
b=$(OUT=bad DATA=missing.h5 sbatch --parsable --ntasks=1 --output=bad.out "$HADAL_SRC/jobs/aa_lambda_scan.sbatch")
"$HADAL" run -options_file "$opts" -data ji.h5 -out ref -lambda_aa 0.1,0.5,2 -seed 3 $HADAL_OPTS > ref.log 2>&1 || { fail "reference run"; tail ref.log; }
state=$(job_wait "$a" 200)
[ "$state" = COMPLETED ] && pass "scan job $a completed" || { fail "scan job $a ended $state:"; cat scan.out; slurm_diagnose; }
"$PYTHON" - <<'PY' && pass "3 lambdas on 2 ranks = 1 rank" || fail "scan differs from one rank"
import json
a, b = json.load(open("scan/summary.json")), json.load(open("ref/summary.json"))
assert a["ranks"] == 2 and len(a["lambda_scan"]) == 3, a["ranks"]
assert a["parameters_sha256"] == b["parameters_sha256"], (a["parameters_sha256"], b["parameters_sha256"])
assert [m["parameters_sha256"] for m in a["lambda_scan"]] == [m["parameters_sha256"] for m in b["lambda_scan"]]
PY
state=$(job_wait "$b" 60)
[ "$state" = FAILED ] && pass "missing DATA: job $b failed" || fail "missing DATA: job $b ended $state"
grep -q "error: DATA='missing.h5' cannot be read" bad.out && pass "missing DATA: $(grep error: bad.out)" || { fail "missing DATA: no clear error"; cat bad.out; }
finish
