# jetimages -pt_window, -pileup_mu, -preprocess_rebin, -b_fragmentation: with a common window every class, the graviton's r3 too, has the pT of the
# SM classes (r3 and top medians within 5%, inside the window); without it the default files are
# unchanged (r3 near 1.35 TeV, the stored pT feature) and a bad window is one clear error.
. "$HADAL_SRC/tests/lib.sh"
need_python h5py numpy
"$HADAL" generate jetimages -o w.h5 -n 600 -seed 3 -classes top,r3 -class_fractions 0.5,0.5 -image_size 16 -pt_window 800,1000 > w.log 2>&1 || { fail "generate with a window"; cat w.log; }
"$HADAL" generate jetimages -o d.h5 -n 600 -seed 3 -classes top,r3 -class_fractions 0.5,0.5 -image_size 16 > d.log 2>&1 || { fail "generate"; cat d.log; }
"$PYTHON" - <<'PY' && pass "r3 in the top pT range with the window, at 1.35 TeV without" || fail "pT of the classes"
import h5py, numpy as np
def med(fn):
    f = h5py.File(fn); x = f["events/features"][:, 0]; l = f["events/label"][:]
    return np.median(x[l == 0]), np.median(x[l == 1]), f.attrs.get("pt_window_hi")
t, r, hi = med("w.h5")
assert abs(r / t - 1) < 0.05 and 800 < t < 1000 and hi == 1000, (t, r, hi)
t, r, hi = med("d.h5")
assert r > 1200 and t < 1000 and hi is None, (t, r, hi)
PY
# pile-up: the overlay raises the W mass; the grooming brings it part of the way back
for v in "0:" "40:-pileup_mu 40" "40ns:-pileup_mu 40 -pileup_subtract false"; do
  "$HADAL" generate jetimages -o pu${v%%:*}.h5 -n 300 -seed 4 -classes w -class_fractions 1 -image_size 16 ${v#*:} > pu.log 2>&1 || { fail "pile-up ${v#*:}"; cat pu.log; }
done
"$PYTHON" - <<'PY' && pass "pile-up raises the W mass, grooming lowers it again" || fail "pile-up masses"
import h5py, numpy as np
m = {k: np.median(h5py.File("pu%s.h5" % k)["events/features"][:, 1]) for k in ("0", "40", "40ns")}
assert 75 < m["0"] < 115 and m["40ns"] > m["40"] + 20 and m["40"] > m["0"] + 10, m
PY
# -preprocess_rebin: features and selection of the fixed grid (those of -preprocess false, the same
# events bit for bit), images preprocessed and normalised
"$HADAL" generate jetimages -o rb.h5 -n 200 -seed 6 -classes qcd,w -class_fractions 0.5,0.5 -image_size 16 -preprocess_rebin true > rb.log 2>&1 || { fail "rebin"; cat rb.log; }
"$HADAL" generate jetimages -o np.h5 -n 200 -seed 6 -classes qcd,w -class_fractions 0.5,0.5 -image_size 16 -preprocess false > np.log 2>&1 || { fail "no preprocessing"; cat np.log; }
"$PYTHON" - <<'PY' && pass "rebin: the fixed grid's features, normalised images" || fail "rebin"
import h5py, numpy as np
a, b = h5py.File("rb.h5"), h5py.File("np.h5")
assert np.array_equal(a["events/features"][:], b["events/features"][:]) and np.array_equal(a["events/label"][:], b["events/label"][:])
s = a["events/images"][:].sum((1, 2))
assert np.all(np.abs(s - 1) < 1e-5), s.min()
PY
# -b_fragmentation: H -> b b jets get more occupied pixels (the B decay products)
for v in "0:" "1:-b_fragmentation true"; do
  "$HADAL" generate jetimages -o bf${v%%:*}.h5 -n 400 -seed 7 -classes eft -class_fractions 1 -image_size 16 -preprocess false ${v#*:} > bf.log 2>&1 || { fail "b fragmentation ${v#*:}"; cat bf.log; }
done
"$PYTHON" - <<'PY' && pass "b fragmentation adds pixels to H -> b b jets" || fail "b fragmentation"
import h5py, numpy as np
n = [np.mean((h5py.File("bf%d.h5" % k)["events/images"][:] > 0).sum((1, 2))) for k in (0, 1)]
assert n[1] > n[0] + 1, n
PY
expect_error "bad hadron cap" "-hadron_cap 0 is outside" "$HADAL" generate jetimages -o bad.h5 -n 10 -hadron_cap 0
expect_error "bad window" "-pt_window 1000.*,900.* must be LO,HI" "$HADAL" generate jetimages -o bad.h5 -n 10 -pt_window 1000,900
no_outputs bad.h5
finish
