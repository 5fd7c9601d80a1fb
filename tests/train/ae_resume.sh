# A run stopped by a signal writes a checkpoint and exits cleanly; resumed (at another rank count),
# it ends with exactly the parameters and scores of an uninterrupted run.
. "$HADAL_SRC/tests/lib.sh"
need_python h5py numpy
"$PYTHON" "$HADAL_SRC/tests/train/make_toy.py" toy.h5 6000 || { fail "make_toy.py cannot write the toy data"; finish; }
# many short epochs: the signal comes at epoch 3 of 80, so a loaded machine cannot finish first
opts="-method ae -data toy.h5 -epochs 80 -batch_size 64 -seed 5 -stop_patience 0"

"$HADAL" run $opts -out full > full.log 2>&1 || { fail "uninterrupted run failed"; cat full.log; }

# the interrupted run: 2 ranks under mpiexec, which forwards SIGUSR1 (what Slurm's --signal sends)
$MPIEXEC -n 2 "$HADAL" run $opts -out part > part.log 2>&1 &
pid=$!
for i in $(seq 1 600); do grep -q "epoch   3/" part.log 2>/dev/null && break; sleep 0.05; done
kill -USR1 $pid
wait $pid
rc=$?
[ $rc -eq 0 ] && pass "interrupted run exits cleanly" || fail "interrupted run exit status $rc"
grep -q "checkpoint written" part.log && pass "checkpoint written on the signal" || { fail "no checkpoint on the signal"; cat part.log; }
[ ! -e part/summary.json ] && pass "no summary for an unfinished run" || fail "summary.json written by an interrupted run"

# resume on one rank
"$HADAL" run $opts -out part -resume > resume.log 2>&1 || { fail "resume failed"; cat resume.log; }
grep -q "resuming from" resume.log && pass "resumed from the checkpoint" || fail "did not resume"
a=$(grep '"parameters_sha256"' full/summary.json | head -1)
b=$(grep '"parameters_sha256"' part/summary.json | head -1)
[ -n "$a" ] && [ "$a" = "$b" ] && pass "resumed parameters identical: $a" || fail "resumed parameters differ: '$a' vs '$b'"
"$PYTHON" -c "
import h5py, numpy as np
a = h5py.File('full/results.h5')['scores/ae'][:].view(np.uint32)
b = h5py.File('part/results.h5')['scores/ae'][:].view(np.uint32)
assert np.array_equal(a, b)
" && pass "resumed scores identical" || fail "resumed scores differ"
finish
