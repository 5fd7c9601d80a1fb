# hadal bench: every workload trains a few small steps through the real training loop and ends in
# `WORKLOAD samples/s: X` with a finite training loss; bad workloads and options are refused.
# Speed is not checked (bench/run_training_bench.sh measures it).
. "$HADAL_SRC/tests/lib.sh"

# name, then a batch small enough for a quick run (0: the workload's own)
for case in "svdd 500" "ae 500" "cwola 0" "cnn 20" "flow 64" "pfn 0" "dae 300"; do
  set -- $case
  w=$1 batch=$2
  out=$(OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$HADAL" bench "$w" -steps 2 -warmup 1 -batch "$batch" 2>&1) \
    || { fail "$w exits non-zero: $(printf '%s\n' "$out" | tail -n 5)"; continue; }
  last=$(printf '%s\n' "$out" | tail -n 1)
  printf '%s\n' "$last" | grep -E -q "^$w samples/s: [0-9]+(\.[0-9]+)?$" || { fail "$w: last line is not '$w samples/s: X': $last"; continue; }
  awk -v r="${last##*: }" 'BEGIN { exit !(r > 0) }' || fail "$w: rate is not positive: $last"
  loss=$(printf '%s\n' "$out" | sed -n 's/^final training loss: //p')
  # the flow's NLL may be negative; every loss must be a finite number
  awk -v l="$loss" 'BEGIN { exit !(l != "" && l == l + 0 && l > -1e6 && l < 1e6) }' || fail "$w: training loss '$loss' is not finite"
  [ "$batch" = 0 ] || printf '%s\n' "$out" | grep -q ", batch $batch, 2 steps, 1 ranks" || fail "$w: -batch $batch or -steps 2 not used"
  pass "$w: $last (loss $loss)"
done

expect_error "unknown workload" "unknown workload 'nosuch'" "$HADAL" bench nosuch -steps 1
expect_error "negative -batch" "-batch" "$HADAL" bench pfn -batch -1
# an allocation far beyond the machine: the error says out of memory, names what and where (not
# PETSc's allocator), and what helps. Only where the kernel refuses it (heuristic overcommit, mode
# 0, or mode 2); with mode 1 every allocation succeeds until pages are touched.
if [ "$(cat /proc/sys/vm/overcommit_memory 2>/dev/null)" != 1 ]; then
  expect_error "a batch beyond memory" "out of memory allocating 'plan_gradients' \(a smaller batch.*\[src/nn/network.c:" "$HADAL" bench svdd -steps 1 -warmup 0 -batch 100000000
fi
finish
