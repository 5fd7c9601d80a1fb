# Files of different runs never mix: a smaller rerun removes the bigger earlier run's checkpoints,
# member models and stored members once it ends well; a failed run leaves a good folder as it was; `merge`
# refuses window parts run with different options.
. "$HADAL_SRC/tests/lib.sh"
need_python h5py numpy
"$PYTHON" "$HADAL_SRC/tests/train/make_toy.py" toy.h5 3000 > /dev/null || { fail "make_toy.py"; finish; }
opts="-method ae -data toy.h5 -epochs 1 -batch_size 200"
"$HADAL" run $opts -out s -ensemble_size 3 > big.log 2>&1 || { fail "big run"; cat big.log; }
[ -e s/checkpoint_m002.h5 ] && [ -e s/models/member_002.h5 ] && [ -e s/members/member_000002.h5 ] || fail "the big run wrote no member 2 files"
"$HADAL" run $opts -out s -ensemble_size 2 > small.log 2>&1 || { fail "small run"; cat small.log; }
for f in s/checkpoint_m002.h5 s/models/member_002.h5 s/members/member_000002.h5; do [ -e $f ] && fail "stale $f left beside the smaller run's outputs"; done
[ -e s/checkpoint_m001.h5 ] && [ -e s/models/member_001.h5 ] && [ -e s/members/member_000001.h5 ] && [ -e s/summary.json ] && pass "a smaller rerun: no stale member files" || fail "the smaller run's own files are missing"
"$PYTHON" -c "import json; assert json.load(open('s/summary.json'))['members'] == 2" || fail "summary is not the smaller run's"
# a failed run leaves a good folder untouched
sum_before=$(cat s/* s/models/* 2>/dev/null | sha256sum)
expect_error "failed rerun" "cannot open 'missing.h5'" "$HADAL" run -method ae -data missing.h5 -out s -ensemble_size 1
[ "$(cat s/* s/models/* 2>/dev/null | sha256sum)" = "$sum_before" ] && pass "a failed rerun leaves the folder as it was" || fail "a failed rerun changed the folder"
ls -a s | grep -q "tmp-\|lock" && fail "temporary or lock files left: $(ls -a s)"

# merge: every part with the same options but -window
$MPIEXEC -n 2 "$HADAL" generate lhco -o lhco.h5 -n 30000 -seed 3 > gen.log 2>&1 || { fail "generate"; cat gen.log; finish; }
cw="-method cwola -options_file $HADAL_SRC/inputs/cwola_lhco.opts -data lhco.h5 -sr_max 4200 -folds 2 -ensemble_size 1 -epochs 1"
n_win=$("$HADAL" run $cw -list_windows | awk '/^windows:/ {print $2}')
[ -n "$n_win" ] && [ "$n_win" -ge 2 ] || { fail "no windows"; finish; }
for w in $(seq 0 $((n_win - 1))); do
  extra=""; [ "$w" -eq 1 ] && extra="-seed 9"
  "$HADAL" run $cw $extra -out parts -window $w > part$w.log 2>&1 || { fail "window $w"; cat part$w.log; }
done
expect_error "merge of parts with other options" "cannot merge: '.*window_001.h5' was run with other options than window 0 .*-seed 9" "$HADAL" merge -out parts
[ -e parts/results.h5 ] && fail "a refused merge wrote results.h5"
"$HADAL" run $cw -out parts -window 1 > part1b.log 2>&1 || fail "window 1 rerun"
"$HADAL" merge -out parts > merge.log 2>&1 && pass "merge of matching parts" || { fail "merge of matching parts"; cat merge.log; }
# the same options and -data path, but the file regenerated between the parts: refused (the
# parts record the data's SHA-256)
cp lhco.h5 keep.h5
$MPIEXEC -n 2 "$HADAL" generate lhco -o lhco.h5 -n 30000 -seed 4 > gen2.log 2>&1 || { fail "generate seed 4"; cat gen2.log; }
"$HADAL" run $cw -out parts -window 1 > part1c.log 2>&1 || fail "window 1 on the new file"
expect_error "merge of parts run on other data under one name" "cannot merge: '.*window_001.h5' was run on other data than window 0 \(30000 events .*sha256" "$HADAL" merge -out parts
mv keep.h5 lhco.h5
finish
