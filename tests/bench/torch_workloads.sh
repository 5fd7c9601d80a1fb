# bench/torch_workloads.py: every workload trains 2 steps and prints the documented lines, the last
# one `WORKLOAD samples/s: X`; the FLOP counts match the per-layer formulas of bench/README.md;
# bad arguments are refused.
. "$HADAL_SRC/tests/lib.sh"
SCRIPT="$HADAL_SRC/bench/torch_workloads.py"

if ! "$PYTHON" -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("torch") is None)' 2>/dev/null; then
  echo "skipped: $PYTHON has no torch (python3-torch)"
  exit 77
fi

# FLOPs per step, written out by hand from the layer shapes (README.md, "FLOPs per step").
flops=$("$PYTHON" "$SCRIPT" --list) || fail "--list exits non-zero"
B=10000
svdd_f=$(( 2*B*(69*512 + 512*256 + 256*128 + 128*34) ))
svdd_b=$(( 2*svdd_f - 2*B*69*512 ))
ae_f=$(( 2*2*B*(57*256 + 256*128 + 128*64 + 64*32 + 32*5) ))
ae_b=$(( 2*ae_f - 2*B*57*256 ))
cw_f=$(( 2*128*(5*64 + 64*64 + 64*64 + 64*1) ))
cw_b=$(( 2*cw_f - 2*128*5*64 ))
cnn_f=$(( 2*100*1600*9*8 + 2*100*400*72*16 + 2*100*1600*64 + 2*100*64*2 ))
cnn_b=$(( 2*cnn_f - 2*100*1600*9*8 ))
for want in "svdd: batch 10000 FLOPs/step $((svdd_f + svdd_b)) forward $svdd_f backward $svdd_b" \
            "ae: batch 10000 FLOPs/step $((ae_f + ae_b)) forward $ae_f backward $ae_b" \
            "cwola: batch 128 FLOPs/step $((cw_f + cw_b)) forward $cw_f backward $cw_b" \
            "cnn: batch 100 FLOPs/step $((cnn_f + cnn_b)) forward $cnn_f backward $cnn_b"; do
  if printf '%s\n' "$flops" | grep -q -x -- "$want"; then pass "$want"; else fail "--list lacks '$want':"; printf '%s\n' "$flops"; fi
done

# All four in one process (one torch import); each prints its block, ending in its samples/s line.
all=$(OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$PYTHON" "$SCRIPT" svdd ae cwola cnn --steps 2 --warmup 1 2>&1) \
  || fail "svdd ae cwola cnn exits non-zero: $all"
last=$(printf '%s\n' "$all" | tail -n 1)
printf '%s\n' "$last" | grep -E -q '^cnn samples/s: [0-9]+(\.[0-9]+)?$' || fail "last line is not 'cnn samples/s: X': $last"
for w in svdd ae cwola cnn; do
  out=$(printf '%s\n' "$all" | awk -v w="$w" '$0 ~ "^workload " w ":" { on = 1 } on { print } on && $0 ~ "^" w " samples/s:" { on = 0 }')
  [ -n "$out" ] || { fail "$w: no output block"; continue; }
  last=$(printf '%s\n' "$out" | tail -n 1)
  printf '%s\n' "$last" | grep -E -q "^$w samples/s: [0-9]+(\.[0-9]+)?$" || fail "$w: block does not end in '$w samples/s: X': $last"
  printf '%s\n' "$out" | grep -E -q '^peak RSS MiB: [0-9]+(\.[0-9]+)?$' || fail "$w: no 'peak RSS MiB:' line"
  printf '%s\n' "$out" | grep -E -q "^FLOPs/step: [0-9]+ " || fail "$w: no 'FLOPs/step:' line"
  printf '%s\n' "$out" | grep -q "steps 2 (+1 warm-up), threads 1" || fail "$w: steps, warm-up or threads not as asked"
  loss=$(printf '%s\n' "$out" | sed -n 's/^final loss: //p')
  awk -v l="$loss" 'BEGIN { exit !(l == l + 0 && l > 0 && l < 1e6) }' || fail "$w: loss '$loss' is not a finite positive number"
  pass "$w: $last (loss $loss)"
done

if "$PYTHON" "$SCRIPT" nosuch --steps 1 >/dev/null 2>&1; then fail "unknown workload accepted"; else pass "unknown workload rejected"; fi
if "$PYTHON" "$SCRIPT" cwola --steps 0 >/dev/null 2>&1; then fail "--steps 0 accepted"; else pass "--steps 0 rejected"; fi
if "$PYTHON" "$SCRIPT" >/dev/null 2>&1; then fail "no workload accepted"; else pass "no workload rejected"; fi
finish
