# bench/sgemm_peak: one tiny shape gives a positive rate in the documented last-line format, and
# bad options are rejected with one error line.
. "$HADAL_SRC/tests/lib.sh"
SGEMM=$1

out=$("$SGEMM" -m 64 -n 48 -k 32 -min_time 0.01 2>&1) || fail "tiny shape exits non-zero: $out"
last=$(printf '%s\n' "$out" | tail -n 1)
if printf '%s\n' "$last" | grep -E -q '^sgemm peak GFLOP/s: [0-9]+\.[0-9]+$'; then
  rate=${last##*: }
  if awk -v r="$rate" 'BEGIN { exit !(r > 0) }'; then pass "tiny shape: $last"; else fail "rate is not positive: $last"; fi
else
  fail "last line is not 'sgemm peak GFLOP/s: X': $last"
fi
printf '%s\n' "$out" | grep -q '^64x48x32 GFLOP/s: ' || fail "no per-shape line for 64x48x32"

for bad in "-m 64 -n 48" "-min_time -1" "-bogus 1"; do
  # shellcheck disable=SC2086
  if err=$("$SGEMM" $bad 2>&1 >/dev/null); then fail "'$bad' exits 0"
  elif [ "$(printf '%s\n' "$err" | grep -c 'sgemm_peak: error:')" -ne 1 ]; then fail "'$bad': want one error line, got: $err"
  else pass "'$bad' rejected: $err"; fi
done

"$SGEMM" -help | grep -q -- "-min_time" || fail "-help does not list -min_time"
finish
