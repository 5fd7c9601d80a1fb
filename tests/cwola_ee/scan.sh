# cwola_ee: the PFN contamination scan on generated data finds the (700, 100) GeV signal (the
# significance after the cut well above the injected one), with the SR-vs-SB AUC of background
# near 0.5; results.h5 and summary.json identical at 1, 2 and 3 ranks (and group size 2); the
# semi-supervised mode and the dense network run and find the all-signal case.
. "$HADAL_SRC/tests/lib.sh"
need_python h5py numpy
"$HADAL" generate ee_isr -o data.h5 -n 16000 -seed 31 -signal_fraction 0.03 -mhat_min 600 -mhat_max 800 > gen.log 2>&1 || { fail "generate"; cat gen.log; }
"$HADAL" generate ee_isr -o sim.h5 -n 8000 -seed 32 -signal_fraction 0 -mhat_min 600 -mhat_max 800 > gen2.log 2>&1 || fail "generate sim"
common=(-method cwola_ee -data data.h5 -contamination 0,3,inf -ensemble_size 3 -epochs 6 -network "pfn phi 32,32 f 32,32" -seed 5)
for np in 1 2 3; do
  $MPIEXEC -n $np "$HADAL" run "${common[@]}" -out o$np > run$np.log 2>&1 || { fail "run at $np ranks:"; tail -20 run$np.log; }
done
$MPIEXEC -n 2 "$HADAL" run "${common[@]}" -group_size 2 -out og > rung.log 2>&1 || { fail "run with group size 2:"; tail -20 rung.log; }
for d in o1 o2 o3 og; do hash_datasets $d/results.h5 contamination > $d.sha; done
[ -s o1.sha ] || fail "no results hashed"
for d in o2 o3 og; do cmp -s o1.sha $d.sha && pass "$d: results.h5 identical to 1 rank" || { fail "$d: results.h5 differs from 1 rank"; diff o1.sha $d.sha; }; done
"$PYTHON" - <<'PY' || fail "summary"
import json
def strip(d):
    return {k: v for k, v in d.items() if k not in ("wall_s", "ranks", "group_size")}
s = [strip(json.load(open(f"{d}/summary.json"))) for d in ("o1", "o2", "o3", "og")]
assert all(x == s[0] for x in s), "summary.json differs between rank counts"
c = s[0]["contamination"]
assert [x["injected_sigma"] for x in c] == [0, 3, "inf"], c
assert c[0]["best_significance"] == 0 and c[1]["significance_before"] == 3
print("3 sigma ->", c[1]["best_significance"], "ensemble", c[1]["ensemble_best_significance"], "inf AUC", c[2]["auc"], "bkg SR-vs-SB AUC", s[0]["sr_vs_sb_auc_background"])
assert c[1]["best_significance"] > 6, "a 3 sigma injection must be enhanced well beyond 3 sigma"
assert c[1]["best_significance_q16"] <= c[1]["best_significance"] <= c[1]["best_significance_q84"]
assert c[2]["auc"] > 0.95, "all signal against background must be learnt"
assert abs(s[0]["sr_vs_sb_auc_background"] - 0.5) < 0.05, "the normalised PFN must not tell SR from SB on background"
PY
"$HADAL" run "${common[@]}" -contamination 0,inf -ensemble_size 2 -reference sim.h5 -out osemi > semi.log 2>&1 || { fail "semi-supervised:"; tail -20 semi.log; }
"$HADAL" run "${common[@]}" -contamination inf -ensemble_size 2 -inputs features -network "dense 32 relu, dense 1" -scale_by_mass m_jets,pt_j1,pt_j2,pt_x -out odense > dense.log 2>&1 || { fail "dense:"; tail -20 dense.log; }
"$PYTHON" - <<'PY' || fail "semi-supervised / dense summaries"
import json
a, b = json.load(open("osemi/summary.json")), json.load(open("odense/summary.json"))
assert a["mode"] == "semi-supervised" and a["reference_sr"] > 0 and a["contamination"][1]["auc"] > 0.95, a
print("semi-supervised", [(x["injected_sigma"], x["auc"]) for x in a["contamination"]], "dense", [(x["injected_sigma"], x["auc"]) for x in b["contamination"]])
assert b["inputs"] == "features" and b["contamination"][0]["auc"] > 0.9, b
PY
finish
