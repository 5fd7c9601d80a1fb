# Odd event files: labels stored as floats, outside -1..K or beyond 32 bits, a 'names' attribute of
# the wrong length or type, features or labels stored as strings, -data naming a folder. Each is
# one error line naming the file and dataset, for `info` and for every method, at 1 and 2 ranks.
. "$HADAL_SRC/tests/lib.sh"
need_python h5py numpy
"$PYTHON" - <<'PY' || { fail "cannot write the test files"; finish; }
import h5py, numpy as np
rng = np.random.default_rng(1)
n, F = 400, 4
def write(name, label=None, features=None, names=None, mass=True):
    with h5py.File(name, "w") as f:
        g = f.create_group("events")
        x = g.create_dataset("features", data=rng.normal(size=(n, F)).astype(np.float32) if features is None else features)
        if names is not None:
            x.attrs["names"] = names
        g["label"] = (rng.uniform(size=n) < 0.1).astype(np.int32) if label is None else label
        if mass:
            g["mass"] = rng.uniform(2000, 5000, size=n).astype(np.float32)
lab = (rng.uniform(size=n) < 0.1)
write("float_labels.h5", label=lab.astype(np.float32) + 0.5)
bad = lab.astype(np.int32); bad[17] = -5
write("minus5.h5", label=bad)
big = lab.astype(np.int64); big[33] = 3_000_000_000
write("int64.h5", label=big)
write("few_names.h5", names=np.array([b"a", b"b", b"c"]))
write("int_names.h5", names=np.arange(F))
write("string_features.h5", features=np.array([[b"1.0"] * F] * n))
write("string_labels.h5", label=np.array([b"0"] * n))
write("good.h5", names=np.array([b"a", b"b", b"c", b"d"]))
PY
mkdir -p afolder
check() { # WHAT FILE PATTERN
  local what=$1 file=$2 pattern=$3
  expect_error "info, $what" "$pattern" "$HADAL" info "$file"
  expect_error "ae, $what, 2 ranks" "$pattern" $MPIEXEC -n 2 "$HADAL" run -method ae -data "$file" -out o -epochs 1
  expect_error "cwola, $what" "$pattern" "$HADAL" run -method cwola -data "$file" -out o -epochs 1
}
check "float labels" float_labels.h5 "'float_labels.h5': /events/label holds floating-point values, not integers"
check "label -5" minus5.h5 "'minus5.h5': /events/label holds 1 values outside .* the first -5 in row 17"
check "int64 label" int64.h5 "'int64.h5': /events/label holds 1 values outside .* in row 33"
check "3 names for 4 columns" few_names.h5 "'few_names.h5': the 'names' attribute of /events/features has 3 entries for 4 columns"
check "integer names" int_names.h5 "'int_names.h5': the 'names' attribute of /events/features is not a list of strings"
check "string features" string_features.h5 "'string_features.h5': /events/features holds strings, not numbers"
check "string labels" string_labels.h5 "'string_labels.h5': /events/label holds strings, not integers"
check "a folder" afolder "cannot open 'afolder': it is a folder"
out=$($MPIEXEC -n 2 "$HADAL" info afolder 2>&1)
[ "$(printf '%s\n' "$out" | grep -c -i "mpi\|romio\|io error")" -le 4 ] || fail "-data a folder: MPI-IO noise: $out"
"$HADAL" info good.h5 > good.log 2>&1 || { fail "a good file is refused"; cat good.log; }
no_outputs o
finish
