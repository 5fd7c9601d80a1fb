# The flow stays finite where reference flows meet NaNs and assertion failures: inputs 10 and 1000
# standard deviations outside the training range (identity tails of the splines), discrete columns
# (dequantised), a constant column (centred, dequantised). Every log p is finite, and each such
# event scores lower than every training event (it is anomalous); the rescaled eq. 7 score of it
# is below 0.
. "$HADAL_SRC/tests/lib.sh"
need_python h5py numpy
"$PYTHON" - <<'PY' || fail "data"
import h5py, numpy as np
rng = np.random.default_rng(4)
n = 4000
X = np.column_stack([rng.standard_normal(n), rng.poisson(2.0, n), np.full(n, 5.0), rng.exponential(1.0, n), rng.integers(0, 2, n)]).astype(np.float32)
odd = np.array([[10, 2, 5, 1, 0], [-1000, 2, 5, 1, 1], [0, 2, 5, 1000, 0], [0, 60, 5, 1, 1], [0, 2, 6, 1, 0], [0, 2, 5, -10, 1], [1e6, -1e6, 5, 1e6, 7]], np.float32)
with h5py.File("robust.h5", "w") as f:
    d = f.create_dataset("events/features", data=np.concatenate([X, odd]))
    d.attrs["names"] = np.array([b"gauss", b"count", b"const", b"expo", b"bit"])
    f.create_dataset("events/label", data=np.concatenate([np.zeros(n, np.int32), np.ones(len(odd), np.int32)]))
PY
"$HADAL" run -method flow -data robust.h5 -out out -flow_columns "" -train_fraction 0.8 -flow_layers 3 -made_hidden 1x32 -knots 10 -epochs 5 -batch_size 256 > run.log 2>&1 || { fail "flow run"; cat run.log; }
grep -q "3 discrete (dequantised), 1 constant" run.log && pass "discrete and constant columns recognised" || { fail "discrete/constant columns"; grep flow: run.log; }
"$PYTHON" - <<'PY' || fail "finite and anomalous"
import h5py, numpy as np
f = h5py.File("out/results.h5")
lp, eq7, test = f["scores/flow_logp"][:], f["scores/flow_eq7"][:], f["scores/is_test"][:] > 0
assert np.isfinite(lp).all() and np.isfinite(eq7).all(), "non-finite log p"
odd = lp[-7:]
assert (odd < lp[~test].min()).all(), ("odd events not below every training event", odd, lp[~test].min())
assert (eq7[-7:] < 0).all(), eq7[-7:]
print("log p of the odd events", odd, "training minimum", lp[~test].min())
PY
finish
