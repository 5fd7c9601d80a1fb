# Anomaly Awareness end to end on small jet images: prior and AA runs with a two-lambda scan,
# results identical bit for bit at 1, 2 and 3 ranks (and with the lambdas on separate rank groups);
# the summary's central fractions, AUCs and R_max recomputed from the per-event outputs in
# results.h5 with numpy/sklearn (eq. 6 of seed 000 written out independently); sigma_min of eq. 8.
. "$HADAL_SRC/tests/lib.sh"
need_python h5py numpy sklearn
"$HADAL" generate jetimages -o ji.h5 -n 1500 -seed 5 -classes qcd,top,w,eft -class_fractions 0.35,0.35,0.15,0.15 -image_size 16 > gen.log 2>&1 || { fail "generate"; cat gen.log; }
run() { local out=$1; shift; "$@" -network "conv 4 3x3 relu, maxpool 2, flatten, dense 16 relu" -out "$out" > "$out.log" 2>&1 || { fail "$out"; tail -20 "$out.log"; }; }
base="-method aa -data ji.h5 -normal_classes qcd,top -aware_classes w -lambda_aa 0.5,1 -prior_epochs 3 -epochs 3 -seed 3 -luminosities 300,3000"
run np1 "$HADAL" run $base
run np2 $MPIEXEC -n 2 "$HADAL" run $base -group_size 1
run np3 $MPIEXEC -n 3 "$HADAL" run $base
for d in np2 np3; do
  if [ "$(hash_datasets np1/results.h5)" = "$(hash_datasets $d/results.h5)" ]; then pass "results.h5 of $d = 1 rank"; else fail "results.h5 of $d differs from 1 rank"; fi
done
"$PYTHON" - <<'PY' || fail "summary against the outputs"
import json, h5py, numpy as np
from sklearn.metrics import roc_auc_score
s = [json.load(open(d + "/summary.json")) for d in ("np1", "np2", "np3")]
assert s[0]["parameters_sha256"] == s[1]["parameters_sha256"] == s[2]["parameters_sha256"], "parameters differ across rank counts"
s = s[0]
assert s["method"] == "aa" and s["normal_classes"] == ["qcd", "top"] and s["held_out_classes"] == ["eft"], s
r = h5py.File("np1/results.h5")
lab = h5py.File("ji.h5")["events/label"][:]
test = r["outputs/test"][:] > 0
pri, aa = r["outputs/prior"][:], r["outputs/aa"][:]
assert pri.shape == (1500, 2) and np.allclose(pri.sum(1), 1, atol=1e-5) and np.allclose(aa.sum(1), 1, atol=1e-5)
assert not np.array_equal(aa, r["outputs/aa_lambda1"][:]), "the two lambdas gave the same outputs"
names = ["qcd", "top", "w", "eft"]
for run, p in (("prior", pri), ("aa", aa)):
    norm = test & (lab <= 1)
    auc = np.mean([roc_auc_score(lab[norm] == j, p[norm, j]) for j in range(2)])
    assert abs(auc - s["normal_auc_" + run]) < 1e-9, (run, auc, s["normal_auc_" + run])
    for k, nm in enumerate(names):
        sel = test & (lab == k)
        cf = np.mean(np.all(np.abs(p[sel] - 0.5) <= 0.05, axis=1))
        assert abs(cf - s["central_fraction"][nm][run]) < 1e-9, (run, nm, cf)
# R of eq. 6 on P(top) for eft, every window, independently
sig = {"qcd": 50000.0, "top": 1000.0}
def R(p, lo, hi):
    def eff(k):
        x = p[test & (lab == k), 1]
        return np.mean((x >= lo) & ((x < hi) | (hi >= 1 - 1e-9)))
    den = sig["qcd"] * eff(0) + sig["top"] * eff(1)
    return np.sqrt(sum(sig.values())) * eff(3) / np.sqrt(den) if den > 0 else np.nan
lo, hi, Rs = r["scan/aa/eft/lo"][:], r["scan/aa/eft/hi"][:], r["scan/aa/eft/R"][:]
assert len(lo) == 93 + 91 + 89 + 100, len(lo)
for i in range(len(lo)):
    if np.isnan(Rs[i]): continue
    assert abs(R(aa, lo[i], hi[i]) - Rs[i]) < 1e-9 * max(1, Rs[i]), (i, lo[i], hi[i], Rs[i])
assert np.isnan(Rs).any(), "no window skipped for too little background"
assert abs(np.nanmax(Rs) - s["r_max"]) < 1e-9 * s["r_max"]
smin = 5 / (s["r_max"] * np.sqrt(3000 / 51000))
assert abs(s["sigma_min_fb"]["3000"] - smin) < 1e-9 * smin and abs(s["sigma_naive_fb"]["3000"] - 5 * np.sqrt(51000 / 3000)) < 1e-7
assert len(s["lambda_scan"]) == 2 and s["lambda_scan"][1]["lambda_aa"] == 1
print("AUC, central fractions, R per window, R_max and sigma_min agree with the outputs")
PY
# the plots of tools/plot_aa.py (skipped without matplotlib)
if "$PYTHON" -c "import matplotlib" 2>/dev/null; then
  "$PYTHON" "$HADAL_SRC/tools/plot_aa.py" np1 > plot.log 2>&1 || { fail "plot_aa.py"; cat plot.log; }
  for f in outputs roc r_windows sigma_min; do [ -s np1/plots/$f.png ] || fail "no np1/plots/$f.png"; done
  [ -e np1/plots/scatter.png ] && fail "scatter.png with two normal classes"
  pass "plots written"
fi
finish
