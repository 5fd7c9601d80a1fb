#!/usr/bin/env bash
# A private one-node Slurm in a folder of its own: its own munge key and munged socket, its own
# slurm.conf, ports, state, spool and logs. For trying the jobs/ scripts on a workstation and for
# the Slurm tests; it touches nothing outside DIR (no /etc/slurm, no /run/munge) and can run next
# to a system Slurm.
#
#   tools/slurm_local.sh start DIR    write DIR/slurm.conf, start munged, slurmctld and slurmd, and
#                                     wait until the node is idle (a Slurm already started in DIR
#                                     is stopped first)
#   tools/slurm_local.sh stop DIR     cancel the jobs, stop slurmd, slurmctld and munged of DIR
#   tools/slurm_local.sh status DIR   print the daemons and sinfo; exit 1 when not running
#   tools/slurm_local.sh env DIR      print the line to eval to use it: export SLURM_CONF=DIR/slurm.conf
#
# Then: export SLURM_CONF=DIR/slurm.conf; sbatch ...; squeue; scontrol show job ID.
#
# Files: DIR/slurm.conf, DIR/log/{munged,slurmctld,slurmd}.log (the previous start's as *.old),
# DIR/run/*.pid, DIR/state; sockets, spool and munge key under DIR too, or, when DIR is longer
# than 60 characters, under ${TMPDIR:-/tmp}/hadal-slurm-HASH (a socket path has at most 107 bytes).
#
# Environment: SLURM_LOCAL_CPUS (CPUs of the node, default: nproc), SLURM_LOCAL_TIMEOUT (seconds to
# wait for the node to become idle, default 60), SLURM_LOCAL_PORT (slurmctld's port, slurmd uses
# the next one; default: the first free pair from a port derived from DIR).
# The daemons run as root (SlurmUser=root), as they must to start jobs of any user; run as root.
set -uo pipefail

say() { echo "slurm_local: $*"; }
die() { echo "slurm_local: error: $*" >&2; exit 1; }

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }

[ $# -eq 2 ] || { usage >&2; exit 2; }
cmd=$1
case "$cmd" in start|stop|status|env) ;; *) usage >&2; exit 2 ;; esac
mkdir -p "$2" || die "cannot create the folder '$2'"
dir=$(cd "$2" && pwd -P) || die "cannot enter '$2'"
conf=$dir/slurm.conf
node=$(hostname -s)
cpus=${SLURM_LOCAL_CPUS:-$(nproc)}
timeout=${SLURM_LOCAL_TIMEOUT:-60}
# Sockets (munged's, slurmd's step sockets, PMIx's) live under rt; a Unix socket path has at most
# 107 bytes, so a long DIR gets its sockets in a short folder of its own under /tmp instead.
if [ "${#dir}" -le 60 ]; then rt=$dir; else
  rt=${TMPDIR:-/tmp}/hadal-slurm-$(printf '%s' "$dir" | cksum | cut -d' ' -f1)
fi

# alive PID: the process exists and is not a zombie (a killed daemon stays a zombie where the
# init process of a container does not reap orphans).
alive() {
  local st
  kill -0 "$1" 2>/dev/null || return 1
  st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}

# pid_of NAME: the pid in DIR/run/NAME.pid when that process is alive and is NAME (a stale pid
# file may name a pid reused by another program).
pid_of() {
  local f=$dir/run/$1.pid p
  [ -s "$f" ] || return 1
  p=$(cat "$f")
  [ -n "$p" ] && alive "$p" && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$1" ] && { echo "$p"; return 0; }
  return 1
}

