#!/bin/bash
# Proportional memory of `hadal run -method ae` summed over its ranks: every 0.2 s the Pss line of
# /proc/PID/smaps_rollup of each rank is read and summed; the largest sum is the peak. Pages a node
# shares (the event table's window) count once in total, split among the ranks that map them.
#   bench/pss_ae.sh [RANKS...]        (default 1 2 4)
# Environment: HADAL (the executable, default build/hadal), MPIEXEC, EVENTS (2000000), FEATURES
# (57), DATA (the table; made with bench/make_table.py when missing), EPOCHS (1).
set -u
HADAL=${HADAL:-build/hadal}
MPIEXEC=${MPIEXEC:-mpiexec --allow-run-as-root --oversubscribe}
EVENTS=${EVENTS:-2000000}
FEATURES=${FEATURES:-57}
EPOCHS=${EPOCHS:-1}
DATA=${DATA:-pss_table_${EVENTS}x${FEATURES}.h5}
PYTHON=${PYTHON:-/usr/bin/python3}
here=$(cd "$(dirname "$0")" && pwd)
[ -f "$DATA" ] || "$PYTHON" "$here/make_table.py" "$DATA" "$EVENTS" "$FEATURES" || exit 1
ranks=${*:-1 2 4}
echo "table: $EVENTS x $FEATURES float32 = $(awk -v n="$EVENTS" -v f="$FEATURES" 'BEGIN {printf "%.0f", n * f * 4 / 1e6}') MB"
printf "%5s  %14s  %14s  %8s\n" ranks "peak sum (MB)" "max rank (MB)" "wall (s)"
for np in $ranks; do
  out=$(mktemp -d)
  t0=$(date +%s.%N)
  $MPIEXEC -n "$np" "$HADAL" run -method ae -data "$DATA" -out "$out/run" -epochs "$EPOCHS" -batch_size 1024 > "$out/log" 2>&1 &
  launcher=$!
  peak=0
  rank_peak=0
  while kill -0 "$launcher" 2> /dev/null; do
    sum=0
    for pid in $(pgrep -P "$launcher" -x hadal); do
      kb=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2> /dev/null)
      [ -n "$kb" ] || continue
      sum=$((sum + kb))
      [ "$kb" -gt "$rank_peak" ] && rank_peak=$kb
    done
    [ "$sum" -gt "$peak" ] && peak=$sum
    sleep 0.2
  done
  wait "$launcher" || { echo "run at $np ranks failed:"; cat "$out/log"; exit 1; }
  t1=$(date +%s.%N)
  printf "%5d  %14.0f  %14.0f  %8.1f\n" "$np" "$(echo "$peak / 1024" | bc -l)" "$(echo "$rank_peak / 1024" | bc -l)" "$(echo "$t1 - $t0" | bc -l)"
  rm -rf "$out"
done
