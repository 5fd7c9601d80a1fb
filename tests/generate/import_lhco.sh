# `hadal import lhco`: DataFrames in the layout of the LHC Olympics R&D high-level-features file,
# written here by pandas (fixed layout, table layout, table with data columns, an integer label
# block), imported at 1 and 3 ranks and checked against numpy on the same DataFrame; bad input
# (missing column, a column of strings, a NaN, a label 2, a wrong key, a file that is no
# DataFrame) is one error naming the file and the column, and writes nothing. Without -key the
# file's only top-level group is the DataFrame.
. "$HADAL_SRC/tests/lib.sh"
need_python pandas tables h5py numpy

"$PYTHON" - <<'PY' || { fail "making the DataFrames"; finish; }
import warnings
import numpy as np, pandas as pd
warnings.simplefilter("ignore")
rng = np.random.default_rng(5)
n = 3001
cols = {}
for j in (1, 2):
    pt = 1200 + rng.exponential(300, n)
    eta, phi = rng.normal(0, 1, n), rng.uniform(-np.pi, np.pi, n)
    cols["pxj%d" % j], cols["pyj%d" % j], cols["pzj%d" % j] = pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)
    cols["mj%d" % j] = rng.exponential(120, n)
    t1 = rng.uniform(0.05, 0.5, n)
    t2 = t1 * rng.uniform(0.1, 1, n)
    t3 = t2 * rng.uniform(0.1, 1, n)
    cols["tau1j%d" % j], cols["tau2j%d" % j], cols["tau3j%d" % j] = t1, t2, t3
cols["label"] = (rng.uniform(size=n) < 0.1).astype(np.float64)
order = "pxj1 pyj1 pzj1 mj1 tau1j1 tau2j1 tau3j1 pxj2 pyj2 pzj2 mj2 tau1j2 tau2j2 tau3j2 label".split()
df = pd.DataFrame({c: cols[c] for c in order})
# one-constituent jets (all tau_N = 0) and a tau2 = 0: ratios with a zero denominator
for r in (3, 10, 11):
    df.loc[r, ["tau1j1", "tau2j1", "tau3j1"]] = 0.0
df.loc[20, ["tau2j2", "tau3j2"]] = 0.0
df.loc[30, "mj1"] = df.loc[30, "mj2"]          # equal masses: j1 is the first jet
df.to_hdf("rnd_fixed.h5", key="df", format="fixed")
df.to_hdf("rnd_table.h5", key="df", format="table")
df.to_hdf("rnd_tabledc.h5", key="events", format="table", data_columns=True)
d2 = df.copy(); d2["label"] = d2["label"].astype(np.int64); d2.to_hdf("rnd_mixed.h5", key="df")
df.drop(columns=["tau3j2"]).to_hdf("bad_missing.h5", key="df")
d3 = df.copy(); d3["mj1"] = d3["mj1"].astype(str); d3.to_hdf("bad_string.h5", key="df")
d4 = df.copy(); d4.loc[7, "pzj2"] = np.nan; d4.to_hdf("bad_nan.h5", key="df")
d5 = df.copy(); d5.loc[12, "label"] = 2.0; d5.to_hdf("bad_label.h5", key="df")
# the reference: numpy on the same DataFrame
a = df.to_numpy()
j = [a[:, 0:7], a[:, 7:14]]
E = sum(np.sqrt(x[:, 0] ** 2 + x[:, 1] ** 2 + x[:, 2] ** 2 + x[:, 3] ** 2) for x in j)
P = [j[0][:, k] + j[1][:, k] for k in range(3)]
mjj = np.sqrt(np.maximum(E ** 2 - P[0] ** 2 - P[1] ** 2 - P[2] ** 2, 0))
def ratio(x, y):
    out = np.ones_like(x); ok = y > 0; out[ok] = x[ok] / y[ok]; return out
t21 = [ratio(x[:, 5], x[:, 4]) for x in j]
t32 = [ratio(x[:, 6], x[:, 5]) for x in j]
zero = sum(int((x[:, 4] <= 0).sum() + (x[:, 5] <= 0).sum()) for x in j)
light = j[0][:, 3] <= j[1][:, 3]
pick = lambda v, w: np.where(light, v, w)
f = np.stack([pick(j[0][:, 3], j[1][:, 3]), np.abs(j[0][:, 3] - j[1][:, 3]), pick(t21[0], t21[1]), pick(t21[1], t21[0]),
              pick(t32[0], t32[1]), pick(t32[1], t32[0])], axis=1)
