# hadal run -method dae end to end on a small adc2021 sample: trained parameters (every member's
# SHA-256), R1, R2, the single AE's R and summary.json's numbers identical at 1, 2 (one group of 2:
# data-parallel) and 3 ranks (3 groups: members dealt round robin); the outputs the issue asks for
# (/scores/r1, r2, is_test for every event, the ABCD tables; summary.json's disco2_test against
# DisCo^2 recomputed here in numpy from R1, R2 of the test rows, closure entries whose ratio is
# n_obs / n_pred, the signals' SIC and significances, the trigger block); tools/dae_closure.py
# agrees with hadal; bad inputs named.
. "$HADAL_SRC/tests/lib.sh"
need_python h5py numpy
"$HADAL" generate adc2021 -o d.h5 -n 5000 -seed 4 -signal_fraction 0.01 > gen.log 2>&1 || { fail "generate"; cat gen.log; }
opts="-method dae -data d.h5 -hidden 16,8,3 -epochs 3 -batch_size 1000 -seeds 2 -seed 3 -sm_efficiencies 0.01,0.05 -trigger -trigger_efficiency 0.05 -expect_features 57 -scaling objects -signal_names lq_btau,a_4l,h0_tautau,hpm_taunu"
"$HADAL" run $opts -out np1 > np1.log 2>&1 || { fail "1 rank"; cat np1.log; }
$MPIEXEC -n 2 "$HADAL" run $opts -out np2 > np2.log 2>&1 || { fail "2 ranks"; cat np2.log; }
$MPIEXEC -n 3 "$HADAL" run $opts -group_size 1 -out np3 > np3.log 2>&1 || { fail "3 ranks"; cat np3.log; }
"$PYTHON" - <<'PY' || fail "outputs"
import json, h5py, numpy as np
def disco2(a, b):
    a, b = a.astype(np.float64), b.astype(np.float64)
    A = np.abs(a[:, None] - a[None, :]); B = np.abs(b[:, None] - b[None, :])
    A = A - A.mean(0) - A.mean(1)[:, None] + A.mean(); B = B - B.mean(0) - B.mean(1)[:, None] + B.mean()
    return (A * B).mean() / np.sqrt((A * A).mean() * (B * B).mean())
S = {d: json.load(open(d + "/summary.json")) for d in ["np1", "np2", "np3"]}
H = {d: h5py.File(d + "/results.h5") for d in S}
for d in ["np2", "np3"]:
    assert S[d]["parameters_sha256"] == S["np1"]["parameters_sha256"], d + ": parameters differ from 1 rank"
    assert [m["parameters_sha256"] for m in S[d]["member_results"]] == [m["parameters_sha256"] for m in S["np1"]["member_results"]]
    for k in ["scores/r1", "scores/r2", "scores/single", "scores/is_test", "abcd/closure"]:
        assert H[d][k][:].tobytes() == H["np1"][k][:].tobytes(), d + ": " + k + " differs"
    for k in ["closure", "signals", "disco2_test", "trigger"]:
        assert S[d][k] == S["np1"][k], d + ": summary " + k + " differs"
s, h = S["np1"], H["np1"]
assert s["method"] == "dae" and len(s["member_results"]) == 4 and s["scaling"] == "objects" and s["biases"] == "no"
assert s["network"].count("nobias") == 6, s["network"]
assert len({m["parameters_sha256"] for m in s["member_results"]}) == 4, "members not distinct"
r1, r2, t = h["scores/r1"][:], h["scores/r2"][:], h["scores/is_test"][:] > 0
assert r1.shape == (5000,) and 0.3 < t.mean() < 0.7
assert t.sum() <= 3000, t.sum()
dc = disco2(r1[t], r2[t])
assert abs(dc - s["disco2_test"]) < 1e-6 * max(1, dc), (dc, s["disco2_test"])
assert len(s["closure"]) == 6
assert all(c["n_pred"] is not None for c in s["closure"] if c["asymmetry"] == 1), "no prediction on the diagonal"
for c in s["closure"]:
    if c["n_pred"] is None:  # an empty control region of an asymmetric cut: no prediction, null
        assert c["ratio"] is None
        continue
    assert abs(c["ratio"] - c["n_obs"] / c["n_pred"]) < 1e-9 * c["ratio"] + 1e-12
    assert c["ratio_err"] > 0
