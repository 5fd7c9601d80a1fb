# Bad event files: each gets one clear error line naming what is at fault, and a non-zero exit.
. "$HADAL_SRC/tests/lib.sh"

"$PYTHON" - <<'PY' || { echo "SKIP: cannot make test files with h5py"; exit 77; }
import h5py, numpy as np
rng = np.random.default_rng(1)
def table(name, features=True, nfeat=3, n=50, nan=False, mass=True, rows_mismatch=False):
    with h5py.File(name, "w") as f:
        g = f.create_group("events")
        g["label"] = np.zeros(n, np.int32)
        if features:
            x = rng.normal(size=(n + (1 if rows_mismatch else 0), nfeat)).astype(np.float32)
            if nan: x[17, 1] = np.nan
            g["features"] = x
        if mass:
            g["mass"] = rng.uniform(1000, 5000, n).astype(np.float32)
table("good.h5")
table("nofeatures.h5", features=False)
table("zerofeatures.h5", nfeat=0)
table("nan.h5", nan=True)
table("mismatch.h5", rows_mismatch=True)
with h5py.File("nogroup.h5", "w") as f:
    f["x"] = np.zeros(3)
open("garbage.h5", "wb").write(rng.bytes(4096))
data = open("good.h5", "rb").read()
open("truncated.h5", "wb").write(data[: len(data) // 2])
PY

"$HADAL" info good.h5 -require features,mass > good.txt 2>&1 || { fail "good file rejected"; cat good.txt; }
grep -q "events: 50" good.txt || fail "info does not count 50 events"
expect_error "missing file" "cannot open 'missing.h5'" "$HADAL" info missing.h5
expect_error "missing file, 2 ranks" "cannot open 'missing.h5'" $MPIEXEC -n 2 "$HADAL" info missing.h5
expect_error "no /events/features" "nofeatures.h5' has no /events/features" "$HADAL" info nofeatures.h5 -require features
expect_error "zero features" "zerofeatures.h5': /events/features has zero features" "$HADAL" info zerofeatures.h5 -require features
expect_error "NaN in features" "nan.h5': /events/features holds 1 non-finite.*row 17" $MPIEXEC -n 2 "$HADAL" info nan.h5
expect_error "rows disagree" "mismatch.h5': /events/features has 51 rows but /events/label has 50" "$HADAL" info mismatch.h5
expect_error "not an event file" "nogroup.h5' is not an event file" "$HADAL" info nogroup.h5
expect_error "garbage file" "garbage.h5' is not a readable HDF5 file" "$HADAL" info garbage.h5
expect_error "truncated file" "truncated.h5' is not a readable HDF5 file" $MPIEXEC -n 2 "$HADAL" info truncated.h5
expect_error "no file argument" "hadal info takes one event file" "$HADAL" info
finish
