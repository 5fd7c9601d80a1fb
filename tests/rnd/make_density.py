"""A 2-D density the flow must learn: a Gaussian mixture or two moons (with known density), as an
event file: N points with label 0 (half train, half held out by -train_fraction 0.5), then a
G x G grid over the box [-L, L]^2 with label -1 (scored, never trained on) to integrate the learned
density. The true log-density of every row goes to a .npy beside it.
usage: make_density.py OUT.h5 mixture|moons N G SEED"""
import sys
import h5py
import numpy as np
from scipy.special import logsumexp

out, kind, n, g, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
rng = np.random.default_rng(seed)
if kind == "mixture":
    mu = np.array([[-2.0, 0.0], [2.0, 1.0], [0.0, -2.5]]); sd = np.array([0.6, 0.9, 0.5]); w = np.array([0.3, 0.45, 0.25])
    k = rng.choice(3, size=n, p=w)
    x = mu[k] + sd[k, None] * rng.standard_normal((n, 2))
    def logp(p):
        d = ((p[:, None, :] - mu[None]) ** 2).sum(-1)
        return logsumexp(np.log(w) - np.log(2 * np.pi * sd ** 2) - 0.5 * d / sd ** 2, axis=1)
    L = 6.0
else:  # two moons: a half circle each, radial Gaussian noise s; density by quadrature over the angle
    s = 0.1
    t = rng.uniform(0, np.pi, n); up = rng.random(n) < 0.5
    c = np.where(up[:, None], np.column_stack([np.cos(t), np.sin(t)]), np.column_stack([1 - np.cos(t), 0.5 - np.sin(t)]))
    x = c + s * rng.standard_normal((n, 2))
    tt = (np.arange(2000) + 0.5) / 2000 * np.pi
    C = np.concatenate([np.column_stack([np.cos(tt), np.sin(tt)]), np.column_stack([1 - np.cos(tt), 0.5 - np.sin(tt)])])
    def logp(p):
        out = np.empty(len(p))
        for i in range(0, len(p), 2000):
            d = ((p[i:i + 2000, None, :] - C[None]) ** 2).sum(-1)
            out[i:i + 2000] = logsumexp(-0.5 * d / s ** 2, axis=1) - np.log(len(C)) - np.log(2 * np.pi * s ** 2)
        return out
    L = 2.5
e = (np.arange(g) + 0.5) / g * 2 * L - L
grid = np.array(np.meshgrid(e, e + (0.25 if kind == "moons" else 0.0))).reshape(2, -1).T
X = np.concatenate([x, grid]).astype(np.float32)
lab = np.concatenate([np.zeros(n, np.int32), -np.ones(len(grid), np.int32)])
with h5py.File(out, "w") as f:
    d = f.create_dataset("events/features", data=X)
    d.attrs["names"] = np.array([b"x", b"y"])
    f.create_dataset("events/label", data=lab)
np.save(out + ".logp.npy", logp(X.astype(np.float64)))
np.save(out + ".cell.npy", np.array([(2 * L / g) ** 2]))
