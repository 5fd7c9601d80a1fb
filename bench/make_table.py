"""A large plain event table for memory and I/O measurements: N events x F Gaussian features
(float32), 1% of them a broad signal with label 1. Usage: make_table.py OUT N F [SEED]"""
import sys

import h5py
import numpy as np

path, n, nf = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(int(sys.argv[4]) if len(sys.argv) > 4 else 5)
chunk = 200_000
with h5py.File(path, "w") as f:
    g = f.create_group("events")
    x = g.create_dataset("features", (n, nf), dtype=np.float32)
    y = g.create_dataset("label", (n,), dtype=np.int32)
    x.attrs["names"] = [f"x{i}".encode() for i in range(nf)]
    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        lab = (rng.uniform(size=b - a) < 0.01).astype(np.int32)
        v = rng.normal(size=(b - a, nf)).astype(np.float32)
        v[lab == 1] *= 2.5
        x[a:b] = v
        y[a:b] = lab
    f.attrs["generator"] = "bench/make_table.py"
