# The command line: unknown commands and options are errors, -help and -version work.
. "$HADAL_SRC/tests/lib.sh"

expect_error "unknown command" "unknown command 'frobnicate'" "$HADAL" frobnicate
expect_error "unknown option" "unknown option -bogus_option" "$HADAL" info x.h5 -bogus_option 3
expect_error "unknown option, 2 ranks" "unknown option -bogus_option" $MPIEXEC -n 2 "$HADAL" info x.h5 -bogus_option 3
expect_error "bad -require value" "option -require: unknown dataset 'featurez'" "$HADAL" info x.h5 -require featurez

if "$HADAL" >/dev/null 2>&1; then fail "no command: exit status 0"; else pass "no command is an error"; fi

out=$("$HADAL" -version 2>&1) || fail "-version exits non-zero"
for lib in "hadal " "MPI:" "HDF5:" "PETSc:" "BLAS:" "ScaLAPACK:"; do
  printf '%s\n' "$out" | grep -q "$lib" || fail "-version does not name $lib"
done
printf '%s\n' "$out" | grep -q "Open MPI" || fail "-version does not give the MPI library"
pass "-version: $(printf '%s' "$out" | tr '\n' ' ' | cut -c1-160)"

out=$("$HADAL" info -help 2>&1) || fail "info -help exits non-zero"
printf '%s\n' "$out" | grep -q -- "-require" || fail "info -help does not list -require"
pass "info -help lists its options"
# -help goes through PETSc's options listing: each option with its default, whatever else (even
# a bad value) is on the line; the options the trainer reads are listed for the method.
out=$("$HADAL" run -method ae -epochs abc -help 2>&1) || fail "run -help with a bad value exits non-zero"
printf '%s\n' "$out" | grep -q -- "hadal run options" || fail "run -help has no heading"
printf '%s\n' "$out" | grep -q -- "-hidden <now 64,32,3 : formerly 64,32,3>" || { fail "run -help does not give -hidden with its default"; printf '%s\n' "$out"; }
printf '%s\n' "$out" | grep -q -- "-epochs <now [0-9]* : formerly [0-9]*>" || fail "run -help does not list the trainer's -epochs"
printf '%s\n' "$out" | grep -q -- "-resume: <FALSE : FALSE>" || fail "run -help does not give -resume's default"
n=$(printf '%s\n' "$out" | grep -c -- "^  -")
[ "$n" -ge 20 ] || fail "run -help lists only $n options"
pass "run -help lists $n options with their defaults"

# options from a file, and an unknown option inside that file
printf -- '-bogus_from_file 1\n' > bad.opts
expect_error "unknown option in -options_file" "unknown option -bogus_from_file" "$HADAL" info x.h5 -options_file bad.opts
# numbers: a bad value names its option; an integer that does not fit is an error, not a wrap
expect_error "non-integer value" "option -steps: '1e9x' is not an integer" "$HADAL" bench cwola -steps 1e9x
expect_error "integer out of range" "option -steps: 99999999999 is out of range" "$HADAL" bench cwola -steps 99999999999
expect_error "bad boolean" "option -resume: 'maybe' is not true or false" $MPIEXEC -n 2 "$HADAL" run -method ae -data x.h5 -out o -resume maybe
expect_error "option without a value" "option -steps needs a value" "$HADAL" bench cwola -steps
expect_error "whole number in e-notation, out of range" "option -steps: 1e12 is out of range" "$HADAL" bench cwola -steps 1e12
expect_error "non-number value" "option -adam_lr: 'abc' is not a finite number" "$HADAL" run -method ae -data x.h5 -out o -adam_lr abc

# bad input that every rank checks on its own (here the network spec, parsed by each rank) ends
# the run with one line from one rank, not one per rank and an MPI_Abort
$PYTHON -c "
import h5py, numpy as np
with h5py.File('tiny.h5', 'w') as f:
    f['events/features'] = np.random.default_rng(0).normal(size=(300, 4)).astype(np.float32)
    f['events/label'] = np.zeros(300, np.int32)" || fail "cannot write tiny.h5"
expect_error "bad -activation, 3 ranks" "'bogus' is not an activation" $MPIEXEC -n 3 "$HADAL" run -method ae -data tiny.h5 -out o -activation bogus
out=$($MPIEXEC -n 3 "$HADAL" run -method ae -data tiny.h5 -out o -activation bogus 2>&1)
printf '%s\n' "$out" | grep -q "MPI_ABORT" && fail "an error raised on every rank still aborts the job" || pass "no MPI_Abort for an error on every rank"

# a bad options file is one clear line too (PETSc reads it while starting)
expect_error "missing -options_file" "Unable to open options file missing.opts" "$HADAL" info x.h5 -options_file missing.opts
printf -- '-epochs 2 -seed 3\n' > two_per_line.opts
expect_error "malformed -options_file" "two_per_line.opts line 1" $MPIEXEC -n 2 "$HADAL" info x.h5 -options_file two_per_line.opts
finish
