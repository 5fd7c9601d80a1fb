# bench/generate_bench.sh keeps working: a small run prints one row per rank count and the dd row.
# It measures nothing (too small); docs/performance.md has the real numbers.
. "$HADAL_SRC/tests/lib.sh"

out=$(MPIEXEC="$MPIEXEC" bash "$HADAL_SRC/bench/generate_bench.sh" --hadal "$HADAL" --n 20000 --ranks "1 2" --reps 1 --dir "$HADAL_SCRATCH/bench" 2>&1)
rc=$?
printf '%s\n' "$out"
[ "$rc" -eq 0 ] || fail "generate_bench.sh exits $rc"
for np in 1 2; do
  row=$(printf '%s\n' "$out" | grep -E "^\| $np \| ")
  [ -n "$row" ] || { fail "no row for $np ranks"; continue; }
  printf '%s\n' "$row" | grep -q '?' && fail "row for $np ranks has unparsed fields: $row"
done
printf '%s\n' "$out" | grep -qE "^\| same folder \| [0-9.]+ [kMG]?B/s" || fail "no dd row"
[ -e "$HADAL_SCRATCH/bench/dd.bin" ] && fail "dd file left behind"
MPIEXEC="$MPIEXEC" bash "$HADAL_SRC/bench/generate_bench.sh" --n abc > bad.txt 2>&1 && fail "--n abc accepted"
finish
