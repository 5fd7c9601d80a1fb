# Resume everywhere: `hadal run -method METHOD` is stopped by SIGUSR1/SIGTERM at random moments,
# several times in a row on the same folder, at 1 and 2 ranks, and resumed with -resume to the end;
# every dataset of results.h5 and every number of summary.json (but times and the rank count) must
# be bit for bit those of an uninterrupted run. The moments are drawn with a seed printed below
# (HADAL_RESUME_SEED=S repeats a sequence).
#   usage: resume_signals.sh METHOD     (ae, cwola, rnd, dae, cwola_ee, aa)
. "$HADAL_SRC/tests/lib.sh"
need_python h5py numpy
method=$1
seed=${HADAL_RESUME_SEED:-$(( $(date +%s) % 100000 ))}
echo "random moments from seed $seed"
RANDOM=$seed

epochs="epoch "
case "$method" in
  ae)
    "$PYTHON" "$HADAL_SRC/tests/train/make_toy.py" toy.h5 3000 || { fail "toy data"; finish; }
    opts=(-method ae -data toy.h5 -ensemble_size 4 -epochs 50 -batch_size 64 -seed 5 -stop_patience 0 -member_scores -group_size 1) ;;
  cwola)
    $MPIEXEC -n 2 "$HADAL" generate lhco -o data.h5 -n 30000 -seed 3 -signal_fraction 0.003 > gen.log 2>&1 || { fail "generate"; cat gen.log; finish; }
    # a plateau that acts in most classifiers' later epochs (a lower learning rate after an epoch
    # without improvement, a stop after two): a classifier resumed from a checkpoint must keep
    # them, or it trains on where the uninterrupted one changed course (11 of the 18 differ
    # without them)
    opts=(-method cwola -options_file "$HADAL_SRC/inputs/cwola_lhco.opts" -data data.h5 -sr_max 4300 -folds 3 -ensemble_size 2 -epochs 8 -lr_patience 1 -stop_patience 2) ;;
  rnd)
    "$HADAL" generate darkmachines -o dm.h5 -n 6000 -seed 5 -signal_fraction 0.02 > gen.log 2>&1 || { fail "generate"; cat gen.log; finish; }
    opts=(-method rnd -data dm.h5 -seed 3 -svdd_d 4,8 -svdd_n 0,2 -svdd_hidden 32,16 -epochs 16 -batch_size 250 -flow_layers 2 -made_hidden 1x32 -knots 8 -flow_epochs 8 -flow_batch_size 256 -group_size 1) ;;
  dae)
    "$HADAL" generate adc2021 -o d.h5 -n 5000 -seed 4 -signal_fraction 0.01 > gen.log 2>&1 || { fail "generate"; cat gen.log; finish; }
    opts=(-method dae -data d.h5 -hidden 16,8,3 -epochs 40 -batch_size 250 -seeds 3 -seed 3 -sm_efficiencies 0.01,0.05 -expect_features 57 -scaling objects -group_size 1) ;;
  cwola_ee)
    "$HADAL" generate ee_isr -o data.h5 -n 16000 -seed 31 -signal_fraction 0.03 -mhat_min 600 -mhat_max 800 > gen.log 2>&1 || { fail "generate"; cat gen.log; finish; }
    opts=(-method cwola_ee -data data.h5 -contamination 0,3,inf -ensemble_size 3 -epochs 6 -network "pfn phi 32,32 f 32,32" -seed 5) ;;
  aa)
    "$HADAL" generate jetimages -o ji.h5 -n 1500 -seed 5 -classes qcd,top,w,eft -class_fractions 0.35,0.35,0.15,0.15 -image_size 16 > gen.log 2>&1 || { fail "generate"; cat gen.log; finish; }
    opts=(-method aa -data ji.h5 -normal_classes qcd,top -aware_classes w -lambda_aa 0.5,1,2,4 -prior_epochs 3 -epochs 8 -seed 3 -luminosities 300,3000 -group_size 1)
    epochs="lambda .*epoch " ;;
  *) fail "unknown method '$method'"; finish ;;
esac

# progress of a run: the members' epochs its log reports and the members it stored (cwola's
# classifiers print no epochs; aa's prior run, trained again by every run, does not count)
members() { ls "$1"/members 2>/dev/null | grep -c '^member_'; }
progress() { echo $(( $(grep -c -E "$epochs" "$1") + $(members "$2") - $3 )); }

$MPIEXEC -n 2 "$HADAL" run "${opts[@]}" -out ref > ref.log 2>&1 || { fail "uninterrupted run"; cat ref.log; finish; }
total=$(progress ref.log ref 0)
echo "uninterrupted run: $total steps of progress (epochs and stored members)"

