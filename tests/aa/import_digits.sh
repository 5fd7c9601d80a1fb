# hadal import digits (and import idx -inverted_count): scikit-learn's 8x8 digits read in C equal sklearn.datasets.load_digits();
# -inverted adds 1 - x of every digit (label 10); -fashion_count adds fashion items averaged over
# the area of each 8x8 pixel (checked against numpy); identical files at 1 and 3 ranks; a malformed
# file is one clear error.
. "$HADAL_SRC/tests/lib.sh"
need_python h5py numpy sklearn
"$PYTHON" - <<'PY' || fail "make a small idx file"
import gzip, numpy as np
rng = np.random.default_rng(1)
x = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
hdr = bytes([0, 0, 8, 3]) + (5).to_bytes(4, "big") + (28).to_bytes(4, "big") + (28).to_bytes(4, "big")
open("f.idx", "wb").write(hdr + x.tobytes())
open("l.idx", "wb").write(bytes([0, 0, 8, 1]) + (5).to_bytes(4, "big") + bytes([0, 1, 0, 1, 1]))
PY
# hadal import idx -inverted_count: the first N images again as 1 - x, the class after the last
"$HADAL" import idx -images f.idx -labels l.idx -class_names a,b -inverted_count 3 -o i1.h5 > i1.log 2>&1 || { fail "import idx -inverted_count"; cat i1.log; }
$MPIEXEC -n 3 "$HADAL" import idx -images f.idx -labels l.idx -class_names a,b -inverted_count 3 -o i3.h5 > i3.log 2>&1 || { fail "import idx -inverted_count at 3 ranks"; cat i3.log; }
[ "$(hash_datasets i1.h5 /events)" = "$(hash_datasets i3.h5 /events)" ] && pass "idx -inverted_count identical at 1 and 3 ranks" || fail "idx -inverted_count differs"
"$PYTHON" - <<'PY' && pass "idx -inverted_count: 1 - x of the first images, label 2 'inverted'" || fail "idx -inverted_count contents"
import h5py, numpy as np
f = h5py.File("i1.h5"); x = f["events/images"][:]; l = f["events/label"][:]
raw = np.frombuffer(open("f.idx", "rb").read()[16:], np.uint8).reshape(5, 28, 28)
assert x.shape == (8, 28, 28) and list(l) == [0, 1, 0, 1, 1, 2, 2, 2], l
assert np.array_equal(x[5:], (1 - raw[:3] / np.float32(255)).astype(np.float32)) or np.abs(x[5:] - (1 - raw[:3] / 255.0)).max() < 1e-6
assert [c.decode() if isinstance(c, bytes) else c for c in f.attrs["classes"]] == ["a", "b", "inverted"]
PY
"$HADAL" import digits -o d1.h5 -inverted -fashion_images f.idx -fashion_count 5 > d1.log 2>&1 || { fail "import"; cat d1.log; }
$MPIEXEC -n 3 "$HADAL" import digits -o d3.h5 -inverted -fashion_images f.idx -fashion_count 5 > d3.log 2>&1 || { fail "import at 3 ranks"; cat d3.log; }
[ "$(hash_datasets d1.h5 /events)" = "$(hash_datasets d3.h5 /events)" ] && pass "identical at 1 and 3 ranks" || fail "1 and 3 ranks differ"
"$PYTHON" - <<'PY' && pass "digits, inverted digits and 8x8 fashion items as expected" || fail "contents"
import h5py, numpy as np
from sklearn.datasets import load_digits
f = h5py.File("d1.h5"); x = f["events/images"][:]; l = f["events/label"][:]
d = load_digits(); n = len(d.target)
assert x.shape == (2 * n + 5, 8, 8) and list(np.bincount(l)[10:]) == [n, 5]
assert np.array_equal(x[:n].reshape(n, 64) * 16, d.data.astype(np.float32)) and np.array_equal(l[:n], d.target)
assert np.array_equal(x[n:2 * n], (1 - x[:n]).astype(np.float32))
raw = np.frombuffer(open("f.idx", "rb").read()[16:], np.uint8).reshape(5, 28, 28).astype(np.float64)
W = np.zeros((8, 28))  # overlap of output pixel I = [3.5 I, 3.5 (I + 1)) with input pixel i
for I in range(8):
    for i in range(28):
        W[I, i] = max(0.0, min(i + 1, 3.5 * (I + 1)) - max(i, 3.5 * I))
ref = np.einsum("Ii,nij,Jj->nIJ", W, raw, W) / 3.5 ** 2 / 255
assert np.abs(x[2 * n:] - ref).max() < 1e-6, np.abs(x[2 * n:] - ref).max()
assert [c.decode() if isinstance(c, bytes) else c for c in f.attrs["classes"]][10:] == ["inverted", "fashion"]
PY
printf '1,2,3\n' | gzip > bad.csv.gz
expect_error "malformed digits file" "digits file 'bad.csv.gz', line 1: want 65" "$HADAL" import digits -csv bad.csv.gz -o bad.h5
expect_error "fashion count without file" "-fashion_count 3 needs -fashion_images" "$HADAL" import digits -fashion_count 3 -o bad.h5
no_outputs bad.h5
finish
