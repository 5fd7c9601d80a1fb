# -resume: a checkpoint made on other data is refused (the checkpoint records the data's shape and
# content hash); no checkpoint yet is a one-line notice; another BLAS kernel is a warning; SIGTERM
# sent to one rank only is reported with its number. The BLAS library, kernel and threads are in
# summary.json, results.h5 and the checkpoints.
. "$HADAL_SRC/tests/lib.sh"
need_python h5py numpy
"$PYTHON" "$HADAL_SRC/tests/train/make_toy.py" toy.h5 6000 > /dev/null || { fail "make_toy.py"; finish; }
cp toy.h5 other.h5
"$PYTHON" -c "
import h5py
with h5py.File('other.h5', 'a') as f: f['events/features'][5, 2] += 0.25
" || fail "cannot change other.h5"

opts="-method ae -epochs 2 -batch_size 200 -seed 3"
"$HADAL" run $opts -data toy.h5 -out r -resume > first.log 2>&1 || { fail "first run"; cat first.log; }
grep -q "no checkpoint 'r/checkpoint_m000.h5' yet, starting afresh" first.log && pass "no checkpoint: one notice" || { fail "no notice that -resume found no checkpoint"; cat first.log; }
[ "$(grep -c 'starting afresh' first.log)" -eq 1 ] || fail "the notice is not one line"
expect_error "resume on other data of the same shape" "checkpoint 'r/checkpoint_m000.h5' was made on other data \('toy.h5'.*sha256" "$HADAL" run $opts -epochs 3 -data other.h5 -out r -resume
expect_error "resume on other data, 2 ranks" "made on other data" $MPIEXEC -n 2 "$HADAL" run $opts -epochs 3 -data other.h5 -out r -resume
"$PYTHON" - <<'PY' || fail "BLAS provenance"
import json, h5py
s = json.load(open("r/summary.json"))["blas"]
assert "OpenBLAS" in s["library"] and s["kernel"] and s["threads"] == 1, s
with h5py.File("r/results.h5") as f:
    assert f.attrs["blas_kernel"].decode() == s["kernel"], "results.h5 kernel"
    assert int(f.attrs["blas_threads"]) == 1
with h5py.File("r/checkpoint_m000.h5") as f:
    assert f.attrs["blas_kernel"].decode() == s["kernel"], "checkpoint kernel"
    assert "sha256" in f.attrs["data"].decode(), "checkpoint data identity"
open("kernel.txt", "w").write(s["kernel"])
print("BLAS", s["kernel"], "recorded in summary.json, results.h5 and the checkpoint")
PY
kernel=$(cat kernel.txt 2>/dev/null)
other=Sandybridge; [ "$kernel" = Sandybridge ] && other=Haswell
OPENBLAS_CORETYPE=$other "$HADAL" run $opts -epochs 3 -data toy.h5 -out r -resume > kern.log 2>&1 || { fail "resume with another kernel"; cat kern.log; }
grep -q "resuming from" kern.log || fail "did not resume under OPENBLAS_CORETYPE=$other"
grep -q "warning: checkpoint 'r/checkpoint_m000.h5' was written with the BLAS kernel $kernel, this run uses" kern.log && pass "another BLAS kernel: warned" || { fail "no warning for another BLAS kernel ($kernel -> $other)"; cat kern.log; }

# SIGTERM to one rank of two: stops both with a checkpoint, logged as signal 15
$MPIEXEC -n 2 "$HADAL" run -method ae -data toy.h5 -out sig -epochs 100000 -stop_patience 100000 -batch_size 64 > sig.log 2>&1 &
mpi=$!
for i in $(seq 600); do grep -q "epoch   2/" sig.log 2>/dev/null && break; sleep 0.05; done
ranks=$(pgrep -P $mpi)
one=$(echo $ranks | awk '{print $NF}')
[ -n "$one" ] || fail "no rank process found"
kill -TERM $one
wait $mpi || fail "a run stopped by SIGTERM on one rank exits $?"
grep -q "signal 15 received" sig.log && pass "SIGTERM on one rank: $(grep 'signal 15' sig.log)" || { fail "SIGTERM on one rank not reported as signal 15"; grep -i signal sig.log; }
# -resume with another training option: the kept checkpoint of the finished member is of other
# options, so the member trains afresh (results bit for bit those of a fresh run with the new
# option), where it used to continue from the old option's end state under the new label;
# -resume with more -epochs still continues from it
lr="-method ae -data toy.h5 -epochs 2 -batch_size 200 -seed 3"
"$HADAL" run $lr -out lr > lr1.log 2>&1 || { fail "lr: first run"; cat lr1.log; }
"$HADAL" run $lr -adam_lr 3e-3 -out lr -resume > lr2.log 2>&1 || { fail "lr: resume with -adam_lr 3e-3"; cat lr2.log; }
"$HADAL" run $lr -adam_lr 3e-3 -out lrf > lr3.log 2>&1 || { fail "lr: fresh run"; cat lr3.log; }
grep -q "member 0: the checkpoint 'lr/checkpoint_m000.h5' is of other options: trained afresh" lr2.log || { fail "lr: no line saying the checkpoint is of other options"; cat lr2.log; }
if [ "$(hash_datasets lr/results.h5 /scores)" = "$(hash_datasets lrf/results.h5 /scores)" ] &&
   [ "$(hash_datasets lr/models/member_000.h5)" = "$(hash_datasets lrf/models/member_000.h5)" ]; then
  pass "-resume with another -adam_lr: trained afresh, bit for bit a fresh run's"
else fail "-resume with another -adam_lr: results differ from a fresh run with it"; fi
"$HADAL" run $lr -adam_lr 3e-3 -epochs 3 -out lr -resume > lr4.log 2>&1 && grep -q "resuming from 'lr/checkpoint_m000.h5' at epoch 3" lr4.log &&
  pass "-resume with more -epochs: continued from the checkpoint" || { fail "-resume with more -epochs"; cat lr4.log; }
ls lr | grep -q stale && fail "a set-aside checkpoint left behind: $(ls lr)"
finish
