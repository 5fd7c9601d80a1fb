# `hadal import idx` on Debian's Fashion-MNIST test set (10000 images of 28x28, 1000 per class),
# compared with an independent reader (Python's gzip + numpy) at 1, 2 and 3 ranks; then bad input.
# Argument: the folder holding t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz.
. "$HADAL_SRC/tests/lib.sh"

data=${1:-}
images=$data/t10k-images-idx3-ubyte.gz
labels=$data/t10k-labels-idx1-ubyte.gz
if [ -z "$data" ] || [ ! -r "$images" ] || [ ! -r "$labels" ]; then
  echo "SKIP: Fashion-MNIST idx files not found in '$data' (Debian package dataset-fashion-mnist)"
  exit 77
fi
names=t-shirt/top,trouser,pullover,dress,coat,sandal,shirt,sneaker,bag,ankle-boot
rm -f ./*.h5 ./*.idx ./*.gz

for np in 1 2 3; do
  if $MPIEXEC -n $np "$HADAL" import idx -images "$images" -labels "$labels" -o fm_np$np.h5 -class_names $names > import_np$np.txt 2>&1; then
    pass "import at $np ranks: $(tail -1 import_np$np.txt)"
  else
    fail "import at $np ranks"; cat import_np$np.txt
  fi
done

# The same file gunzipped: zlib reads plain files too, and the result must not change.
gzip -dc "$images" > images.idx
gzip -dc "$labels" > labels.idx
"$HADAL" import idx -images images.idx -labels labels.idx -o plain.h5 -class_names $names > plain.txt 2>&1 || { fail "import of plain idx"; cat plain.txt; }

"$PYTHON" - "$images" "$labels" "$names" <<'PY' || fail "content checks (see above)"
import gzip, hashlib, sys
import h5py, numpy as np
images, labels, names = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
raw = gzip.open(images).read()
assert int.from_bytes(raw[:4], "big") == 0x803, "reference reader: wrong magic"
img8 = np.frombuffer(raw, np.uint8, offset=16).reshape(10000, 28, 28)
lab8 = np.frombuffer(gzip.open(labels).read(), np.uint8, offset=8)
# Independent facts about this data set, so that the reference reader is checked too.
assert lab8[:10].tolist() == [9, 2, 1, 1, 6, 1, 4, 6, 5, 7], lab8[:10]
assert int(img8[0].astype(np.int64).sum()) == 33456 and int(img8[0, 14, 14]) == 110
assert int(img8.astype(np.int64).sum()) == 573469082
want = img8.astype(np.float32) / np.float32(255)  # what hadal documents: float32 value / 255
bad = 0
digests = set()
for name in ["fm_np1.h5", "fm_np2.h5", "fm_np3.h5", "plain.h5"]:
    with h5py.File(name, "r") as f:
        x, y = f["events/images"], f["events/label"]
        problems = []
        if x.dtype != np.float32 or x.shape != (10000, 28, 28): problems.append(f"images {x.dtype} {x.shape}")
        if y.dtype != np.int32 or y.shape != (10000,): problems.append(f"label {y.dtype} {y.shape}")
        x, y = x[...], y[...]
        if not np.array_equal(x, want): problems.append(f"{int((x != want).sum())} pixels differ from value/255")
        if abs(float(x[0, 14, 14]) - 110 / 255) > 1e-7: problems.append(f"pixel (0,14,14) = {x[0,14,14]}")
        if x.min() != 0.0 or x.max() != 1.0: problems.append(f"pixel range [{x.min()}, {x.max()}]")
        if not np.array_equal(y, lab8.astype(np.int32)): problems.append("labels differ")
        counts = np.bincount(y, minlength=10).tolist()
        if counts != [1000] * 10: problems.append(f"counts per label {counts}")
        a = f.attrs
        cn = [s.decode() if isinstance(s, bytes) else s for s in a["classes"]]
        if cn != names: problems.append(f"classes {cn}")
        sha = a["images_sha256"]
        sha = sha.decode() if isinstance(sha, bytes) else sha
        if sha != hashlib.sha256(open(images if name != "plain.h5" else "images.idx", "rb").read()).hexdigest():
            problems.append(f"images_sha256 {sha} differs from hashlib")
        if abs(float(a["pixel_scale"]) - 1 / 255) > 1e-12: problems.append("pixel_scale")
        digests.add(hashlib.sha256(x.tobytes() + y.tobytes()).hexdigest())
    print(("FAIL " if problems else "ok: ") + name + (": " + "; ".join(problems) if problems else ": 10000 images equal to value/255, 1000 per label, attributes"))
    bad += len(problems)
if len(digests) != 1:
    print(f"FAIL: datasets differ between rank counts / plain input: {len(digests)} digests"); bad += 1
else:
    print("ok: identical datasets at 1, 2, 3 ranks and from the plain file")
sys.exit(1 if bad else 0)
PY

# Bad input: small files made from the real ones.
"$PYTHON" - <<'PY' || { fail "cannot make the bad-input files"; finish; }
import struct
img = open("images.idx", "rb").read()
lab = open("labels.idx", "rb").read()
def images(n): return struct.pack(">IIII", 0x803, n, 28, 28) + img[16:16 + n * 784]
def labels(n): return struct.pack(">II", 0x801, n) + lab[8:8 + n]
open("img100.idx", "wb").write(images(100))
open("lab100.idx", "wb").write(labels(100))
open("lab99.idx", "wb").write(labels(99))
open("trunc.idx", "wb").write(images(100)[: 16 + 60 * 784 + 300])      # ends inside image 60
open("extra.idx", "wb").write(images(100) + b"\0" * 784)              # one image more than declared
open("float.idx", "wb").write(struct.pack(">IIII", 0x0D03, 100, 28, 28) + img[16:16 + 100 * 784])
open("zero.idx", "wb").write(struct.pack(">IIII", 0x803, 0, 28, 28))
open("text.idx", "wb").write(b"P5\n28 28\n255\n" + img[16:16 + 784])
PY
gzip -c img100.idx > img100.idx.gz
# A gzip file whose compressed data are damaged in the middle.
"$PYTHON" -c "
d = bytearray(open('img100.idx.gz', 'rb').read()); m = len(d) // 2
d[m:m + 64] = bytes(64); open('corrupt.idx.gz', 'wb').write(bytes(d))"
head -c $(( $(stat -c %s img100.idx.gz) / 2 )) img100.idx.gz > trunc.idx.gz

expect_error "truncated idx" "images file 'trunc.idx' is truncated.*100 images.*item 60" \
  "$HADAL" import idx -images trunc.idx -labels lab100.idx -o bad.h5
expect_error "truncated idx, 2 ranks" "images file 'trunc.idx' is truncated.*item 60" \
  $MPIEXEC -n 2 "$HADAL" import idx -images trunc.idx -labels lab100.idx -o bad.h5
expect_error "truncated gzip, 2 ranks" "images file 'trunc.idx.gz' is (truncated|corrupt)" \
  $MPIEXEC -n 2 "$HADAL" import idx -images trunc.idx.gz -labels lab100.idx -o bad.h5
expect_error "corrupt gzip" "images file 'corrupt.idx.gz' is corrupt" \
  $MPIEXEC -n 2 "$HADAL" import idx -images corrupt.idx.gz -labels lab100.idx -o bad.h5
expect_error "wrong magic (labels as images)" "images file 'lab100.idx' has 1 dimensions \(magic number 0x00000801\).*0x00000803" \
  "$HADAL" import idx -images lab100.idx -labels lab100.idx -o bad.h5
expect_error "wrong magic (images as labels)" "labels file 'img100.idx' has 3 dimensions.*0x00000801" \
  "$HADAL" import idx -images img100.idx -labels img100.idx -o bad.h5
expect_error "not an idx file" "images file 'text.idx' is not an idx file: magic number 0x50350a32" \
  "$HADAL" import idx -images text.idx -labels lab100.idx -o bad.h5
expect_error "float idx" "images file 'float.idx' holds float data.*unsigned bytes only" \
  "$HADAL" import idx -images float.idx -labels lab100.idx -o bad.h5
expect_error "zero images" "images file 'zero.idx' has dimension 0 of size 0" \
  "$HADAL" import idx -images zero.idx -labels lab100.idx -o bad.h5
expect_error "data after the last image" "images file 'extra.idx' has data after the 100 images" \
  $MPIEXEC -n 2 "$HADAL" import idx -images extra.idx -labels lab100.idx -o bad.h5
expect_error "mismatched counts" "images file 'img100.idx' holds 100 images but labels file 'lab99.idx' holds 99 labels" \
  $MPIEXEC -n 2 "$HADAL" import idx -images img100.idx -labels lab99.idx -o bad.h5
expect_error "missing file" "cannot open images file 'nothere.idx'" \
  $MPIEXEC -n 2 "$HADAL" import idx -images nothere.idx -labels lab100.idx -o bad.h5
expect_error "label without a class name" "labels file 'lab100.idx' has label 9 but -class_names names only 3 classes" \
  "$HADAL" import idx -images img100.idx -labels lab100.idx -o bad.h5 -class_names a,b,c
expect_error "empty class name" "-class_names has an empty name at position 2" \
  "$HADAL" import idx -images img100.idx -labels lab100.idx -o bad.h5 -class_names a,,c
expect_error "unknown format" "unknown import format 'csv'" \
  "$HADAL" import csv -images img100.idx -labels lab100.idx -o bad.h5
expect_error "no output" "-o FILE.h5 is required" \
  "$HADAL" import idx -images img100.idx -labels lab100.idx
expect_error "output folder missing" "option -o: cannot write into the folder 'nofolder' of 'nofolder/bad.h5'" \
  "$HADAL" import idx -images img100.idx -labels lab100.idx -o nofolder/bad.h5
no_outputs bad.h5 nofolder

# The small good pair works (the bad-input files differ from it in one thing each).
"$HADAL" import idx -images img100.idx.gz -labels lab100.idx -o small.h5 > small.txt 2>&1 && pass "100-image import" || { fail "100-image import"; cat small.txt; }
"$HADAL" import -help > help.txt 2>&1 && grep -q -- "-class_names" help.txt && pass "import -help lists -class_names" || { fail "import -help"; cat help.txt; }
rm -f ./*.h5 ./*.idx ./*.gz
finish
