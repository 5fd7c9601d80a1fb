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
# flow: 11 MADEs 20-200x7-2080 on 512 rows; only the first MADE's first layer has no input gradient
made=$(( 20*200 + 6*200*200 + 200*20*104 ))
flow_f=$(( 11*2*512*made ))
flow_b=$(( 2*flow_f - 2*512*20*200 ))
# pfn: Phi 10-100-100-128 on 128 x 15 elements (no input gradient for its first layer), F
# 128-100-100-100-1 on 128 pooled rows (input gradient needed)
pfn_f=$(( 2*128*15*(10*100 + 100*100 + 100*128) + 2*128*(128*100 + 100*100 + 100*100 + 100*1) ))
pfn_b=$(( 2*pfn_f - 2*128*15*10*100 ))
dae_f=$(( 2*ae_f ))
dae_b=$(( 2*ae_b ))
for want in "svdd: batch 10000 FLOPs/step $((svdd_f + svdd_b)) forward $svdd_f backward $svdd_b" \
            "ae: batch 10000 FLOPs/step $((ae_f + ae_b)) forward $ae_f backward $ae_b" \
            "cwola: batch 128 FLOPs/step $((cw_f + cw_b)) forward $cw_f backward $cw_b" \
            "cnn: batch 100 FLOPs/step $((cnn_f + cnn_b)) forward $cnn_f backward $cnn_b" \
            "flow: batch 512 FLOPs/step $((flow_f + flow_b)) forward $flow_f backward $flow_b" \
            "pfn: batch 128 FLOPs/step $((pfn_f + pfn_b)) forward $pfn_f backward $pfn_b" \
            "dae: batch 10000 FLOPs/step $((dae_f + dae_b)) forward $dae_f backward $dae_b"; do
  if printf '%s\n' "$flops" | grep -q -x -- "$want"; then pass "$want"; else fail "--list lacks '$want':"; printf '%s\n' "$flops"; fi
done

# All but dae in one process (one torch import); each prints its block, ending in its samples/s
# line. dae's n x n DisCo matrices take seconds and gigabytes at its own batch: a small one here.
all=$(OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$PYTHON" "$SCRIPT" svdd ae cwola cnn flow pfn --steps 2 --warmup 1 2>&1) \
  || fail "svdd ae cwola cnn flow pfn exits non-zero: $all"
last=$(printf '%s\n' "$all" | tail -n 1)
printf '%s\n' "$last" | grep -E -q '^pfn samples/s: [0-9]+(\.[0-9]+)?$' || fail "last line is not 'pfn samples/s: X': $last"
dae=$(OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$PYTHON" "$SCRIPT" dae --batch 300 --steps 2 --warmup 1 2>&1) \
  || fail "dae --batch 300 exits non-zero: $dae"
printf '%s\n' "$dae" | grep -q '^workload dae: batch 300,' || fail "dae: --batch 300 not used"
all="$all
$dae"
for w in svdd ae cwola cnn flow pfn dae; do
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