assert sorted(s["signals"]) == sorted(["lq_btau", "a_4l", "h0_tautau", "hpm_taunu"])
# SIC max against numpy: cuts leaving at least 10 SM test events, equal scores cut together
labt = h5py.File("d.h5")["events/label"][:][t]
def sicmax(sc, sg):
    u, inv = np.unique(-sc.astype(np.float64), return_inverse=True)
    ks = np.cumsum(np.bincount(inv, weights=sg)); kb = np.cumsum(np.bincount(inv, weights=~sg))
    return ((ks / sg.sum()) / np.sqrt(kb / (~sg).sum()))[kb >= 10].max()
for k, name in enumerate(["lq_btau", "a_4l", "h0_tautau", "hpm_taunu"]):
    sel = (labt == 0) | (labt == k + 1)
    for key, sc in [("ae1", r1[t]), ("ae2", r2[t]), ("single_ae", h["scores/single"][:][t])]:
        want, got = sicmax(sc[sel], labt[sel] == k + 1), s["signals"][name]["sic_max"][key]
        assert abs(want - got) < 1e-9 * want, (name, key, want, got)
for name, v in s["signals"].items():
    assert set(v["sic_max"]) == {"ae1", "ae2", "combined", "single_ae"}
    assert len(v["significance"]) == 2 and all(x["predicted_background"] >= 0 for x in v["significance"])
    assert "predicted_background_seed_sd" in v["significance"][0]
    assert h["abcd/%s/sic_grid" % name].shape == (64,)
# -scaling objects: one mean and spread per (object kind, variable) over the objects present in
# the training rows (SM, not test); the stored arrays say so
m = h5py.File("np1/models/pair_000.h5")["arrays/input_mean"][:]
sd = h5py.File("np1/models/pair_000.h5")["arrays/input_std"][:]
ev = h5py.File("d.h5")
x, lab = ev["events/features"][:].astype(np.float64), ev["events/label"][:]
tr_rows = (~t) & (lab == 0)
for kind, objs in [("electrons", range(1, 5)), ("muons", range(5, 9)), ("jets", range(9, 19))]:
    for v in range(3):
        vals = np.concatenate([x[tr_rows & (x[:, 3 * o] != 0), 3 * o + v] for o in objs])
        cols = [3 * o + v for o in objs]
        assert np.all(m[cols] == m[cols[0]]) and np.all(sd[cols] == sd[cols[0]]), kind + ": slots scaled differently"
        assert abs(m[cols[0]] - vals.mean()) < 1e-4 * (1 + abs(vals.mean())) and abs(sd[cols[0]] - vals.std()) < 1e-4 * vals.std(), (kind, v, m[cols[0]], vals.mean(), sd[cols[0]], vals.std())
tr = s["trigger"]
assert min(tr["prescale_ll"], tr["prescale_gl"], tr["prescale_lg"]) >= 1 and 0 < tr["kept_rate"] <= 1, tr
assert abs(tr["ratio_kept"] - tr["n_obs"] / tr["n_pred_kept"]) < 1e-9 * tr["ratio_kept"]
print("identical at 1, 2 and 3 ranks; disco2_test %.4g; %d closure entries; trigger prescales %g %g %g, kept %.3f" % (s["disco2_test"], len(s["closure"]), tr["prescale_ll"], tr["prescale_gl"], tr["prescale_lg"], tr["kept_rate"]))
PY
# tools/dae_closure.py (the independent evaluation of docs/methods/dae.md) reproduces hadal: its
# numpy R1, R2 from the stored pair against /scores/r1, r2, and its diagonal closure and SIC on
# hadal's own test rows against summary.json
HADAL_TOOLS="$HADAL_SRC/tools" "$PYTHON" - <<'PY' || fail "tools/dae_closure.py"
import json, os, sys, h5py, numpy as np
sys.path.insert(0, os.environ["HADAL_TOOLS"])
import dae_closure as dc
s, h = json.load(open("np1/summary.json")), h5py.File("np1/results.h5")
ev = h5py.File("d.h5")
x, lab = ev["events/features"][:].astype(np.float32), ev["events/label"][:]
chains, mean, std = dc.load_pair("np1/models/pair_000.h5")
z = dc.scale(x, mean, std, True)
for k, name in [(0, "r1"), (1, "r2")]:
    mine, ref = dc.recon_error(chains[k], z), h["scores/" + name][:]
    assert np.allclose(mine, ref, rtol=1e-4, atol=1e-6), name + ": max difference %g" % np.max(np.abs(mine - ref))
