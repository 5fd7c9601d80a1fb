# bench/run_training_bench.sh end to end on the smallest settings: it must print the markdown table
# with a PyTorch figure for the workload asked for, and the sgemm peak.
. "$HADAL_SRC/tests/lib.sh"
SGEMM=$1

if ! "$PYTHON" -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("torch") is None)' 2>/dev/null; then
  echo "skipped: $PYTHON has no torch (python3-torch)"
  exit 77
fi

out=$(bash "$HADAL_SRC/bench/run_training_bench.sh" --hadal "$HADAL" --sgemm "$SGEMM" --python "$PYTHON" \
      --workloads cwola --steps 20 --reps 1 --no-mpi --sgemm-min-time 0.01 2>&1) || fail "exits non-zero: $out"
printf '%s\n' "$out"
printf '%s\n' "$out" | grep -q -F '| workload | hadal samples/s | PyTorch samples/s | ratio | paired ratio | hadal % of sgemm peak | hadal RSS | PyTorch RSS |' \
  || fail "no table header"
row=$(printf '%s\n' "$out" | grep '^| cwola |')
[ -n "$row" ] || fail "no cwola row"
torch_rate=$(printf '%s\n' "$row" | awk -F'|' '{ gsub(/ /, "", $4); print $4 }')
if awk -v r="$torch_rate" 'BEGIN { exit !(r + 0 > 0) }'; then pass "cwola row: $row"; else fail "PyTorch samples/s '$torch_rate' is not positive"; fi
printf '%s\n' "$out" | grep -E -q '^sgemm peak \(1 thread\): [0-9.]+ GFLOP/s' || fail "no sgemm peak line"
# The hadal column is filled in only where the executable has its bench command.
if "$HADAL" bench cwola -steps 1 2>/dev/null | tail -n 1 | grep -q '^cwola samples/s: '; then
  hadal_rate=$(printf '%s\n' "$row" | awk -F'|' '{ gsub(/ /, "", $3); print $3 }')
  if awk -v r="$hadal_rate" 'BEGIN { exit !(r + 0 > 0) }'; then pass "hadal side measured"; else fail "hadal has bench but its column is '$hadal_rate'"; fi
else
  printf '%s\n' "$out" | grep -q "measuring the PyTorch side only" || fail "no note that hadal bench is missing"
fi

if bash "$HADAL_SRC/bench/run_training_bench.sh" --workloads nosuch >/dev/null 2>&1; then fail "unknown workload accepted"; else pass "unknown workload rejected"; fi
finish
