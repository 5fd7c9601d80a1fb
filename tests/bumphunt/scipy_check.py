"""Refit a histogram written by `test_bumphunt dump FILE` with scipy and compare.

The reference is independent of the C code: bin integrals by scipy.integrate.quad (adaptive
Gauss-Kronrod in x) for every checked number, by a vectorised composite Simpson rule in x inside
the minimisation; the minimiser is scipy.optimize.minimize (Nelder-Mead, then BFGS with the
analytic gradient) over all four parameters (ln p0, p1, p2, p3) from a generic start, with p0
free rather than profiled; the covariance is the inverse of a finite-difference Hessian.

Checks (tolerances in the messages): the NLL at hadal's parameters recomputed with quad, the
minimum NLL of both fits (relative 1e-4 asked; the actual difference is printed), parameters
within 0.02 of their standard deviation, standard deviations and sigma_b within 2 %, b_sr."""
import math
import sys

import numpy as np
from scipy import integrate, optimize, special


def read(path):
    d = {}
    with open(path) as f:
        for line in f:
            k, *v = line.split()
            d[k] = np.array([float(x) for x in v])
    return d


d = read(sys.argv[1])
sqrt_s = d["sqrt_s"][0]
edges, counts = d["edges"], d["counts"]
sr_lo, sr_hi = d["sr"]
x_edges = edges / sqrt_s
# bins left out: every bin that overlaps [sr_lo, sr_hi)
in_sr = (edges[1:] > sr_lo) & (edges[:-1] < sr_hi)
sb = ~in_sr
ns = counts[sb]


def dijet(x, p):
    p0, p1, p2, p3 = p
    return p0 * (1 - x) ** p1 / x ** (p2 + p3 * np.log(x))


def phi(x):
    return np.stack([np.ones_like(x), np.log1p(-x), -np.log(x), -np.log(x) ** 2])


# Simpson nodes: 64 intervals per bin, vectorised over bins
K = 64
t = np.linspace(0.0, 1.0, K + 1)
w_simpson = np.where((np.arange(K + 1) % 2) == 1, 4.0, 2.0)
w_simpson[0] = w_simpson[-1] = 1.0
xa, xb = x_edges[:-1][sb], x_edges[1:][sb]
X = xa[:, None] + (xb - xa)[:, None] * t[None, :]
W = ((xb - xa) / (3 * K))[:, None] * w_simpson[None, :]
PHI = phi(X)  # (4, bins, nodes)


def nll_grad(beta):
    p = np.array([math.exp(beta[0]), beta[1], beta[2], beta[3]])
    f = dijet(X, p)
    mu = (W * f).sum(axis=1)
    if not np.all(np.isfinite(mu)) or np.any(mu <= 0):
        return 1e300, np.zeros(4)
    nll = np.sum(mu - ns * np.log(mu) + special.gammaln(ns + 1))
    dmu = (W[None] * f[None] * PHI).sum(axis=2)  # d mu / d beta_j, (4, bins)
    return nll, dmu @ (1 - ns / mu)


def nll_quad(p, bins=sb):
    total = 0.0
    for a, b, n in zip(x_edges[:-1][bins], x_edges[1:][bins], counts[bins]):
        mu = integrate.quad(dijet, a, b, args=(p,), epsabs=0, epsrel=1e-13, limit=200)[0]
        total += mu - n * math.log(mu) + special.gammaln(n + 1)
    return total


def sr_yield(p):
    return sum(integrate.quad(dijet, a, b, args=(p,), epsabs=0, epsrel=1e-13, limit=200)[0]
               for a, b in zip(x_edges[:-1][in_sr], x_edges[1:][in_sr]))


failures = 0


def check(ok, what):
    global failures
    print(("ok: " if ok else "FAIL: ") + what)
    failures += 0 if ok else 1


p_c, nll_c, cov_c = d["p"], d["nll"][0], d["cov"].reshape(4, 4)
sd_c = np.sqrt(np.diag(cov_c))