t = h["scores/is_test"][:] == 1
r1, r2 = h["scores/r1"][:], h["scores/r2"][:]
sm = t & (lab == 0)
for c in [c for c in s["closure"] if c["asymmetry"] == 1]:
    mine = dc.closure(r1[sm], r2[sm], c["sm_efficiency"])
    assert mine["n_obs"] == c["n_obs"] and abs(mine["n_pred"] - c["n_pred"]) < 1e-9 * c["n_pred"], (mine, c)
sel = t & ((lab == 0) | (lab == 2))
sic = dc.sic_max(r1[sel].astype(np.float64), lab[sel] == 2)
assert abs(sic - s["signals"]["a_4l"]["sic_max"]["ae1"]) < 1e-9 * sic, (sic, s["signals"]["a_4l"]["sic_max"]["ae1"])
print("tools/dae_closure.py: R1, R2, closure and SIC as hadal's")
PY
# -closure_sample: the non-closure kappa measured on another SM sample at the same thresholds, and
# the prediction corrected by it, recomputed here from hadal's R1, R2 of the closure sample
"$HADAL" generate adc2021 -o c.h5 -n 4000 -seed 8 -signal_fraction 0 > genc.log 2>&1 || { fail "generate closure sample"; cat genc.log; }
"$HADAL" run $opts -trigger 0 -closure_sample c.h5 -out ks1 > ks1.log 2>&1 || { fail "closure sample, 1 rank"; cat ks1.log; }
$MPIEXEC -n 2 "$HADAL" run $opts -trigger 0 -closure_sample c.h5 -out ks2 > ks2.log 2>&1 || { fail "closure sample, 2 ranks"; cat ks2.log; }
"$PYTHON" - <<'PY' || fail "closure sample"
import json, h5py, numpy as np
s1, s2, s0 = (json.load(open(d + "/summary.json")) for d in ("ks1", "ks2", "np1"))
assert s1 == {**s2, "ranks": 1, "wall_s": s1["wall_s"]}, "closure sample: 1 and 2 ranks differ"
assert s1["parameters_sha256"] == s0["parameters_sha256"], "a closure sample must not change the training"
assert s1["closure_sample_sm_events"] == 4000
h = h5py.File("ks1/results.h5")
q1, q2 = h["scores/closure_sample_r1"][:], h["scores/closure_sample_r2"][:]
assert q1.shape == (4000,) and np.all(q1 > 0) and np.all(q2 > 0)
rows, corr = h["abcd/closure"][:].reshape(-1, 10), h["abcd/closure_correction"][:].reshape(-1, 4)
n = 0
for c, row, cr in zip(s1["closure"], rows, corr):
    if c["n_pred"] is None:
        assert c["n_pred_corrected"] is None
        continue
    c1, c2 = row[2], row[3]
    a, b = q1 > c1, q2 > c2
    gg, gl, lg, ll = (int(np.count_nonzero(m)) for m in (a & b, a & ~b, ~a & b, ~a & ~b))
    if c["kappa"] is None:  # no prediction or no event in the sample's signal region (asymmetric cuts only)
        assert c["asymmetry"] != 1 and (gg == 0 or min(gl, lg, ll) == 0), c
        continue
    k = gg / (gl * lg / ll)
    ke = k * np.sqrt(1 / gg + 1 / gl + 1 / lg + 1 / ll)
    assert abs(k - c["kappa"]) < 1e-9 * k and abs(ke - c["kappa_err"]) < 1e-9 * ke and abs(cr[0] - k) < 1e-9 * k, (c, k, ke)
    assert abs(c["n_pred_corrected"] - k * c["n_pred"]) < 1e-9 * c["n_pred_corrected"] and abs(cr[2] - c["n_pred_corrected"]) < 1e-9 * cr[2]
    assert abs(c["ratio_corrected"] - c["n_obs"] / c["n_pred_corrected"]) < 1e-9 * c["ratio_corrected"]
    want = np.hypot(c["ratio_err"] / k, c["ratio_corrected"] * ke / k)
    assert abs(c["ratio_corrected_err"] - want) < 1e-9 * want, (c, want)
    n += 1
