# Bad generator input: one clear error line naming the thing at fault, a non-zero exit, and no
# output file (not even a temporary one) left behind.
. "$HADAL_SRC/tests/lib.sh"

G=("$HADAL" generate)
expect_error "-n 0" "-n must be a positive number of events, got 0" "${G[@]}" lhco -o out.h5 -n 0
expect_error "-n 0, 2 ranks" "-n must be a positive number of events, got 0" $MPIEXEC -n 2 "${G[@]}" lhco -o out.h5 -n 0
expect_error "-n negative" "-n must be a positive number of events, got -5" "${G[@]}" jetimages -o out.h5 -n -5
expect_error "missing -n" "missing -n N" "${G[@]}" lhco -o out.h5
expect_error "-n not a number" "-n must be a positive number of events, got '10x'" "${G[@]}" lhco -o out.h5 -n 10x
expect_error "-n beyond the index range" "-n 3000000000 is too large" "${G[@]}" lhco -o out.h5 -n 3000000000
expect_error "-seed not an integer" "-seed must be a non-negative integer, got '1.5'" "${G[@]}" lhco -o out.h5 -n 10 -seed 1.5
expect_error "-seed beyond 2^63 - 1" "-seed 9223372036854775808 is too large" "${G[@]}" lhco -o out.h5 -n 10 -seed 9223372036854775808
expect_error "unknown kind" "unknown generator kind 'dijets' \(known kinds: lhco, jetimages, adc2021, darkmachines, aa_tabular, ee_isr\)" "${G[@]}" dijets -o out.h5 -n 10
expect_error "unknown kind, 2 ranks" "unknown generator kind 'dijets'" $MPIEXEC -n 2 "${G[@]}" dijets -o out.h5 -n 10 -signal_mjj 3000
expect_error "missing kind" "missing generator kind" "${G[@]}" -o out.h5 -n 10
expect_error "extra argument" "unexpected argument 'extra'" "${G[@]}" lhco extra -o out.h5 -n 10
expect_error "missing -o" "missing -o FILE" "${G[@]}" lhco -n 10
expect_error "unknown option" "unknown option -sigal_fraction" "${G[@]}" lhco -o out.h5 -n 10 -sigal_fraction 0.1
expect_error "unknown option, 2 ranks" "unknown option -sigal_fraction" $MPIEXEC -n 2 "${G[@]}" lhco -o out.h5 -n 10 -sigal_fraction 0.1
expect_error "lhco option given to jetimages" "unknown option -signal_mjj" "${G[@]}" jetimages -o out.h5 -n 10 -signal_mjj 3000
expect_error "signal_mjj above range" "-signal_mjj 20000 GeV is outside the lhco generator's mjj range \[2640, 7000\] GeV" "${G[@]}" lhco -o out.h5 -n 10 -signal_mjj 20000
expect_error "signal_mjj below range" "-signal_mjj 1000 GeV is outside" $MPIEXEC -n 2 "${G[@]}" lhco -o out.h5 -n 10 -signal_mjj 1000
expect_error "signal_mx zero" "-signal_mx 0 GeV is outside the allowed range \(0, 717.9" "${G[@]}" lhco -o out.h5 -n 10 -signal_mx 0
expect_error "signal_mx too heavy for the jet" "-signal_mx 2000 GeV is outside the allowed range" "${G[@]}" lhco -o out.h5 -n 10 -signal_mx 2000
expect_error "signal_my negative" "-signal_my -1 GeV is outside the allowed range" "${G[@]}" lhco -o out.h5 -n 10 -signal_my -1
expect_error "signal_fraction above 1" "-signal_fraction must lie in \[0, 1\], got 1.5" "${G[@]}" lhco -o out.h5 -n 10 -signal_fraction 1.5
expect_error "unknown class" "-classes 'qcd,gluino': unknown class 'gluino'" "${G[@]}" jetimages -o out.h5 -n 10 -classes qcd,gluino -class_fractions 0.5,0.5
expect_error "class listed twice" "class 'top' is listed twice" "${G[@]}" jetimages -o out.h5 -n 10 -classes top,qcd,top
expect_error "fractions do not add up" "-class_fractions must add up to 1" "${G[@]}" jetimages -o out.h5 -n 10 -class_fractions 0.5,0.6
expect_error "negative fraction" "the fraction of class 'qcd' must lie in \[0, 1\], got -0.5" "${G[@]}" jetimages -o out.h5 -n 10 -class_fractions -0.5,1.5
expect_error "fraction count" "-class_fractions has 3 values but -classes 'qcd,top' lists 2 classes" "${G[@]}" jetimages -o out.h5 -n 10 -class_fractions 0.2,0.3,0.5
expect_error "image size" "-image_size 4 is outside the allowed range \[8, 256\]" "${G[@]}" jetimages -o out.h5 -n 10 -image_size 4
expect_error "output folder missing" "no/such/dir/out.h5" "${G[@]}" lhco -o no/such/dir/out.h5 -n 10
no_outputs out.h5 no

# -n in scientific notation and a 63-bit seed are taken exactly.
"${G[@]}" lhco -o sci.h5 -n 1.5e2 -seed 9223372036854775807 > sci.log 2>&1 || { fail "-n 1.5e2 rejected"; cat sci.log; }
"$PYTHON" -c "
import h5py, sys
f = h5py.File('sci.h5', 'r')
sys.exit(0 if f['events/label'].shape == (150,) and int(f.attrs['seed']) == 9223372036854775807 else 1)" && pass "-n 1.5e2 gives 150 events, seed kept" || fail "-n 1.5e2 or the 63-bit seed not taken exactly"
rm -f sci.h5

# A good file is not replaced by a failed run.
"${G[@]}" lhco -o keep.h5 -n 50 > keep.log 2>&1 || { fail "cannot generate keep.h5"; cat keep.log; }
sum_before=$(sha256sum keep.h5)
expect_error "bad run over a good file" "-signal_mx 0 GeV" "${G[@]}" lhco -o keep.h5 -n 50 -signal_mx 0
[ "$(sha256sum keep.h5)" = "$sum_before" ] && pass "good file untouched" || fail "keep.h5 changed by a failed run"
no_outputs .tmp-

# -help lists the options with their defaults and exits 0, whatever else is on the line.
# an output path that cannot be written is refused before any event is made
mkdir -p afolder
expect_error "-o a folder" "option -o: 'afolder' is a folder" "${G[@]}" lhco -o afolder -n 1000
expect_error "-o in a missing folder" "option -o: cannot write into the folder 'nofolder' of 'nofolder/x.h5'" $MPIEXEC -n 2 "${G[@]}" lhco -o nofolder/x.h5 -n 1000
"${G[@]}" lhco -o afolder -n 1000 2>&1 | grep -q "generating\|wrote" && fail "-o a folder: events made before the error"
"${G[@]}" lhco -help > help.txt 2>&1 || fail "-help exits non-zero"
for opt in -signal_mjj -signal_mx -signal_my -signal_fraction -seed -n -o; do
  grep -q -- "$opt " help.txt || fail "-help does not list $opt"
done
grep -q -- "-signal_mjj <3500\. : 3500\.>" help.txt || fail "-help does not give -signal_mjj's default 3500"
"${G[@]}" jetimages -help -n 0 > help2.txt 2>&1 || fail "-help with -n 0 exits non-zero"
grep -q -- "-classes <now qcd,top : formerly qcd,top>" help2.txt || fail "jetimages -help does not list -classes with its default"
finish