# 1. the NLL at hadal's minimum, recomputed with quad
nll_c_quad = nll_quad(p_c)
check(abs(nll_c_quad - nll_c) <= 1e-9 * abs(nll_c),
      f"NLL at hadal's parameters: hadal {nll_c:.12g}, quad {nll_c_quad:.12g} (relative {abs(nll_c_quad / nll_c - 1):.1e}, want 1e-9)")

# 2. scipy's own fit from a generic start (shape 10, 5, 0; p0 matched to the sideband count)
shape0 = np.array([10.0, 5.0, 0.0])
beta0 = np.concatenate([[0.0], shape0])
mu_unit = (W * dijet(X, np.array([1.0, *shape0]))).sum()
beta0[0] = math.log(ns.sum() / mu_unit)
res = optimize.minimize(lambda b: nll_grad(b)[0], beta0, method="Nelder-Mead",
                        options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 40000, "maxfev": 40000})
res = optimize.minimize(nll_grad, res.x, jac=True, method="BFGS", options={"gtol": 1e-9, "maxiter": 10000})
beta_py = res.x
p_py = np.array([math.exp(beta_py[0]), *beta_py[1:]])
nll_py = nll_quad(p_py)
rel = abs(nll_py - nll_c) / abs(nll_c)
print(f"scipy: {res.message} after {res.nit} BFGS iterations; p = {p_py}")
print(f"hadal: p = {p_c}")
check(rel < 1e-4, f"minimum NLL: hadal {nll_c:.12g}, scipy {nll_py:.12g} (relative {rel:.1e}, want < 1e-4)")
check(nll_c <= nll_py + 1e-7 * abs(nll_c), "hadal's minimum is not above scipy's")

# 3. covariance: inverse of a central finite-difference Hessian of the Simpson NLL in beta
h = 1e-4 * np.maximum(np.abs(beta_py), 1.0)
H = np.zeros((4, 4))
for j in range(4):
    e = np.zeros(4)
    e[j] = h[j]
    H[j] = (nll_grad(beta_py + e)[1] - nll_grad(beta_py - e)[1]) / (2 * h[j])
H = 0.5 * (H + H.T)
C = np.linalg.inv(H)
J = np.diag([p_py[0], 1, 1, 1])  # dp/dbeta
cov_py = J @ C @ J
sd_py = np.sqrt(np.diag(cov_py))
# parameters: ln p0 in its own standard deviation, the shape parameters in theirs
diff = np.concatenate([[abs(math.log(p_py[0] / p_c[0])) / (sd_c[0] / p_c[0])], np.abs(p_py[1:] - p_c[1:]) / sd_c[1:]])
check(np.all(diff < 0.02), f"parameters agree to {diff.max():.1e} standard deviations (want < 0.02)")
rsd = np.abs(sd_py / sd_c - 1)
check(np.all(rsd < 0.02), f"standard deviations agree to {rsd.max():.1e} relative (want < 0.02): hadal {sd_c}, scipy {sd_py}")

# 4. the SR prediction and its uncertainty (delta method with the scipy covariance)
b_py = sr_yield(p_c)
check(abs(b_py / d["b_sr"][0] - 1) < 1e-9, f"b_sr at hadal's parameters: hadal {d['b_sr'][0]:.12g}, quad {b_py:.12g}")
g = np.zeros(4)
for j in range(4):
    e = np.zeros(4)
    e[j] = h[j]
    bp = np.array([math.exp((beta_py + e)[0]), *(beta_py + e)[1:]])
    bm = np.array([math.exp((beta_py - e)[0]), *(beta_py - e)[1:]])
    g[j] = (sr_yield(bp) - sr_yield(bm)) / (2 * h[j])
sigma_b_py = math.sqrt(g @ C @ g)
check(abs(sigma_b_py / d["sigma_b"][0] - 1) < 0.02, f"sigma_b: hadal {d['sigma_b'][0]:.6g}, scipy {sigma_b_py:.6g} (want within 2 %)")

print(f"{failures} failure(s)")
sys.exit(1 if failures else 0)