assert n >= 4, "only %d closure entries with a prediction" % n
# the significances (N - B) / sqrt(N) and (N - B) / sqrt(N + sigma_B^2) of every signal scenario, B
# predicted and corrected, from hadal's R1, R2 of the test rows at the diagonal thresholds
ev = h5py.File("d.h5")
lab, t = ev["events/label"][:], h["scores/is_test"][:] == 1
r1, r2 = h["scores/r1"][:], h["scores/r2"][:]
diag = [(c, row) for c, row in zip(s1["closure"], rows) if c["asymmetry"] == 1]
m = 0
for k, (name, v) in enumerate(s1["signals"].items(), start=1):
    sel = t & ((lab == 0) | (lab == k))
    for z, (c, row) in zip(v["significance"], diag):
        a, b = r1[sel] > row[2], r2[sel] > row[3]
        nn = int(np.count_nonzero(a & b))
        gl, lg, ll = (int(np.count_nonzero(q)) for q in (a & ~b, ~a & b, ~a & ~b))
        if min(gl, lg, ll) == 0:
            continue
        pred = gl * lg / ll
        var = pred * pred * (1 / gl + 1 / lg + 1 / ll)
        zz = lambda bb, sb: (nn - bb) / np.sqrt(nn + sb * sb) if nn > bb else 0.0
        pc = pred * c["kappa"]
        pce = pc * np.sqrt(var / pred ** 2 + (c["kappa_err"] / c["kappa"]) ** 2)
        for key, want in [("predicted_background", zz(pred, 0)), ("predicted_background_with_error", zz(pred, np.sqrt(var))),
                          ("corrected_background", zz(pc, 0)), ("corrected_background_with_error", zz(pc, pce))]:
            assert abs(z[key] - want) <= 1e-9 * abs(want) + 1e-12, (name, key, z[key], want)
        assert z["predicted_background_with_error"] <= z["predicted_background"] + 1e-12
        m += 1
assert m >= 4, "only %d significances checked" % m
print("closure sample: identical at 1 and 2 ranks, training unchanged; kappa and the corrected prediction of %d closure entries, %d significances (with and without the error of B) as numpy's" % (n, m))
PY
# the plots of seed 002 Figs. 1-4 (tools/plot_dae.py), with the corrected closure (skipped without matplotlib)
if "$PYTHON" -c "import matplotlib" 2>/dev/null; then
  "$PYTHON" "$HADAL_SRC/tools/plot_dae.py" ks1 d.h5 > plot.log 2>&1 || { fail "plot_dae.py"; cat plot.log; }
  for f in fig1_sic fig2_closure fig3_significance fig4_sic_grid; do [ -s ks1/plots/$f.png ] || fail "no ks1/plots/$f.png"; done
  pass "plots written"
