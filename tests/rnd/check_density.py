"""Compare a flow run's log p with the true density (make_density.py): mean log-likelihood of the
held-out points (is_test, label 0) and the integral of exp(log p) over the grid rows.
usage: check_density.py DATA.h5 RUN_DIR TOL_NATS MIN_INTEGRAL MAX_INTEGRAL"""
import sys
import h5py
import numpy as np

data, run, tol, lo, hi = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
lab = h5py.File(data)["events/label"][:]
f = h5py.File(run + "/results.h5")
logp, test = f["scores/flow_logp"][:].astype(np.float64), f["scores/is_test"][:] > 0
true = np.load(data + ".logp.npy"); cell = np.load(data + ".cell.npy")[0]
held = test & (lab == 0)
gap = true[held].mean() - logp[held].mean()
integral = np.exp(logp[lab < 0]).sum() * cell
print("held-out mean log p: flow %.4f, true %.4f, gap %.4f nats; integral over the grid %.4f" % (logp[held].mean(), true[held].mean(), gap, integral))
assert np.isfinite(logp).all(), "non-finite log p"
assert abs(gap) < tol, "flow is %.4f nats from the true density (tolerance %g)" % (gap, tol)
assert lo < integral < hi, "learned density integrates to %.4f over the grid" % integral
