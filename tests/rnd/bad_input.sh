# Bad input to the rnd methods and the darkmachines importer: one clear error line naming the
# thing at fault, a non-zero exit, and no output left behind.
. "$HADAL_SRC/tests/lib.sh"
need_python h5py numpy
"$HADAL" generate darkmachines -o dm.h5 -n 400 -seed 1 -signal_fraction 0.05 > gen.log 2>&1 || { fail "generate"; cat gen.log; }
svdd="-svdd_hidden 8 -epochs 1 -batch_size 100"
flow="-flow_layers 1 -made_hidden 1x8 -knots 4"
small="$svdd $flow -flow_epochs 1"
expect_error "grid without models" "-svdd_d: output width 0 makes no model" "$HADAL" run -method svdd -data dm.h5 -out o1 -svdd_d 0 -svdd_n 1 $svdd
expect_error "empty grid list" "-svdd_n: empty list" "$HADAL" run -method svdd -data dm.h5 -out o1 -svdd_d 5 -svdd_n "" $svdd
expect_error "columns that match nothing" "-flow_columns: no feature column of the data starts with 'zz_'" "$HADAL" run -method flow -data dm.h5 -out o1 -flow_columns zz_ $flow
expect_error "no background left to test on" "0 background \(label 0\) test events with -train_fraction 1" "$HADAL" run -method svdd -data dm.h5 -out o1 -svdd_d 5 -svdd_n 1 $svdd -train_fraction 1
expect_error "knots" "-knots must be at least 2" "$HADAL" run -method rnd -data dm.h5 -out o1 -svdd_d 5 -svdd_n 1 $small -knots 1
"$PYTHON" - <<'PY' || fail "data"
import h5py, numpy as np
src = h5py.File("dm.h5")
X, lab = src["events/features"][:], src["events/label"][:]
names = src["events/features"].attrs["names"]
def write(path, X, lab, signals):
    with h5py.File(path, "w") as f:
        d = f.create_dataset("events/features", data=X); d.attrs["names"] = names
        f.create_dataset("events/label", data=lab)
        f.attrs["signals"] = np.array(signals)
keep = lab != 3
write("nosusy.h5", X[keep], lab[keep], [b"zprime", b"dijet", b"susy", b"stop"])
Y = X.copy(); Y[7, 3] = np.nan
write("nan.h5", Y, lab, [b"zprime", b"dijet", b"susy", b"stop"])
PY
expect_error "a signal without events" "no events of signal 'susy'" "$HADAL" run -method svdd -data nosusy.h5 -out o1 -svdd_d 5 -svdd_n 1 $svdd
expect_error "NaN in a feature" "nan.h5.*(NaN|non-finite|not finite)" "$HADAL" run -method svdd -data nan.h5 -out o1 -svdd_d 5 -svdd_n 1 $svdd
no_outputs o1/results.h5 o1/summary.json
# the importer
printf '1;ttbar;1.0;45.2;0.3;j,120.5,100.2,0.5,1.1;\n2;ttbar;1.0;12.0;-1.2;j,300.0,250.0,0.4\n' > short.csv
printf '1;ttbar;1.0;45.2;0.3;j,120.5,100.2,0.5,1.1;\n2;ttbar;1.0;12.0;-1.2;q,300.0,250.0,0.4,1.0\n' > type.csv
printf '1;ttbar;1.0;45.2;0.3;j,120.5,100.2,0.5,1.1;\n\n3;ttbar;x;12.0;-1.2\n' > weight.csv
printf '1;ttbar;1.0;45.2;0.3;j,1e999,100.2,0.5,1.1;\n' > inf.csv
: > empty.csv
expect_error "object with 4 fields" "'short.csv' line 2: object 1 has fewer than 5 fields" "$HADAL" import darkmachines -i short.csv -o imp.h5
expect_error "unknown type" "'type.csv' line 2: object 1 has unknown type 'q'" "$HADAL" import darkmachines -i type.csv -o imp.h5
expect_error "bad weight" "'weight.csv' line 3: event_weight, MET and METphi must be finite" "$HADAL" import darkmachines -i weight.csv -o imp.h5
expect_error "infinite energy" "'inf.csv' line 1: object 1: '1e999' is not a finite number" "$HADAL" import darkmachines -i inf.csv -o imp.h5
expect_error "empty file" "'empty.csv' is empty" "$HADAL" import darkmachines -i empty.csv -o imp.h5
expect_error "missing file" "cannot open 'nothere.csv'" "$HADAL" import darkmachines -i nothere.csv -o imp.h5
expect_error "labels per file" "-label gives 3 values for 1 files" "$HADAL" import darkmachines -i short.csv -label 0,1,2 -o imp.h5
no_outputs imp.h5
finish
