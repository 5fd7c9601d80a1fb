#!/usr/bin/env bash
# Event generation and I/O throughput of hadal beside the raw disk bandwidth of the same folder.
#
#   bench/generate_bench.sh [--hadal PATH] [--n N] [--ranks "1 2"] [--dir DIR] [--keep]
#
# For each rank count: `hadal generate lhco -n N` writes the event file (generation and collective
# HDF5 write together), then `sync` flushes it to disk; `hadal info FILE` reads the whole table back
# (every rank its block). Then dd writes and reads a file of the same size in the same folder:
# write with conv=fdatasync (on disk), read once through the page cache and once with
# iflag=direct (from disk). Page cache: hadal's read-back follows the write at once, so it is
# served from the page cache, like dd's cached read; compare it with that column, and the
# generate+sync column with dd's write. Prints a markdown table (docs/performance.md).
#
# Defaults: hadal from $HADAL or build/hadal, mpiexec from $MPIEXEC or mpiexec, N = 2,000,000,
# ranks "1 2", DIR a new folder under ${TMPDIR:-/tmp} (removed at the end unless --keep).
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HADAL=${HADAL:-$here/../build/hadal}
MPIRUN=${MPIEXEC:-mpiexec --allow-run-as-root --oversubscribe}
N=2000000
RANKS="1 2"
DIR=""
KEEP=0

while [ $# -gt 0 ]; do
  case "$1" in
    --hadal) HADAL=$2; shift 2 ;;
    --n) N=$2; shift 2 ;;
    --ranks) RANKS=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "generate_bench.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
[ -x "$HADAL" ] || { echo "generate_bench.sh: no hadal executable at '$HADAL' (build first or pass --hadal)" >&2; exit 2; }
case "$N" in ''|*[!0-9]*) echo "generate_bench.sh: --n must be a positive integer, got '$N'" >&2; exit 2 ;; esac
if [ -z "$DIR" ]; then
  DIR=$(mktemp -d "${TMPDIR:-/tmp}/hadal-genbench.XXXXXX") || exit 1
  [ "$KEEP" -eq 1 ] || trap 'rm -rf "$DIR"' EXIT
else
  mkdir -p "$DIR" || exit 1
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

now() { date +%s.%N; }
rate() { awk -v a="$1" -v t="$2" 'BEGIN { if (t > 0) printf "%.4g", a / t; else print "inf" }'; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }

echo "# hadal generate lhco: $N events, folder $DIR ($(df -P "$DIR" | awk 'NR == 2 { print $1 }'))"
echo "# $(nproc) cores, $("$HADAL" -version 2>/dev/null | head -1)"
echo
echo "| ranks | file MB | generate+write s | events/s | MB/s | generate+write+sync s | MB/s (synced) | gen rate in-run events/s | read-back s (in-run) | read events/s | read MB/s |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
size=0
for np in $RANKS; do
  f="$DIR/lhco_np$np.h5"
  rm -f "$f"
  sync
  t0=$(now)
  $MPIRUN -n "$np" "$HADAL" generate lhco -o "$f" -n "$N" -seed 1 > "$DIR/gen_np$np.log" 2>&1 || { echo "generate failed at $np ranks:"; cat "$DIR/gen_np$np.log"; exit 1; }
  t1=$(now)
  sync
  t2=$(now)
  size=$(stat -c %s "$f")
  tg=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
  ts=$(awk -v a="$t0" -v b="$t2" 'BEGIN { printf "%.3f", b - a }')
  inrun=$(grep -E "^generate: .*events/s" "$DIR/gen_np$np.log" | tail -1 | sed -E 's/.*\), ([0-9.e+]+) events\/s.*/\1/')
  $MPIRUN -n "$np" "$HADAL" info "$f" > "$DIR/info_np$np.log" 2>&1 || { echo "info failed at $np ranks:"; cat "$DIR/info_np$np.log"; exit 1; }
  tr=$(sed -n -E 's/.*read in ([0-9.]+) s.*/\1/p' "$DIR/info_np$np.log" | head -1)
  echo "| $np | $(mb "$size") | $tg | $(rate "$N" "$tg") | $(rate "$((size / 1000000))" "$tg") | $ts | $(rate "$((size / 1000000))" "$ts") | ${inrun:-?} | ${tr:-?} | $(rate "$N" "${tr:-0}") | $(rate "$((size / 1000000))" "${tr:-0}") |"
done

# Raw disk bandwidth in the same folder, same size as the event file.
count=$(( (size + 4194303) / 4194304 ))
dd_rate() { # dd's own summary line: "... bytes (...) copied, 0.1 s, 640 MB/s"
  sed -n -E 's/.* copied, ([0-9.]+) s, ([0-9.]+ [kMG]?B\/s)/\2 (\1 s)/p' | tail -1
}
w=$(dd if=/dev/zero of="$DIR/dd.bin" bs=4M count="$count" conv=fdatasync 2>&1 | dd_rate)
rc=$(dd if="$DIR/dd.bin" of=/dev/null bs=4M 2>&1 | dd_rate)
rd=$(dd if="$DIR/dd.bin" of=/dev/null bs=4M iflag=direct 2>&1 | dd_rate)
echo
echo "| dd, $count x 4 MiB | write (conv=fdatasync) | read (page cache) | read (iflag=direct, disk) |"
echo "| --- | --- | --- | --- |"
echo "| same folder | ${w:-?} | ${rc:-?} | ${rd:-?} |"
rm -f "$DIR/dd.bin"
