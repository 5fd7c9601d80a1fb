"""A small event file for training tests: correlated Gaussian background, broad signal."""
import sys
import h5py
import numpy as np

path, n = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(7)
F = 6
x = rng.normal(size=(n, F)) @ np.linalg.cholesky(np.eye(F) + 0.8).T
label = (rng.uniform(size=n) < 0.03).astype(np.int32)
x[label == 1] = 2.5 * rng.normal(size=(int(label.sum()), F))
with h5py.File(path, "w") as f:
    g = f.create_group("events")
    g["features"] = x.astype(np.float32)
    g["features"].attrs["names"] = [f"x{i}".encode() for i in range(F)]
    g["label"] = label