# the stops: 1 and 2 ranks in turn, USR1 and TERM in turn, each at a random moment: after a random
# number of steps (up to a fifth of the whole run, and up to half of what is left of it: a stop
# that stored most members leaves little) and a random fraction of a second, so that four in a row
# stop four times, in training, between members or while a file is written.
# USR1 goes to mpiexec, which passes it on to the ranks; TERM goes to the ranks themselves (as
# Slurm's preemption does: mpiexec would pass TERM on only after about a second).
stops=0 resumed=0 finished_early=0 done=0
for k in 1 2 3 4; do
  n=$(( k % 2 + 1 )) sig=USR1
  [ $((k % 2)) -eq 0 ] && sig=TERM
  extra=""
  [ "$k" -gt 1 ] && extra="-resume"
  base=$(members cut)
  left=$(( (total - done) / 2 )) most=$(( total / 5 ))
  [ "$left" -lt "$most" ] && most=$left
  [ "$most" -lt 1 ] && most=1
  steps=$(( 1 + RANDOM % most ))
  delay=$(printf '0.%03d' $(( RANDOM % 50 )))
  $MPIEXEC -n $n "$HADAL" run "${opts[@]}" -out cut $extra > cut$k.log 2>&1 &
  pid=$!
  for _ in $(seq 1 2400); do
    [ "$(progress cut$k.log cut "$base")" -ge "$steps" ] && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.02
  done
  sleep "$delay"
  if [ $sig = USR1 ]; then kill -s USR1 $pid 2>/dev/null
  else for r in $(pgrep -P $pid); do kill -s TERM "$r" 2>/dev/null; done
  fi
  wait $pid
  rc=$?
  # epochs a resumed run trains again are counted twice: what is left is underestimated, never over
  done=$(( done + $(progress cut$k.log cut "$base") ))
  grep -q -E "finished members? found|resuming from" cut$k.log && resumed=$((resumed + 1))
  if [ -e cut/summary.json ]; then
    echo "stop $k ($n ranks, SIG$sig after $steps steps + ${delay} s): the run had finished"
    finished_early=1
    break
  fi
  stops=$((stops + 1))
  [ $rc -eq 0 ] && grep -q "interrupted" cut$k.log || { fail "stop $k ($n ranks, SIG$sig after $steps steps + ${delay} s): exit status $rc, no 'interrupted' line"; tail -5 cut$k.log; }
  echo "stop $k: $n ranks, SIG$sig after $steps steps + ${delay} s (exit status $rc): $(ls cut/members 2>/dev/null | grep -c '^member_') members stored"
done
if [ "$finished_early" = 0 ]; then
  $MPIEXEC -n 2 "$HADAL" run "${opts[@]}" -out cut -resume > last.log 2>&1 || { fail "the last resume"; cat last.log; finish; }
  grep -q -E "finished members? found|resuming from" last.log && resumed=$((resumed + 1))
fi
[ "$stops" -ge 2 ] && pass "$stops runs stopped, $resumed resumed from stored members or checkpoints" || fail "$stops runs stopped, want 2 at least"
[ "$resumed" -ge 1 ] || fail "no run resumed anything"

a=$(hash_datasets ref/results.h5) b=$(hash_datasets cut/results.h5)
[ -n "$a" ] && [ "$a" = "$b" ] && pass "results.h5: $(echo "$a" | wc -l) datasets identical to the uninterrupted run's" || { fail "results.h5 differs"; diff <(echo "$a") <(echo "$b") | head; }
for w in ref/windows/window_*.h5; do
  [ -e "$w" ] || continue
  [ "$(hash_datasets "$w")" = "$(hash_datasets "cut/windows/${w##*/}")" ] || fail "${w#ref/} differs"
done
"$PYTHON" - <<'PY' && pass "summary.json: every number identical" || fail "summary.json differs"
import json
timing = ("wall_s", "ranks", "group_size", "train_events_per_s", "events_per_s", "seconds", "time_s")
def walk(a, b, where):
    if isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), where + ": keys differ"
        for k in a:
            if k in timing or k.endswith("_s") or "per_s" in k: continue
            walk(a[k], b[k], where + "/" + k)
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), where + ": lengths differ"
        for i, (x, y) in enumerate(zip(a, b)): walk(x, y, "%s[%d]" % (where, i))
    elif isinstance(a, (int, float)) and not isinstance(a, bool):
        assert repr(a) == repr(b), "%s: %r vs %r" % (where, a, b)
    elif where.endswith("sha256"):
        assert a == b, where + " differs"
walk(json.load(open("ref/summary.json")), json.load(open("cut/summary.json")), "")
PY
finish
