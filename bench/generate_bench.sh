#!/usr/bin/env bash
# Event generation and I/O throughput of hadal beside the raw disk bandwidth of the same folder.
#
#   bench/generate_bench.sh [--hadal PATH] [--n N] [--ranks "1 2"] [--reps R] [--dir DIR] [--keep]
#
# For each rank count: `hadal generate lhco -n N` writes the event file; its log gives the time
# spent generating and the time spent in the collective HDF5 writes (slowest rank each); `sync`
# then flushes the file to disk (timed); `hadal info FILE` reads the whole table back (every rank
# its block; its own read time is taken, without the start-up of the command). Then dd writes and
# reads a file of the same size in the same folder: write with conv=fdatasync (on disk), read once
# through the page cache and once with iflag=direct (from disk). Page cache: hadal's read-back follows the write at once, so it is
# served from the page cache, like dd's cached read; compare it with that column, and the
# generate+sync column with dd's write. Each rank count is run R times and every column is the
# median of its R values (the machine may be shared). Prints a markdown table
# (docs/performance.md).
#
# Defaults: hadal from $HADAL or build/hadal, mpiexec from $MPIEXEC or mpiexec, N = 2,000,000,
# ranks "1 2", R = 3, DIR a new folder under ${TMPDIR:-/tmp} (removed at the end unless --keep).
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HADAL=${HADAL:-$here/../build/hadal}
MPIRUN=${MPIEXEC:-mpiexec --allow-run-as-root --oversubscribe}
N=2000000
RANKS="1 2"
REPS=3
DIR=""
KEEP=0

while [ $# -gt 0 ]; do
  case "$1" in
    --hadal) HADAL=$2; shift 2 ;;
    --n) N=$2; shift 2 ;;
    --ranks) RANKS=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "generate_bench.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
[ -x "$HADAL" ] || { echo "generate_bench.sh: no hadal executable at '$HADAL' (build first or pass --hadal)" >&2; exit 2; }
case "$N" in ''|*[!0-9]*) echo "generate_bench.sh: --n must be a positive integer, got '$N'" >&2; exit 2 ;; esac
case "$REPS" in ''|*[!0-9]*|0) echo "generate_bench.sh: --reps must be a positive integer, got '$REPS'" >&2; exit 2 ;; esac
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
echo "# $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $("$HADAL" -version 2>/dev/null | head -1)"
echo
echo "| ranks | file MB | command wall s | generation s | generated events/s | HDF5 write s | write MB/s | sync s | write+sync MB/s | read-back s | read MB/s | read events/s |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "?"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

size=0
for np in $RANKS; do
  f="$DIR/lhco_np$np.h5"
  walls=() gens=() writes=() syncs=() reads=()
  for rep in $(seq "$REPS"); do
    rm -f "$f"
    sync
    t0=$(now)
    $MPIRUN -n "$np" "$HADAL" generate lhco -o "$f" -n "$N" -seed 1 > "$DIR/gen_np$np.log" 2>&1 || { echo "generate failed at $np ranks:"; cat "$DIR/gen_np$np.log"; exit 1; }
    t1=$(now)
    sync
    t2=$(now)
    size=$(stat -c %s "$f")
    walls+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')")
    syncs+=("$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.3f", b - a }')")
    # "generate: G s generating, W s writing M MB (R MB/s) on the slowest rank"
    line=$(grep -E "^generate: [0-9.]+ s generating" "$DIR/gen_np$np.log" | tail -1)
    gens+=("$(printf '%s\n' "$line" | sed -n -E 's/^generate: ([0-9.]+) s generating.*/\1/p')")
    writes+=("$(printf '%s\n' "$line" | sed -n -E 's/.*, ([0-9.]+) s writing.*/\1/p')")
    $MPIRUN -n "$np" "$HADAL" info "$f" > "$DIR/info_np$np.log" 2>&1 || { echo "info failed at $np ranks:"; cat "$DIR/info_np$np.log"; exit 1; }
    reads+=("$(sed -n -E 's/.*read in ([0-9.]+) s.*/\1/p' "$DIR/info_np$np.log" | head -1)")
  done
  mbytes=$(awk -v b="$size" 'BEGIN { printf "%.3f", b / 1e6 }')
  twall=$(median "${walls[@]}") tgen=$(median "${gens[@]}") twrite=$(median "${writes[@]}") tsync=$(median "${syncs[@]}") tread=$(median "${reads[@]}")
  tws=$(awk -v a="$twrite" -v b="$tsync" 'BEGIN { printf "%.3f", a + b }')
  echo "| $np | $(mb "$size") | $twall | $tgen | $(rate "$N" "$tgen") | $twrite | $(rate "$mbytes" "$twrite") | $tsync | $(rate "$mbytes" "$tws") | $tread | $(rate "$mbytes" "$tread") | $(rate "$N" "$tread") |"
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
