"""Compare hadal's DisCo^2 (hd_nn_disco2) with the weighted distance correlation of Kasieczka &
Shih ("DisCo Fever", 2020) written with n x n matrices in PyTorch, value and gradients by autograd.

Usage: nn_disco_compare.py FOLDER   (the folder nn_disco_driver wrote)

The reference follows the published formula: weights normalised to mean 1, distance matrices
|x_i - x_j|, row means weighted by the column weights, double centring, and
    power 1: mean(w AB) / sqrt(mean(w AA) mean(w BB))   (the squared distance correlation)
    power 2: the square of that.
hd_nn_disco2 returns the power-1 quantity (DisCo^2 of seed 002, eq. 2); the power-2 one is checked
to be its square. Tolerances: value 1e-9 relative; gradients normwise,
max |hadal - torch| / max |torch| <= 1e-5 (hadal's gradients are float32).
A missing torch is a failure: the test environment provides it.
"""
import os
import sys

import numpy as np

try:
    import torch
except ImportError as exc:
    print(f"FAIL: PyTorch cannot be imported by {sys.executable} ({exc}); the comparison needs it")
    sys.exit(1)

VALUE_TOL = 1e-9
GRAD_TOL = 1e-5


def distance_corr(x, y, weight, power=1):
    """Weighted distance correlation with n x n matrices (Kasieczka & Shih 2020)."""
    n = x.shape[0]
    w = weight / weight.mean()
    a = (x.view(-1, 1) - x.view(1, -1)).abs()
    b = (y.view(-1, 1) - y.view(1, -1)).abs()

    def centre(m):
        row = (m * w.view(1, -1)).mean(dim=1)  # row i: mean over j of m_ij w_j
        grand = (row * w).mean()
        return m - row.view(1, -1) - row.view(-1, 1) + grand

    A, B = centre(a), centre(b)

    def wmean(m):
        return ((m * w.view(1, -1)).mean(dim=1) * w).mean()

    ab, aa, bb = wmean(A * B), wmean(A * A), wmean(B * B)
    if power == 1:
        return ab / torch.sqrt(aa * bb)
    return ab ** 2 / (aa * bb)


def read_case(path):
    with open(path, "rb") as f:
        n, weighted = np.frombuffer(f.read(16), dtype="<i8")
        scale, value = np.frombuffer(f.read(16), dtype="<f8")
        rest = np.frombuffer(f.read(), dtype="<f4").reshape(5, n)
    return int(n), bool(weighted), float(scale), float(value), rest


def main():
    folder = sys.argv[1]
    names = sorted(p for p in os.listdir(folder) if p.endswith(".bin"))
    if not names:
        print(f"FAIL: no cases in {folder}")
        return 1
    worst = 0.0
    bad = 0
    for name in names:
        n, weighted, scale, value, (a, b, w, da, db) = read_case(os.path.join(folder, name))
        x = torch.tensor(a, dtype=torch.float64, requires_grad=True)
        y = torch.tensor(b, dtype=torch.float64, requires_grad=True)
        wt = torch.tensor(w, dtype=torch.float64)
        ref = distance_corr(x, y, wt, power=1)
        ref.backward()
        gx = scale * x.grad.numpy()
        gy = scale * y.grad.numpy()
        ref2 = distance_corr(x.detach(), y.detach(), wt, power=2).item()
        ev = abs(value - ref.item()) / abs(ref.item())
        ea = np.max(np.abs(da - gx)) / np.max(np.abs(gx))
        eb = np.max(np.abs(db - gy)) / np.max(np.abs(gy))
        e2 = abs(value ** 2 - ref2) / ref2
        ok = ev <= VALUE_TOL and ea <= GRAD_TOL and eb <= GRAD_TOL and e2 <= VALUE_TOL
        bad += not ok
        worst = max(worst, ea, eb)
        print(f"{'ok  ' if ok else 'FAIL'} {name:28s} n {n:5d} weighted {int(weighted)}: value {value:.12f} "
              f"torch {ref.item():.12f} (rel {ev:.1e}); power 2 vs value^2 rel {e2:.1e}; "
              f"grad a {ea:.1e}, grad b {eb:.1e} (normwise)")
    print(f"{'passed' if not bad else 'FAILED'}: {len(names)} cases, {bad} failing, worst gradient error {worst:.1e}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
