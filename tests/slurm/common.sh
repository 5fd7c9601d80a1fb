# Shared by the Slurm tests: skip when Slurm is not installed, start a private one-node Slurm in
# the test's scratch folder (tools/slurm_local.sh), stop it on exit, and poll jobs.

# A Slurm left running by an earlier run of this test that was killed (a timeout) is stopped while
# its pid files still exist: lib.sh empties the scratch folder.
if [ -d "$HADAL_SCRATCH/slurm/run" ] && command -v slurmctld > /dev/null; then
  bash "$HADAL_SRC/tools/slurm_local.sh" stop "$HADAL_SCRATCH/slurm"
fi
. "$HADAL_SRC/tests/lib.sh"

for b in slurmctld slurmd sbatch scontrol scancel sinfo munged mungekey; do
  if ! command -v "$b" > /dev/null; then
    echo "SKIP: Slurm is not installed ('$b' not found; Debian packages slurmctld slurmd slurm-client munge)"
    exit 77
  fi
done

slurm_dir=$HADAL_SCRATCH/slurm
slurm_local() { bash "$HADAL_SRC/tools/slurm_local.sh" "$@"; }
slurm_stop() { slurm_local stop "$slurm_dir" > /dev/null; }
trap slurm_stop EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

slurm_local start "$slurm_dir" || { echo "FAIL: the private Slurm did not start"; exit 1; }
export SLURM_CONF=$slurm_dir/slurm.conf
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

# job_field ID NAME: one field of `scontrol show job` (no accounting database here).
job_field() { scontrol show job -o "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1; }

# job_wait ID SECONDS: wait until the job has ended; print its final state (or TIMEOUT_WAITING).
job_wait() {
  local id=$1 limit=$2 state
  SECONDS=0
  while [ "$SECONDS" -lt "$limit" ]; do
    state=$(job_field "$id" JobState)
    case "$state" in
      COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE|PREEMPTED)
        echo "$state"; return 0 ;;
    esac
    sleep 0.25
  done
  echo "TIMEOUT_WAITING"
}

# wait_for_line FILE PATTERN SECONDS: wait until FILE has a line matching PATTERN.
wait_for_line() {
  local _
  for _ in $(seq 1 $(($3 * 10))); do
    grep -q -E -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# slurm_diagnose: the daemons' view when something went wrong.
slurm_diagnose() {
  echo "--- sinfo / squeue"; sinfo; squeue
  echo "--- slurmctld.log (tail)"; tail -n 20 "$slurm_dir/log/slurmctld.log"
  echo "--- slurmd.log (tail)"; tail -n 20 "$slurm_dir/log/slurmd.log"
}

# sha_of SUMMARY: the ensemble's parameters_sha256 in a summary.json.
sha_of() { grep -m 1 '"parameters_sha256"' "$1" 2>/dev/null | sed 's/.*: *"\([0-9a-f]*\)".*/\1/'; }

# expect_one_requeue JOB WAIT_S: JOB completes within WAIT_S seconds, requeued exactly once.
expect_one_requeue() {
  local state restarts
  state=$(job_wait "$1" "$2")
  [ "$state" = COMPLETED ] && pass "job $1 completed" || { fail "job $1 ended $state:"; cat job.out; slurm_diagnose; finish; }
  restarts=$(job_field "$1" Restarts)
  [ "$restarts" = 1 ] && pass "requeued once (Restarts=1)" || fail "Restarts=$restarts"
}

# requeue_after_stored JOB MIN WHAT WAIT_S [REF_PID]: once JOB has stored MIN members in
# job/members, SIGUSR1 to its batch shell (what --signal=B:USR1@60 sends before the time limit);
# then the uninterrupted reference REF_PID (run in the background) is waited for, and the job must
# complete within WAIT_S after one requeue, with the script's requeue line ("WHAT stored in
# job/members; requeueing JOB") and -resume passed on the restart.
requeue_after_stored() {
  local j=$1 min=$2 what=$3 wait_s=$4 ref=${5:-} n _
  for _ in $(seq 1 1200); do
    [ "$(ls job/members 2>/dev/null | grep -c '^member_')" -ge "$min" ] && break
    sleep 0.1
  done
  n=$(ls job/members 2>/dev/null | grep -c '^member_')
  [ "$n" -ge "$min" ] || { fail "job $j stored no $what:"; [ -n "$ref" ] && kill "$ref" 2>/dev/null; cat job.out; slurm_diagnose; finish; }
  scancel --batch --signal=USR1 "$j" && pass "SIGUSR1 sent to the batch shell of job $j with $n $what stored" || fail "scancel --batch --signal=USR1 failed"
  if [ -n "$ref" ]; then wait "$ref" || { fail "reference run"; cat ref.log; finish; }; fi
  expect_one_requeue "$j" "$wait_s"
  grep -q -E "\(restart 0\): interrupted by SIGUSR1 .* $what stored in job/members; requeueing $j\$" job.out && pass "the script requeued the job: $(grep -o 'interrupted by SIGUSR1.*stored' job.out)" || { fail "no requeue line"; cat job.out; }
  grep -q "(restart 1): .* -resume on 2 tasks" job.out && pass "the restart passed -resume" || fail "the restart did not pass -resume"
}
