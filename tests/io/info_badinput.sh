# Bad event files: each gets one clear error line naming what is at fault, and a non-zero exit.
. "$HADAL_SRC/tests/lib.sh"

need_python h5py numpy
"$PYTHON" - <<'PY' || { fail "cannot make the test files with h5py"; finish; }
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
with h5py.File("good.h5", "a") as f:
    f.attrs["generator"] = "test"
    f.attrs["seed"] = np.int64(7)
    f.attrs["classes"] = np.array([b"qcd", b"top"])
np.savetxt("good_moments.txt", np.c_[h5py.File("good.h5")["events/features"][:].astype(np.float64).mean(0), h5py.File("good.h5")["events/features"][:].astype(np.float64).std(0)])
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
# the same description at 1 and 3 ranks (a rank holds 16 or 17 rows): counts, moments, ranges and
# attributes are reduced, not rank-dependent; the means and widths agree with numpy's
$MPIEXEC -n 3 "$HADAL" info good.h5 > good3.txt 2>&1 || { fail "info at 3 ranks"; cat good3.txt; }
if diff <(grep -v "^events:" good.txt) <(grep -v "^events:" good3.txt) > /dev/null; then pass "info identical at 1 and 3 ranks"; else fail "info differs between 1 and 3 ranks"; diff good.txt good3.txt; fi
grep -q "^  generator  *test$" good.txt && grep -q "^  seed  *7$" good.txt && grep -q "^  classes  *qcd, top$" good.txt \
  && pass "info prints the root attributes" || { fail "info does not print the root attributes"; cat good.txt; }
grep -q "^    0: .* qcd$" good.txt && pass "labels named by the classes attribute" || fail "label 0 not named qcd"
"$PYTHON" - <<'PY' && pass "info moments agree with numpy" || fail "info moments differ from numpy"
import numpy as np
want = np.loadtxt("good_moments.txt")
rows = [l.split() for l in open("good.txt") if l.startswith("  f") or l.startswith("  x")]
got = np.array([[float(r[1]), float(r[2])] for r in rows[:3]])
assert got.shape == (3, 2), rows
assert np.allclose(got, want, rtol=1e-4, atol=1e-6), (got, want)
PY
expect_error "missing file" "cannot open 'missing.h5'" "$HADAL" info missing.h5
expect_error "missing file, 2 ranks" "cannot open 'missing.h5'" $MPIEXEC -n 2 "$HADAL" info missing.h5
expect_error "no /events/features" "nofeatures.h5' has no /events/features" "$HADAL" info nofeatures.h5 -require features
expect_error "zero features" "zerofeatures.h5': /events/features has zero features" "$HADAL" info zerofeatures.h5 -require features
expect_error "NaN in features" "nan.h5': /events/features holds 1 non-finite.*row 17" $MPIEXEC -n 2 "$HADAL" info nan.h5
expect_error "rows disagree" "mismatch.h5': /events/features has 51 rows but /events/label has 50" "$HADAL" info mismatch.h5
expect_error "not an event file" "nogroup.h5' is not an event file" "$HADAL" info nogroup.h5
expect_error "garbage file" "garbage.h5' is not a readable HDF5 file \\(not HDF5 at all" "$HADAL" info garbage.h5
expect_error "truncated file" "truncated.h5' is not a readable HDF5 file" $MPIEXEC -n 2 "$HADAL" info truncated.h5
expect_error "no file argument" "hadal info takes one event file" "$HADAL" info
# a reader that closes the pipe early (`hadal info F | head`): a quiet end, no PETSc error block
"$HADAL" generate lhco -o pipe.h5 -n 1000 > /dev/null 2>&1 || fail "generate pipe.h5"
for k in 1 2 3; do { "$HADAL" info pipe.h5 -require features,mass 2>> pipe_err.txt; } | true; done
grep -q "PETSC ERROR" pipe_err.txt && { fail "a closed pipe: PETSc's error block"; cat pipe_err.txt; } || pass "a closed pipe: a quiet end"
finish