# stop_pids NAME...: SIGTERM to all, wait up to 15 s for them to exit, then SIGKILL.
stop_pids() {
  local n p pids=() still
  for n in "$@"; do
    if p=$(pid_of "$n"); then kill -TERM "$p" 2>/dev/null; pids+=("$n:$p"); fi
  done
  for _ in $(seq 1 150); do
    still=0
    for n in "${pids[@]}"; do alive "${n#*:}" && still=1; done
    [ "$still" = 0 ] && break
    sleep 0.1
  done
  for n in "${pids[@]}"; do
    if alive "${n#*:}"; then
      say "${n%%:*} (pid ${n#*:}) did not stop on SIGTERM; killing it"
      kill -KILL "${n#*:}" 2>/dev/null
    fi
  done
  for n in "$@"; do rm -f "$dir/run/$n.pid"; done
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pick_ports() {
  local p
  if [ -n "${SLURM_LOCAL_PORT:-}" ]; then
    port_free "$SLURM_LOCAL_PORT" && port_free $((SLURM_LOCAL_PORT + 1)) ||
      die "SLURM_LOCAL_PORT=$SLURM_LOCAL_PORT: port $SLURM_LOCAL_PORT or $((SLURM_LOCAL_PORT + 1)) is in use"
    echo "$SLURM_LOCAL_PORT"; return
  fi
  # a start derived from the folder, so that two folders rarely try the same pair
  p=$((20000 + $(printf '%s' "$dir" | cksum | cut -d' ' -f1) % 5000 * 2))
  for _ in $(seq 1 200); do
    if port_free "$p" && port_free $((p + 1)); then echo "$p"; return; fi
    p=$((p + 2))
  done
  die "no free pair of ports found from $p"
}

write_conf() {
  local port=$1 mpi=none
  # Open MPI (Debian) is built with PMIx; Slurm's pmix plugin lets srun start its ranks.
  compgen -G "/usr/lib/*/slurm-wlm/mpi_pmix.so" > /dev/null || compgen -G "/usr/lib*/slurm/mpi_pmix.so" > /dev/null &&
    mpi=pmix
  mkdir -p "$rt/munge" "$rt/spool" "$rt/tmp" "$dir/state" "$dir/log" "$dir/run"
  chmod 0755 "$rt/munge"
  cat > "$conf" <<EOF
# Written by tools/slurm_local.sh: a private one-node cluster in $dir
ClusterName=hadal-local
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# cred_expire: a requeued job may start again only after this many seconds (default 120)
AuthInfo=socket=$rt/munge/munge.socket,cred_expire=10
StateSaveLocation=$dir/state
SlurmdSpoolDir=$rt/spool
# PMIx puts per-step folders here (the default /tmp would be shared with any other Slurm)
TmpFS=$rt/tmp
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$dir/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
SchedulerParameters=sched_interval=1
MpiDefault=$mpi
ReturnToService=2
SlurmdParameters=config_overrides
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MailProg=/bin/true
# Job ids distinct from those of any other private Slurm on this host: Open MPI names its session
# folders and shared-memory files after the PMIx namespace (slurm.pmix.JOB.STEP), so two clusters
# that both run a job 1 at the same time would collide there.
FirstJobId=$((port * 1000))
SwitchType=switch/none
# a short kill delay and a prompt scheduler keep tests fast; finished jobs stay visible 5 min
KillWait=5
MinJobAge=300
InactiveLimit=0
MessageTimeout=10
SlurmdTimeout=60
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=local Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
  : > "$dir/plugstack.conf"
  # the cgroup plugins are not used (proctrack/linuxproc, task/none); this keeps slurmd from
  # reading a system cgroup.conf
  cat > "$dir/cgroup.conf" <<EOF
# Written by tools/slurm_local.sh: no cgroup plugin is used by this cluster
ConstrainCores=no
ConstrainRAMSpace=no
EOF
}

munge_ok() {
  munge -n --socket="$rt/munge/munge.socket" 2>/dev/null |
    unmunge --socket="$rt/munge/munge.socket" > /dev/null 2>&1
}

start_munged() {
  if pid_of munged > /dev/null && munge_ok; then return 0; fi
  stop_pids munged
  if [ ! -s "$rt/munge/munge.key" ]; then
    mungekey --create --keyfile="$rt/munge/munge.key" ||
      dd if=/dev/urandom of="$rt/munge/munge.key" bs=1024 count=1 status=none ||
      die "cannot create the munge key $rt/munge/munge.key"
  fi
  chmod 0600 "$rt/munge/munge.key"
  # --force: munged runs as root here and its folder is private
  munged --force --socket="$rt/munge/munge.socket" --key-file="$rt/munge/munge.key" \
    --pid-file="$dir/run/munged.pid" --log-file="$dir/log/munged.log" \
    --seed-file="$rt/munge/munged.seed" 9>&- ||
    die "munged did not start; see $dir/log/munged.log"
  for _ in $(seq 1 50); do munge_ok && return 0; sleep 0.1; done
  die "munged started but does not answer on $rt/munge/munge.socket; see $dir/log/munged.log"
}

stop_all() {
  local _
  if pid_of slurmctld > /dev/null; then
    # cancel what is left so that no job step outlives its slurmd
    if squeue -h -o %i 2>/dev/null | grep -q .; then
      scancel --full --partition=local 2>/dev/null
      for _ in $(seq 1 100); do squeue -h -o %i 2>/dev/null | grep -q . || break; sleep 0.2; done
    fi
  fi
  stop_pids slurmd slurmctld munged
}

node_state() { sinfo -h -n "$node" -o %t 2>/dev/null | head -n 1; }

start_all() {
  local need b port state
  for b in munged munge unmunge mungekey slurmctld slurmd sinfo; do
    command -v "$b" > /dev/null || need="${need:-} $b"
  done
  [ -z "${need:-}" ] || die "not installed:$need (Debian packages: slurmctld slurmd slurm-client munge)"
  [ "$(id -u)" = 0 ] || die "the daemons run as root here (SlurmUser=root); run this as root"

  export SLURM_CONF=$conf
  if pid_of slurmctld > /dev/null || pid_of slurmd > /dev/null || pid_of munged > /dev/null; then
    say "a Slurm is running in $dir; stopping it first"
    stop_all
  fi
  # stale pid files (daemons that were killed) would be read by the new daemons
  rm -rf "$dir/state" "$rt/spool" "$rt/tmp" "$dir/run"
  # the logs of the previous start, kept once
  for b in munged slurmctld slurmd; do
    [ -e "$dir/log/$b.log" ] && mv -f "$dir/log/$b.log" "$dir/log/$b.log.old"
  done
  port=$(pick_ports) || exit 1
  write_conf "$port"
  start_munged
  # -c: start from a clean state (no jobs, no node state from an earlier run)
  slurmctld -c -f "$conf" 9>&- || die "slurmctld did not start; see $dir/log/slurmctld.log"
  slurmd -c -f "$conf" -N "$node" 9>&- || die "slurmd did not start; see $dir/log/slurmd.log"
  SECONDS=0
  while [ "$SECONDS" -lt "$timeout" ]; do
    state=$(node_state)
    if [ "$state" = idle ]; then
      say "node $node idle with $cpus CPUs after ${SECONDS} s (slurmctld on port $port); export SLURM_CONF=$conf"
      return 0
    fi
    # a daemon writes its pid file a moment after the command returns
    if [ "$SECONDS" -ge 5 ]; then
      pid_of slurmctld > /dev/null || die "slurmctld is not running; see $dir/log/slurmctld.log: $(tail -n 3 "$dir/log/slurmctld.log" 2>/dev/null)"
      pid_of slurmd > /dev/null || die "slurmd is not running; see $dir/log/slurmd.log: $(tail -n 3 "$dir/log/slurmd.log" 2>/dev/null)"
    fi
    sleep 0.5
  done
  die "node $node is not idle after $timeout s (state '${state:-no answer from slurmctld}'); see $dir/log/slurmctld.log and $dir/log/slurmd.log"
}

# One start or stop at a time per DIR (a test killed mid-start leaves its start running).
# The daemons must not inherit the lock: they are started with 9>&-.
if [ "$cmd" = start ] || [ "$cmd" = stop ]; then
  exec 9> "$dir/.lock"
  flock -w 120 9 || die "another start or stop in $dir holds $dir/.lock for 120 s"
fi

case "$cmd" in
  start) start_all ;;
  stop)
    export SLURM_CONF=$conf
    stop_all
    say "stopped the Slurm in $dir" ;;
  status)
    export SLURM_CONF=$conf
    rc=0
    for d in munged slurmctld slurmd; do
      if p=$(pid_of "$d"); then echo "$d: running (pid $p)"; else echo "$d: not running"; rc=1; fi
    done
    [ "$rc" = 0 ] && sinfo
    exit "$rc" ;;
  env) echo "export SLURM_CONF=$conf" ;;
esac
