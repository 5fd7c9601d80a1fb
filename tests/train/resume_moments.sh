# Training stopped by SIGUSR1 at chosen moments and resumed, at 1 and 2 ranks (the group is the
# world; the signal reaches rank 0 only): the resumed run must end with the parameters, losses,
# best and stopping epochs of an uninterrupted run. The moments: mid-epoch before the best epoch,
# mid-epoch after it (the learning-rate reductions and the early stop are still to come), the last
# step of an epoch (an epoch-end checkpoint), the last step of the epoch that stops early (the
# training is then over, not cut), mid-epoch in the last epoch (its training loss, the last one
# reported, sums the steps before the stop, taken by 2 ranks, and those after), and two stops in a
# row.
#   usage: resume_moments.sh TEST_TRAIN_RESUME
. "$HADAL_SRC/tests/lib.sh"
prog=$1

$MPIEXEC -n 1 "$prog" full.txt > full.log 2>&1 || { fail "uninterrupted run"; cat full.log; finish; }
read -r _ _ _ early _ epochs _ best _ < full.txt
echo "uninterrupted: $(cat full.txt)"
[ "$early" = 1 ] && [ "$epochs" -ge 8 ] && [ "$best" -ge 2 ] || { fail "the uninterrupted run should stop early after epoch 8 with its best epoch 2 or later: $(cat full.txt)"; finish; }
$MPIEXEC -n 2 "$prog" full2.txt > full2.log 2>&1 || { fail "uninterrupted run at 2 ranks"; cat full2.log; }
cmp -s full.txt full2.txt && pass "1 and 2 ranks agree" || fail "1 and 2 ranks differ: $(cat full2.txt)"

# moment NAME STOP_RANKS EPOCH STEP RESUME_RANKS [EPOCH2 STEP2 RANKS2]: stop, (stop again,) resume
moment() {
  local name=$1 n1=$2 e1=$3 s1=$4 n2=$5
  rm -f "$name.h5"
  $MPIEXEC -n "$n1" "$prog" "$name.1" -checkpoint "$name.h5" -stop_epoch "$e1" -stop_step "$s1" > "$name.1.log" 2>&1 || { fail "$name: the stopped run failed"; cat "$name.1.log"; return; }
  if [ "$e1" = "$((epochs - 1))" ] && [ "$s1" = -1 ]; then
    # the signal came in the epoch that stops early: the run ended as the uninterrupted one did
    cmp -s full.txt "$name.1" && pass "$name: a signal in the epoch that stops early ends the training like an uninterrupted run" || fail "$name: $(cat "$name.1") vs $(cat full.txt)"
    return
  fi
  grep -q "^interrupted 1" "$name.1" || { fail "$name: the run was not interrupted: $(cat "$name.1")"; return; }
  if [ $# -gt 5 ]; then
    $MPIEXEC -n "$n2" "$prog" "$name.2" -checkpoint "$name.h5" -resume -stop_epoch "$6" -stop_step "$7" > "$name.2.log" 2>&1 || { fail "$name: the second stopped run failed"; cat "$name.2.log"; return; }
    grep -q "^interrupted 1" "$name.2" || { fail "$name: the second run was not interrupted: $(cat "$name.2")"; return; }
    n2=$8
  fi
  $MPIEXEC -n "$n2" "$prog" "$name.3" -checkpoint "$name.h5" -resume > "$name.3.log" 2>&1 || { fail "$name: the resumed run failed"; cat "$name.3.log"; return; }
  cmp -s full.txt "$name.3" && pass "$name: resumed to the uninterrupted result" || fail "$name: resumed to $(cat "$name.3"), uninterrupted $(cat full.txt)"
}
moment mid_early 2 1 3 1
moment mid_late 1 $((best + 1)) 2 2
moment epoch_end 2 $((best - 1)) -1 2
moment early_stop_epoch 2 $((epochs - 1)) -1 1
moment last_epoch_2to1 2 $((epochs - 1)) 2 1
moment last_epoch_2to2 2 $((epochs - 1)) 4 2
moment twice 2 1 5 1 $((best + 1)) 0 2
finish
