# Stray options and odd output paths: each is one error line, exit status 1, before any work, and
# nothing is created; a second run into a folder in use is refused, naming the run that holds it.
. "$HADAL_SRC/tests/lib.sh"
need_python h5py numpy
"$PYTHON" "$HADAL_SRC/tests/train/make_toy.py" toy.h5 3000 > /dev/null || { fail "make_toy.py"; finish; }

# options files that include themselves, directly, through another, or through PETSC_OPTIONS
echo "-options_file self.opts" > self.opts
echo "-options_file b.opts" > a.opts
printf '# a comment -options_file none\n-epochs 2 -options_file a.opts\n' > b.opts
expect_error "options file including itself" "options file 'self.opts' includes itself" "$HADAL" run -method ae -options_file self.opts
expect_error "options files in a cycle" "includes itself: .*a.opts -> .*b.opts -> .*a.opts" "$HADAL" run -method ae -options_file a.opts
expect_error "cycle through PETSC_OPTIONS, 2 ranks" "includes itself" env PETSC_OPTIONS="-options_file self.opts" $MPIEXEC -n 2 "$HADAL" info toy.h5
# a failing options file: its own message, without PETSc's unused-option warning
for f in /nonexistent.opts /; do
  out=$("$HADAL" run -method ae -data toy.h5 -out o -options_file $f 2>&1)
  printf '%s\n' "$out" | grep -q "WARNING\|not used" && fail "-options_file $f: PETSc's unused-option warning: $out"
  expect_error "-options_file $f" "options file" "$HADAL" run -method ae -data toy.h5 -out o -options_file $f
done
# stray words and out-of-range values
expect_error "stray word" "unexpected word 'extra'.*-epochs 2" "$HADAL" run -method ae -data toy.h5 -out o -epochs 2 extra
expect_error "stray word, 2 ranks" "unexpected word 'extra'" $MPIEXEC -n 2 "$HADAL" run -method ae -data toy.h5 -out o -epochs 2 extra
expect_error "-window -5" "option -window" "$HADAL" run -method cwola -data toy.h5 -out o -window -5
"$HADAL" info toy.h5 -require features > /dev/null 2>&1 || fail "a plain option value rejected"
# -out: a regular file, a path through a file, failures after the folder would be created
touch afile
expect_error "-out a file" "option -out 'afile': not a folder" "$HADAL" run -method ae -data toy.h5 -out afile
expect_error "-out below a file" "option -out 'afile/sub'" "$HADAL" run -method cwola -data toy.h5 -out afile/sub
expect_error "bad value found in setup" "option -ensemble_size" "$HADAL" run -method ae -data toy.h5 -out new/deeper -ensemble_size 0
expect_error "missing data, 2 ranks" "cannot open 'missing.h5'" $MPIEXEC -n 2 "$HADAL" run -method ae -data missing.h5 -out new/deeper -ensemble_size 3
expect_error "cwola, bad data" "not a readable HDF5 file" $MPIEXEC -n 2 "$HADAL" run -method cwola -data afile -out new/deeper
no_outputs o new
# two runs into one folder at once: the second is refused and names the first
"$HADAL" run -method ae -data toy.h5 -out busy -epochs 100000 -stop_patience 100000 > first.log 2>&1 &
first=$!
for i in $(seq 50); do [ -e busy/.hadal-lock ] && break; sleep 0.1; done
expect_error "a folder in use" "in use by another hadal run \(host .*, process $first" "$HADAL" run -method ae -data toy.h5 -out busy -epochs 1
kill -TERM $first; wait $first
[ -e busy/.hadal-lock ] && fail "the lock is left after the run"
"$HADAL" run -method ae -data toy.h5 -out busy -epochs 1 > second.log 2>&1 || { fail "the folder is still locked after the first run"; cat second.log; }
# the trainer's options are checked when read, before the data (here a file that does not exist)
expect_error "-epochs 0" "option -epochs must be at least 1 \(got 0\)" "$HADAL" run -method ae -data absent.h5 -out o -epochs 0
expect_error "-adam_lr 0" "option -adam_lr must be positive" "$HADAL" run -method ae -data absent.h5 -out o -adam_lr 0
expect_error "-lr_factor 2" "option -lr_factor must lie in \(0, 1\]" "$HADAL" run -method ae -data absent.h5 -out o -lr_factor 2
expect_error "-stop_patience -1" "-stop_patience and -checkpoint_every must be at least 0" "$HADAL" run -method ae -data absent.h5 -out o -stop_patience -1
# tiny data with no validation event: said, not hidden (the val column then repeats the training loss)
"$PYTHON" "$HADAL_SRC/tests/train/make_toy.py" toy20.h5 20 > /dev/null
"$HADAL" run -method ae -data toy20.h5 -out o20 -epochs 1 -val_fraction 0.01 > o20.log 2>&1 &&
  grep -q "ae: no validation events (20 events at -val_fraction 0.01)" o20.log && pass "no validation events: said" || { fail "no validation events"; cat o20.log; }
finish
