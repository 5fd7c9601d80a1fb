# -method rnd on generated darkmachines events: a small SVDD grid and a small flow, at 1, 2 and 3
# ranks (2 and 3 with one rank per group): every score and metric identical bit for bit; every
# metric recomputed from the written scores with scikit-learn / numpy; the combinations are the
# documented functions of the uniform scores; the injected *different* signals are found.
. "$HADAL_SRC/tests/lib.sh"
need_python h5py numpy sklearn
"$HADAL" generate darkmachines -o dm.h5 -n 6000 -seed 5 -signal_fraction 0.02 > gen.log 2>&1 || { fail "generate"; cat gen.log; }
opts="-method rnd -data dm.h5 -seed 3 -svdd_d 4,8 -svdd_n 0,2 -svdd_hidden 32,16 -epochs 4 -batch_size 500 -flow_layers 2 -made_hidden 1x32 -knots 8 -flow_epochs 2 -flow_batch_size 256"
"$HADAL" run $opts -out np1 > np1.log 2>&1 || { fail "1 rank"; cat np1.log; }
$MPIEXEC -n 2 "$HADAL" run $opts -group_size 1 -out np2 > np2.log 2>&1 || { fail "2 ranks"; cat np2.log; }
$MPIEXEC -n 3 "$HADAL" run $opts -group_size 1 -out np3 > np3.log 2>&1 || { fail "3 ranks"; cat np3.log; }
for n in 2 3; do
  if [ "$(hash_datasets np1/results.h5)" = "$(hash_datasets np$n/results.h5)" ]; then pass "results.h5 identical at 1 and $n ranks"; else fail "results differ between 1 and $n ranks"; fi
done
grep -q "TI min" np1.log && pass "TI table printed" || fail "no TI table in the log"
"$PYTHON" - <<'PY' || fail "metrics"
import json, h5py, numpy as np
from sklearn.metrics import roc_auc_score, roc_curve
f = h5py.File("np1/results.h5"); s = json.load(open("np1/summary.json"))
lab = h5py.File("dm.h5")["events/label"][:]
assert f["scores/is_test"].dtype == np.int8
test = f["scores/is_test"][:] > 0
assert test.sum() > 0 and (lab[~test] == 0).all(), "training rows must be background"
mem = f["scores/svdd_members"][:]; logp = f["scores/flow_logp"][:]
assert mem.shape == (6000, 4) and np.isfinite(mem).all() and np.isfinite(logp).all()
train = ~test
def U(x):  # empirical CDF on the training rows, ties one half; hyperbolic tails beyond their range
    x = np.asarray(x, np.float64); r = np.sort(x[train]); n = len(r)
    lo, hi = np.searchsorted(r, x, "left"), np.searchsorted(r, x, "right")
    u = (lo + hi) / (2.0 * n)
    m = min(max(n // 100, 1), n - 1)
    def scale(s): return s if s > 0 else (r[-1] - r[0] if r[-1] > r[0] else 1.0)
    s_lo, s_hi = scale(r[m] - r[0]), scale(r[-1] - r[-1 - m])
    u_lo, u_hi = (r == r[0]).sum() / (2.0 * n), 1 - (r == r[-1]).sum() / (2.0 * n)
    up, dn = lo == n, hi == 0
    u[up] = 1 - (1 - u_hi) / (1 + (x[up] - r[-1]) / s_hi)
    u[dn] = u_lo / (1 + (r[0] - x[dn]) / s_lo)
    return u
u = np.column_stack([U(mem[:, m]) for m in range(4)] + [U(-logp)])
ops = {"and": np.min, "or": np.max, "prod": np.prod, "avg": np.mean}
for name, op in ops.items():
    e = op(u[:, :4], axis=1).astype(np.float32)
    assert np.allclose(f["scores/svdd_" + name][:], e, atol=2e-6), "svdd_" + name
    ue = U(f["scores/svdd_" + name][:].astype(np.float64)); both = np.column_stack([ue, u[:, 4]])  # the written ensemble score, as float
    assert np.allclose(f["scores/" + name][:], op(both, axis=1), atol=1e-5), name
models = s["models"]; sig = s["signals"]
assert sig == ["zprime", "dijet", "susy", "stop"], sig
assert s["members"] == 5 and len(models) == 4 + 4 + 1 + 4
def score(m):
    if m == "flow": return -logp
    if m.startswith("svdd_d"): return mem[:, models.index(m)]
    return f["scores/" + m][:]
for k, name in enumerate(sig):
    sel = test & ((lab == 0) | (lab == k + 1)); y = (lab[sel] == k + 1)
    for m in models:
        x = score(m)[sel]
        auc = roc_auc_score(y, x)
        assert abs(auc - s["auc"][name][m]) < 1e-9, (name, m, auc, s["auc"][name][m])
        fpr, tpr, thr = roc_curve(y, x)
        eb = fpr.copy(); si = []
        for eps_b, key in [(1e-2, "eps_s_1e-2"), (1e-3, "eps_s_1e-3"), (1e-4, "eps_s_1e-4")]:
            ok = fpr <= eps_b
            v = tpr[ok].max() if (y == 0).sum() * eps_b >= 1 else None
            got = s[key][name][m]
            if v is None: assert got is None, (name, m, key, got); continue
            assert abs(v - got) < 1e-9, (name, m, key, v, got); si.append(v / np.sqrt(eps_b))
        want = max(si) if si else None
        assert (want is None and s["si"][name][m] is None) or abs(want - s["si"][name][m]) <= 1e-8 * want, (name, m)
for m in models:
    v = [s["si"][n][m] for n in sig if s["si"][n][m] is not None]
    t = s["ti"][m]
    assert np.allclose([t["min"], t["median"], t["max"]], [min(v), np.median(v), max(v)], rtol=1e-8, atol=0), m
# correlations of the uniform scores on the test set (members, flow, SVDD AVG)
C = np.corrcoef(np.column_stack([u, np.mean(u[:, :4], axis=1)])[test].T)
iu = np.triu_indices(4, 1)
assert abs(C[:4, :4][iu].mean() - s["correlation"]["svdd_mean"]) < 1e-4, (C[:4, :4][iu].mean(), s["correlation"])
assert abs(C[5, 4] - s["correlation"]["svdd_flow"]) < 1e-4, (C[5, 4], s["correlation"])
l = np.linalg.eigvalsh(C[:4, :4]); neff = l.sum() ** 2 / (l ** 2).sum()
assert abs(neff - s["effective_members"]) < 1e-3, (neff, s["effective_members"])
# the *different* signals are found by the combination
assert s["auc"]["zprime"]["or"] > 0.9 and s["auc"]["dijet"]["or"] > 0.9, s["auc"]
print("AUC/eps_S/SI/TI match sklearn; combinations, correlations, effective members match numpy")
PY
"$PYTHON" -c "import matplotlib" 2>/dev/null && {
  "$PYTHON" "$HADAL_SRC/tools/plot_rnd.py" np1 dm.h5 > plot.log 2>&1 && [ -s np1/plots/roc_zprime.png ] && [ -s np1/plots/scores_susy.png ] && [ -s np1/plots/ti.png ] && pass "plots" || { fail "plots"; cat plot.log; }
}
finish
