# tools/slurm_local.sh: the private one-node Slurm starts, runs MPI jobs of hadal through srun
# (PMIx) and through mpiexec inside an allocation, restarts over a running or crashed instance,
# and stops without leaving a daemon behind.
. "$HADAL_SRC/tests/slurm/common.sh"

# a killed daemon may stay a zombie where init does not reap orphans: that is not alive
alive() { [ -r "/proc/$1/stat" ] && [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" != Z ]; }
pids() { cat "$slurm_dir"/run/munged.pid "$slurm_dir"/run/slurmctld.pid "$slurm_dir"/run/slurmd.pid 2>/dev/null | tr '\n' ' '; }

slurm_local status "$slurm_dir" > status.log 2>&1 && pass "status: running" || { fail "status after start"; cat status.log; }
st=$(sinfo -h -o '%t %c %D')
[ "$st" = "idle $(nproc) 1" ] && pass "one idle node with $(nproc) CPUs" || fail "sinfo says '$st'"
grep -q "^AuthInfo=socket=.*munge.socket" "$SLURM_CONF" && pass "private munged socket in slurm.conf" || fail "slurm.conf does not name a private munge socket"
n=$(srun -n 2 hostname | wc -l)
[ "$n" = 2 ] && pass "srun -n 2 runs 2 tasks" || { fail "srun -n 2 printed $n lines"; slurm_diagnose; }

"$HADAL" generate lhco -o ev.h5 -n 2000 -seed 3 > gen.log 2>&1 || { fail "generate"; cat gen.log; }
if srun --mpi=list 2>&1 | grep -q pmix; then
  srun -n 2 --mpi=pmix "$HADAL" info ev.h5 > srun.log 2>&1
  grep -q "on 2 ranks" srun.log && pass "srun --mpi=pmix: hadal sees 2 ranks" || { fail "srun --mpi=pmix hadal info:"; cat srun.log; }
else
  echo "note: this Slurm has no pmix plugin; srun cannot start Open MPI ranks, only mpiexec can"
fi
salloc -n 2 $MPIEXEC "$HADAL" info ev.h5 > mpiexec.log 2>&1
grep -q "on 2 ranks" mpiexec.log && pass "mpiexec inside salloc: hadal sees 2 ranks" || { fail "mpiexec inside an allocation:"; cat mpiexec.log; }

# start over a running instance: stopped first, then a fresh one
old=$(pids)
slurm_local start "$slurm_dir" > restart.log 2>&1 || { fail "start over a running Slurm"; cat restart.log; }
grep -q "stopping it first" restart.log && pass "start over a running Slurm stops it first" || fail "no stop of the running Slurm: $(cat restart.log)"
for p in $old; do alive "$p" && fail "old daemon $p still alive"; done
[ "$(sinfo -h -o %t)" = idle ] && pass "idle again after the restart" || fail "not idle after the restart"

# start after a crash (daemons killed, stale pid files)
for p in $(pids); do kill -KILL "$p"; done
sleep 0.5
slurm_local start "$slurm_dir" > crash.log 2>&1 && [ "$(sinfo -h -o %t)" = idle ] &&
  pass "start after killed daemons" || { fail "start after killed daemons"; cat crash.log; }

# stop: no daemon left; a second stop is harmless
last=$(pids)
slurm_local stop "$slurm_dir" > stop.log 2>&1 || fail "stop failed: $(cat stop.log)"
left=0
for p in $last; do alive "$p" && left=1; done
[ "$left" = 0 ] && pass "stop leaves no daemon ($last)" || fail "a daemon survived stop"
slurm_local status "$slurm_dir" > status2.log 2>&1 && fail "status says running after stop" || pass "status after stop: not running"
slurm_local stop "$slurm_dir" > /dev/null 2>&1 && pass "a second stop is harmless" || fail "second stop failed"
finish