np.savez("ref.npz", mjj=mjj, f=f, label=a[:, 14], zero=zero)
PY

for name in fixed table tabledc mixed; do
  key=df; [ "$name" = tabledc ] && key=/events
  for np in 1 3; do
    $MPIEXEC -n $np "$HADAL" import lhco -i rnd_$name.h5 -o imp_${name}_$np.h5 -key $key > imp_${name}_$np.log 2>&1 || { fail "import $name at $np ranks"; cat imp_${name}_$np.log; }
  done
  [ "$(hash_datasets imp_${name}_1.h5 /events)" = "$(hash_datasets imp_${name}_3.h5 /events)" ] && pass "$name: identical at 1 and 3 ranks" || fail "$name: 1 and 3 ranks differ"
done

"$PYTHON" - <<'PY' || fail "imported values against numpy"
import h5py, numpy as np
r = np.load("ref.npz")
for name in ("fixed", "table", "tabledc", "mixed"):
    with h5py.File("imp_%s_3.h5" % name, "r") as h:
        e = h["events"]
        names = [n.decode() if isinstance(n, bytes) else str(n) for n in e["features"].attrs["names"]]
        assert names == ["mj_light", "delta_mj", "tau21_j1", "tau21_j2", "tau32_j1", "tau32_j2"], names
        m, f, y = e["mass"][:], e["features"][:], e["label"][:]
        assert m.dtype == np.float32 and f.dtype == np.float32 and y.dtype == np.int32
        assert np.allclose(m, r["mjj"], rtol=1e-6, atol=0), (name, np.abs(m - r["mjj"]).max())
        assert np.allclose(f, r["f"], rtol=1e-6, atol=1e-6), (name, np.abs(f - r["f"]).max(axis=0))
        assert np.array_equal(y, r["label"].astype(np.int32)), name
        assert int(h.attrs["tau_ratio_zero_denominators"]) == int(r["zero"]) == 3 * 2 + 1, (int(h.attrs["tau_ratio_zero_denominators"]), int(r["zero"]))
        assert (f[[3, 10, 11]][:, [2, 3, 4, 5]] >= 0).all() and (f[:, 1] >= 0).all()
        assert h.attrs["mass_variable"] in ("mjj", b"mjj")
    print("%s: mjj and the 6 features equal numpy's on the same DataFrame (3001 rows, %d zero denominators)" % (name, int(r["zero"])))
PY

expect_error "missing column" "bad_missing.h5.*no column 'tau3j2'" "$HADAL" import lhco -i bad_missing.h5 -o out_missing.h5
expect_error "column of strings" "bad_string.h5.*column 'mj1'.*not numbers" $MPIEXEC -n 2 "$HADAL" import lhco -i bad_string.h5 -o out_string.h5
expect_error "NaN" "bad_nan.h5.*column 'pzj2' of row 7 is not a finite number" $MPIEXEC -n 3 "$HADAL" import lhco -i bad_nan.h5 -o out_nan.h5
expect_error "label 2" "bad_label.h5.*column 'label' of row 12 is neither 0 nor 1" $MPIEXEC -n 2 "$HADAL" import lhco -i bad_label.h5 -o out_label.h5
expect_error "wrong key" "rnd_tabledc.h5.*no DataFrame under the key 'df'" "$HADAL" import lhco -i rnd_tabledc.h5 -o out_key.h5 -key df
# no -key: the file's only DataFrame, whatever its key
"$HADAL" import lhco -i rnd_tabledc.h5 -o auto_key.h5 > auto_key.log 2>&1 && [ "$(hash_datasets auto_key.h5 /events)" = "$(hash_datasets imp_tabledc_1.h5 /events)" ] \
  && "$PYTHON" -c "import h5py, sys; k = h5py.File('auto_key.h5', 'r').attrs['input_key']; sys.exit(0 if k in ('events', b'events') else 1)" \
  && pass "no -key: the only DataFrame (key 'events') is found" || { fail "no -key"; cat auto_key.log; }
expect_error "not a DataFrame" "imp_fixed_1.h5.*(no DataFrame|not a pandas DataFrame)" "$HADAL" import lhco -i imp_fixed_1.h5 -o out_nodf.h5 -key events
expect_error "missing -i" "-i FILE.h5 is required" "$HADAL" import lhco -o out_noi.h5
no_outputs out_missing.h5 out_string.h5 out_nan.h5 out_label.h5 out_key.h5 out_nodf.h5 out_noi.h5
finish
