# jobs/scaling_strong.sbatch and jobs/scaling_weak.sbatch on the private Slurm, with tiny sizes: a
# 2-task job runs every job type at 1 and 2 ranks (srun for the strong job, mpiexec for the weak
# one), the strong points give the 1-rank results, and the CSVs and the plot are written; a
# missing executable fails the job with one clear line.
. "$HADAL_SRC/tests/slurm/common.sh"
need_python matplotlib

rm -rf strong weak bad ./*.out
export HADAL PYTHON TOOLS=$HADAL_SRC/tools SIZE=tiny REPS=1 ENTRIES=cwola,svdd,sweep,ae,flow
a=$(OUT=strong sbatch --parsable --ntasks=2 --output=strong.out "$HADAL_SRC/jobs/scaling_strong.sbatch")
b=$(OUT=weak HADAL_LAUNCH=mpiexec sbatch --parsable --ntasks=2 --output=weak.out "$HADAL_SRC/jobs/scaling_weak.sbatch")
c=$(OUT=bad HADAL=missing/hadal sbatch --parsable --ntasks=1 --output=bad.out "$HADAL_SRC/jobs/scaling_strong.sbatch")
[ -n "$a" ] && [ -n "$b" ] && [ -n "$c" ] || { fail "sbatch refused the scaling jobs"; finish; }

for job in "$a strong" "$b weak"; do
  set -- $job
  state=$(job_wait "$1" 240)
  [ "$state" = COMPLETED ] && pass "$2 job $1 completed" || { fail "$2 job $1 ended $state:"; cat "$2.out"; slurm_diagnose; continue; }
  grep -q "finished: $2/scaling.csv, $2/efficiency.png" "$2.out" && pass "$2: the job log says finished" || fail "$2: no 'finished' line"
  [ -s "$2/efficiency.png" ] && [ "$(stat -c %s "$2/efficiency.png")" -gt 5000 ] && pass "$2: efficiency.png drawn" || fail "$2: no efficiency.png"
  "$PYTHON" - "$2" <<'PY' && pass "$2: every entry at 1 and 2 ranks in scaling.csv, strong results identical to 1 rank" || fail "$2: scaling.csv contents"
import csv, sys
d = sys.argv[1]
runs = list(csv.DictReader(open(d + "/runs.csv")))
rows = list(csv.DictReader(open(d + "/scaling.csv")))
assert all(r["rc"] == "0" for r in runs), [(r["entry"], r["ranks"], r["rc"]) for r in runs if r["rc"] != "0"]
got = {(r["entry"], int(r["ranks"])) for r in rows}
for e in ("cwola", "svdd", "ae", "flow"):
    for p in (1, 2):
        assert (e, p) in got, (e, p, sorted(got))
for r in rows:
    assert r["scaling"] == d and float(r["efficiency"]) > 0, r
    if r["ranks"] == "1":
        assert abs(float(r["efficiency"]) - 1) < 1e-9, r
    if d == "strong":
        assert r["same_result"] == "yes", r
# srun or mpiexec started every run with the rank count of its point
for r in runs:
    assert (" -n %s " % r["ranks"]) in r["command"], r["command"]
    assert r["command"].split()[0] in ("srun", "mpiexec"), r["command"]
print("%d runs, %d points" % (len(runs), len(rows)))
PY
done
grep -q "srun --mpi=pmix -n 2" strong/runs.csv && pass "strong: runs launched with srun" || fail "strong: not launched with srun"
grep -q "mpiexec -n 2" weak/runs.csv && pass "weak: runs launched with mpiexec" || fail "weak: not launched with mpiexec"

state=$(job_wait "$c" 60)
[ "$state" = FAILED ] && pass "missing HADAL: job $c failed" || fail "missing HADAL: job $c ended $state"
grep -q "error: HADAL='missing/hadal' is not an executable" bad.out && pass "missing HADAL: $(grep error: bad.out)" || { fail "missing HADAL: no clear error"; cat bad.out; }
finish