fi
# -categories topology: DisCo^2 within, and ABCD summed over, the 10 topologies; identical at 1
# and 2 ranks, every closure entry's prediction (and the closure sample's kappa) the per-topology
# sum recomputed here
"$HADAL" run $opts -categories topology -trigger 0 -closure_sample c.h5 -out cat1 > cat1.log 2>&1 || { fail "categories, 1 rank"; cat cat1.log; }
$MPIEXEC -n 2 "$HADAL" run $opts -categories topology -trigger 0 -closure_sample c.h5 -out cat2 > cat2.log 2>&1 || { fail "categories, 2 ranks"; cat cat2.log; }
HADAL_TOOLS="$HADAL_SRC/tools" "$PYTHON" - <<'PY' || fail "categories"
import json, os, sys, h5py, numpy as np
sys.path.insert(0, os.environ["HADAL_TOOLS"])
import dae_closure as dc
s1, s2, s0 = (json.load(open(d + "/summary.json")) for d in ("cat1", "cat2", "np1"))
assert s1["categories"] == "topology" and s0["categories"] == "none"
assert s1["parameters_sha256"] == s2["parameters_sha256"] and s1["closure"] == s2["closure"], "categories: 1 and 2 ranks differ"
assert s1["member_results"][0]["parameters_sha256"] != s0["member_results"][0]["parameters_sha256"], "the pair trained within topologies is the plain pair"
assert s1["member_results"][2]["parameters_sha256"] == s0["member_results"][2]["parameters_sha256"], "the single AE has no DisCo term: unchanged"
h, ev = h5py.File("cat1/results.h5"), h5py.File("d.h5")
x, lab = ev["events/features"][:], ev["events/label"][:]
r1, r2, t = h["scores/r1"][:], h["scores/r2"][:], h["scores/is_test"][:] == 1
sm, cat = t & (lab == 0), dc.topology(x)
assert len(set(cat[sm].tolist())) >= 6, "too few topologies in the sample to test anything"
n_checked = n_skipped = 0
cf = h5py.File("c.h5")
ccat, csm = dc.topology(cf["events/features"][:]), cf["events/label"][:] == 0
q1, q2 = h["scores/closure_sample_r1"][:], h["scores/closure_sample_r2"][:]
for row in h["abcd/closure"][:].reshape(-1, 10):
    eps, asym, c1, c2 = row[:4]
    pred, var = dc.abcd_predict(r1[sm] > c1, r2[sm] > c2, cat[sm])
    if np.isnan(row[8]):
        assert np.isnan(pred), (row, pred)
        n_skipped += 1
        continue
    assert abs(pred - row[8]) < 1e-9 * pred and abs(np.sqrt(var) - row[9]) < 1e-9 * row[9], (row, pred, np.sqrt(var))
    # the closure sample's kappa, summed over its topologies too
    c = s1["closure"][n_checked + n_skipped]
    k = dc.closure_at(q1[csm], q2[csm], row[2], row[3], ccat[csm])
    assert c["kappa"] is None or abs(k["ratio"] - c["kappa"]) < 1e-9 * k["ratio"] and abs(k["ratio_err"] - c["kappa_err"]) < 1e-9 * k["ratio_err"], (c, k)
    n_checked += 1
assert n_checked >= 5, "only %d closure rows with a prediction" % n_checked
print("categories: identical at 1 and 2 ranks; %d closure predictions summed over topologies as numpy's" % n_checked)
PY
small="-method dae -data d.h5 -hidden 8,3 -epochs 1 -batch_size 500"
expect_error "lambda < 0" "-lambda must be >= 0" "$HADAL" run $small -lambda -1 -out bad1
expect_error "efficiency 1.5" "threshold efficiency 1.5 is outside" "$HADAL" run $small -sm_efficiencies 0.01,1.5 -out bad2
expect_error "efficiency 0" "threshold efficiency 0 is outside" "$HADAL" run $small -sm_efficiencies 0 -out bad3
expect_error "fewer columns" "has 57 feature columns, the network expects 60" "$HADAL" run $small -expect_features 60 -out bad4
expect_error "too few events" "SM efficiency 0.0001 leaves .* ABCD needs at least 10" "$HADAL" run $small -sm_efficiencies 0.0001 -out bad5
expect_error "scaling" "-scaling must be columns or objects" "$HADAL" run $small -scaling minmax -out bad7
expect_error "train_on" "-train_on must be background or all" "$HADAL" run $small -train_on signal -out bad6
"$HADAL" generate lhco -o l.h5 -n 2000 -seed 1 > genl.log 2>&1 || fail "generate lhco"
expect_error "closure sample columns" "-closure_sample 'l.h5' has 6 feature columns, the data file 'd.h5' 57" "$HADAL" run $small -closure_sample l.h5 -out bad10
"$HADAL" generate adc2021 -o c50.h5 -n 50 -seed 8 -signal_fraction 0 > genc50.log 2>&1 || fail "generate a small closure sample"
expect_error "closure sample too small" "-closure_sample 'c50.h5': its 50 SM events give no non-closure" "$HADAL" run $small -closure_sample c50.h5 -sm_efficiencies 0.01 -out bad11
expect_error "categories" "-categories must be none or topology" "$HADAL" run $small -categories jets -out bad8
expect_error "categories layout" "-categories topology needs the 57 columns" "$HADAL" run -method dae -data l.h5 -hidden 8,3 -epochs 1 -batch_size 500 -categories topology -sm_efficiencies 0.05 -out bad9
finish
